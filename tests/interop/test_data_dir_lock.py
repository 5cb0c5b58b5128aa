"""One `osprey serve` per data_dir: a second server on the data_dir a live one holds exits
non-zero, naming the data_dir, and does not touch the first; the CLI tools still write the same
databases while the server runs (`osprey user add`); once the first stops, a new one starts.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as workdir:
        first_dir = os.path.join(workdir, "first")
        second_dir = os.path.join(workdir, "second")
        os.makedirs(first_dir)
        os.makedirs(second_dir)
        first = h.Osprey(args.osprey, first_dir, h.udp_and_tcp(h.free_port()))
        data_dir = os.path.join(first_dir, "data")
        # Another config (other ports), the same data_dir.
        second = h.Osprey(args.osprey, second_dir, h.udp_and_tcp(h.free_port()))
        with open(second.config) as f:
            text = f.read().replace(os.path.join(second_dir, "data"), data_dir)
        with open(second.config, "w") as f:
            f.write(text)
        with first:
            result = h.run([args.osprey, "serve", "--config", second.config], timeout=30)
            output = result.stdout + result.stderr
            checks.expect(result.returncode != 0, f"a second server on the same data_dir exits non-zero "
                                                  f"({result.returncode})")
            checks.expect(f"data_dir {data_dir} is in use by another osprey serve" in output,
                          f"its message names the data_dir ({output.strip()[-300:]})")
            checks.expect(first.process.poll() is None, "the first server is still running")
            added = h.run([args.osprey, "user", "add", "alice@127.0.0.1", "--password", "a",
                           "--config", first.config])
            checks.expect(added.returncode == 0, f"osprey user add works while the server runs "
                                                 f"({added.stdout.strip()} {added.stderr.strip()})")
        h.expect_clean_stop(checks, first)
        # The lock went with the first server.
        with second:
            checks.expect(second.process.poll() is None, "after the first stopped, a server starts on the data_dir")
        h.expect_clean_stop(checks, second)
    checks.finish()


if __name__ == "__main__":
    main()
