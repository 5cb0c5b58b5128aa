"""Ban flood benchmark: what 120,000 bans in 12 seconds cost osprey, and whether it stays usable.

    python3 bench/ban_flood.py [--osprey build/release/src/app/osprey] [--sources 120000] [--seconds 12]

Starts osprey (two workers, [security.bans] threshold 3, prefix aggregation off so that every
source is a ban of its own to write) and sends, from `sources` distinct loopback addresses
(127.1.0.1 onwards: Linux accepts any 127/8 source), three OPTIONS with User-Agent
friendly-scanner each, paced over `seconds`: each source is banned, up to the table's bound.
Half-way through, `osprey user add` changes the accounts. Prints:
  - the CPU time of osprey's housekeeping thread (which writes the bans to bans.db) during the
    flood and until every ban is on disk, and the same for the whole process;
  - how long the account change took to apply (the "user accounts reloaded" log line);
  - how long SIGTERM took to stop osprey.
"""

import argparse
import os
import socket
import sqlite3
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import osprey_harness as h  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
THRESHOLD = 3


def thread_cpu(pid, name=None):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        if name is None or comm == name:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def scanner_options(port):
    return (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:100@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def source(n):
    block, host = divmod(n, 254)
    return f"127.{1 + block // 256}.{block % 256}.{host + 1}"


def rows(database):
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM bans").fetchone()[0]
    except sqlite3.Error:
        return -1


def watch_account_change(server, binary, applied):
    """`osprey user add` bob, then how long until osprey logs the reload (appended to `applied`)."""
    log_before = len(server.read_log())
    changed_at = time.monotonic()
    h.check(h.run([binary, "user", "add", "sip:bob@127.0.0.1", "--password", "bob-secret", "--config",
                   server.config]))
    while time.monotonic() - changed_at < 60:
        if "user accounts reloaded" in server.read_log()[log_before:]:
            applied.append(round(time.monotonic() - changed_at, 2))
            return
        time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--osprey", default="build/release/src/app/osprey")
    parser.add_argument("--sources", type=int, default=120000)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    binary = os.path.abspath(args.osprey)
    with h.temp_dir() as work:
        port = h.free_port()
        extra = (f"[security.bans]\nthreshold = {THRESHOLD}\nprefix_threshold = 0\n"
                 "[security.rate_limit]\nrequests_per_second = 0\n")
        server = h.Osprey(binary, work, [{"transport": "udp", "address": "127.0.0.1", "port": port}],
                          extra_toml=extra, workers=2, env={"ASAN_OPTIONS": ""}, authentication=True)
        database = os.path.join(work, "data", "bans.db")
        with server:
            pid = server.process.pid
            payload = scanner_options(port)
            target = ("127.0.0.1", port)
            house_before, all_before = thread_cpu(pid, "housekeeping"), thread_cpu(pid)
            started = time.monotonic()
            watcher = None
            applied = []
            for n in range(args.sources):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.bind((source(n), 0))
                    for _ in range(THRESHOLD):
                        sock.sendto(payload, target)
                if n % 1000 == 999:
                    ahead = started + (n + 1) / args.sources * args.seconds - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
                if watcher is None and n >= args.sources // 2:
                    # Watched from another thread while the flood goes on.
                    watcher = threading.Thread(target=watch_account_change, args=(server, binary, applied))
                    watcher.start()
            flood_took = time.monotonic() - started
            watcher.join()
            banned = server.read_log().count("banned 127.")
            # Until every ban is on disk (or 120 s).
            while time.monotonic() - started < flood_took + 120 and rows(database) < banned:
                time.sleep(0.25)
            written_after = time.monotonic() - started
            house = thread_cpu(pid, "housekeeping") - house_before
            whole = thread_cpu(pid) - all_before
            on_disk = rows(database)
            alive = h.status_of(h.udp_exchange(port, h.options_request(port)))
            stop_at = time.monotonic()
            server.stop()
            stopped = time.monotonic() - stop_at
        print(f"ban flood: {args.sources} sources x {THRESHOLD} datagrams in {flood_took:.1f} s; "
              f"{banned} banned, {on_disk} on disk after {written_after:.1f} s")
        print(f"housekeeping thread CPU: {house:.2f} s ({house / max(banned, 1) * 1e6:.1f} us per ban); "
              f"whole osprey: {whole:.2f} s")
        print(f"account change applied after {applied[0] if applied else 'never (60 s)'} s; "
              f"OPTIONS from 127.0.0.1 after the flood: {alive}; SIGTERM to exit: {stopped:.2f} s")


if __name__ == "__main__":
    main()
