"""Banned-source drop path benchmark: how much CPU osprey spends on a datagram from a
banned address, the whole path included (kernel receive, the ban lookup, the drop).

    python3 bench/banned_flood.py [--osprey build/release/src/app/osprey] [--count 300000]

Starts osprey (one worker) with 127.0.0.2 banned through `osprey ban add`, sends `count` OPTIONS
datagrams from 127.0.0.2 as fast as one Python socket can, and reads osprey's CPU time (user +
system, /proc) before and after. For comparison, the same flood from an allowed source (each one
parsed and answered 200) is measured too. Prints microseconds of osprey CPU per datagram.
"""

import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import osprey_harness as h  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def flood(port, source, count):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        sock.bind((source, 0))
        payload = h.options_request(port, local_port=sock.getsockname()[1])
        target = ("127.0.0.1", port)
        for _ in range(count):
            sock.sendto(payload, target)


def measure(server, port, source, count):
    time.sleep(0.5)
    before = cpu_seconds(server.process.pid)
    flood(port, source, count)
    time.sleep(1.0)  # let osprey drain its socket buffer
    used = cpu_seconds(server.process.pid) - before
    return used, h.status_of(h.udp_exchange(port, h.options_request(port)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--osprey", default="build/release/src/app/osprey")
    parser.add_argument("--count", type=int, default=300000)
    args = parser.parse_args()
    with h.temp_dir() as work:
        port = h.free_port()
        extra = "[security.rate_limit]\nrequests_per_second = 0\n"
        server = h.Osprey(os.path.abspath(args.osprey), work, [{"transport": "udp", "address": "127.0.0.1",
                                                                "port": port}],
                          extra_toml=extra, workers=1, env={"ASAN_OPTIONS": ""})
        h.check(h.run([args.osprey, "ban", "add", "127.0.0.2", "--minutes", "60", "--reason", "bench",
                       "--config", server.config]))
        with server:
            banned, alive = measure(server, port, "127.0.0.2", args.count)
            print(f"banned source:  {args.count} datagrams, osprey CPU {banned:.2f} s = "
                  f"{banned / args.count * 1e6:.2f} us per datagram (127.0.0.1 still answered: {alive})")
            allowed, _ = measure(server, port, "127.0.0.3", args.count)
            print(f"allowed source: {args.count} datagrams, osprey CPU {allowed:.2f} s = "
                  f"{allowed / args.count * 1e6:.2f} us per datagram (parsed and answered 200, or dropped "
                  f"when the socket buffer overflowed)")


if __name__ == "__main__":
    main()
