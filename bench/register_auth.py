#!/usr/bin/env python3
"""Authentication benchmark: the CPU osprey spends per REGISTER with digest
authentication (REGISTER, 401, REGISTER with credentials, 200) against the same REGISTER without
authentication, measured one after the other in the same run. The target is a ratio of at most 2.

  python3 bench/register_auth.py [--rate 2000] [--count 40000] [--workers 0]

Two osprey servers, each on a fresh data directory (durable SQLite store on, as by default):
- "register": `[security] authentication = false`, driven by bench/sipp/register.xml;
- "register-auth": authentication on (the default), `--count` accounts imported with
  `osprey user import` (password "secret"), MD5 offered first because SIPp 3.6 answers only the
  first challenge and only MD5; driven by bench/sipp/register_auth.xml.
Every REGISTER names a new user (an injection file of `--count` users), so each one adds a binding.
CPU per transaction = server utime+stime (/proc) over the run / successful SIPp calls, where one
call is one whole registration (two transactions when authenticated): the figure compared.

Processes, time limits and exit status: as bench/options_load.py, whose helpers this reuses.
"""
import argparse, os, shutil, signal, subprocess, sys, tempfile

import options_load as load

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_RATIO = 2.0


def write_users(work, count):
    """SIPp injection file, used in order: the user name, then the [authentication] keyword for it
    (register_auth.xml; register.xml ignores it)."""
    path = os.path.join(work, "users.csv")
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(count):
            f.write(f"user{i:07d};[authentication username=user{i:07d} password=secret]\n")
    return path


def import_accounts(osprey, config, count):
    """Creates user0000000... with password "secret" in the server's user store, in one transaction."""
    lines = "".join(f"sip:user{i:07d}@127.0.0.1 secret\n" for i in range(count))
    done = subprocess.run([osprey, "user", "import", "--config", config], input=lines, text=True,
                          capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"osprey user import failed: {done.stderr.strip() or done.stdout.strip()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--osprey", default=os.path.join(load.ROOT, "build/release/src/app/osprey"))
    ap.add_argument("--sipp", default="sipp")
    ap.add_argument("--rate", type=int, default=2000, help="registrations per second (default 2000)")
    ap.add_argument("--count", type=int, default=40000, help="registrations per server (default 40000)")
    ap.add_argument("--limit", type=int, default=2000, help="SIPp's maximum of calls in flight")
    ap.add_argument("--workers", type=int, default=0, help="osprey worker threads (default 0: one per core)")
    ap.add_argument("--start-timeout", type=float, default=10.0,
                    help="seconds a server has to answer the probe OPTIONS (default 10)")
    ap.add_argument("--keep-logs", action="store_true", help="keep the work directory even when all went well")
    a = ap.parse_args()
    a.transport = "u1"
    if a.rate <= 0 or a.count <= 0 or a.limit <= 0 or a.workers < 0:
        ap.error("--rate, --count and --limit must be positive, --workers not negative")
    missing = [p for p in (a.sipp, a.osprey) if shutil.which(p) is None]
    if missing:
        print("not found or not executable: " + ", ".join(missing) +
              " (build with: cmake --preset release && cmake --build build/release --target osprey)", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="register-auth-")
    users = write_users(work, a.count)
    inject = ("-inf", users)
    rows = []

    port = load.free_udp_port()
    plain = load.osprey_config(work, port, a.workers, "plain", "\n[security]\nauthentication = false\n")
    rows.append(load.measure("register", [a.osprey, "serve", "--config", plain], port, a, work,
                             os.path.join(HERE, "sipp", "register.xml"), inject))

    port = load.free_udp_port()
    auth = load.osprey_config(work, port, a.workers, "auth", '\n[security]\ndigest_algorithms = ["MD5", "SHA-256"]\n')
    import_accounts(a.osprey, auth, a.count)
    rows.append(load.measure("register-auth", [a.osprey, "serve", "--config", auth], port, a, work,
                             os.path.join(HERE, "sipp", "register_auth.xml"), inject))

    print(f"REGISTER over UDP, SIPp -r {a.rate} -m {a.count}, a new user each; CPU = utime+stime from /proc "
          f"(1 tick = {1e6 / load.TICK:.0f} us)")
    print(f"{'workload':<16} {'registrations':>13} {'failures':>8} {'CPU us/reg':>10} {'ratio':>6} {'wall s':>7}")
    base = rows[0]["cpu_us"]
    for r in rows:
        cpu = f"{r['cpu_us']:.1f}" if r["cpu_us"] is not None else "-"
        ratio = f"{r['cpu_us'] / base:.2f}" if base and r["cpu_us"] is not None else "-"
        print(f"{r['server']:<16} {r['ok']:>13} {r['failed']:>8} {cpu:>10} {ratio:>6} {r['wall']:>7.2f}")
    any_failed = load.print_notes_and_keep_logs(rows, work, a.keep_logs)
    if any_failed or base is None or rows[1]["cpu_us"] is None:
        print("target not evaluated: a run had failures")
        return 0
    ratio = rows[1]["cpu_us"] / base
    print(f"target {'met' if ratio <= TARGET_RATIO else 'missed'}: ratio {ratio:.2f} "
          f"{'<=' if ratio <= TARGET_RATIO else '>'} {TARGET_RATIO:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
