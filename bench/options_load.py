#!/usr/bin/env python3
"""Server benchmark: the CPU osprey spends per OPTIONS transaction, as a ratio to the
floor, a bare recvmmsg/sendmmsg responder (bench/udp_floor_responder.cpp), measured one after the
other in the same run. The target is a ratio of at most 3.

  python3 bench/options_load.py [--rate 4000] [--count 100000] [--workers 1] [--only floor|osprey]

Each server is started on a free 127.0.0.1 UDP port, checked with one OPTIONS, then driven by SIPp
(bench/sipp/options.xml). Its CPU is utime+stime summed over the process and its descendants, read
from /proc/<pid>/stat before and after the SIPp run, as ../shared/tools/loadtest.py does; the CPU
per transaction is that divided by the successful transactions.

Every process this script starts is stopped (SIGTERM, then SIGKILL) before it exits, and every wait
has a time limit: a server that does not start or answers nothing is reported as failures, not
waited for. Exit status: 0 when the runs were made (whether or not the target was met), 2 when they
could not be (a missing program, or the floor itself failed, so there is nothing to compare to).
"""
import argparse, csv, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

from proc_stats import TICK, cpu_ticks, stop

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCENARIO = os.path.join(HERE, "sipp", "options.xml")
TARGET_RATIO = 3.0
# Below this many clock ticks of server CPU the reading is off by more than ~3% (it is rounded to ticks).
MIN_TICKS = 30


# --- processes -----------------------------------------------------------------------------------

def free_udp_port():
    # The kernel picks a port free now; the short race until the server binds it is accepted.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=5):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(line.strip() for line in f.readlines()[-lines:] if line.strip())
    except OSError:
        return ""


def probe(port, proc, timeout):
    """Sends one OPTIONS every 200 ms until a final response comes back, the server exits or the
    time is up. Returns (ok, note)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.2)
        local = s.getsockname()[1]
        n = 0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False, f"exited with status {proc.returncode} before answering"
            n += 1
            request = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-probe-{os.getpid()}-{n}\r\n"
                       f"Max-Forwards: 70\r\n"
                       f"From: <sip:probe@127.0.0.1:{local}>;tag=probe{n}\r\n"
                       f"To: <sip:127.0.0.1:{port}>\r\n"
                       f"Call-ID: probe-{os.getpid()}-{n}@127.0.0.1\r\n"
                       f"CSeq: 1 OPTIONS\r\n"
                       f"Content-Length: 0\r\n\r\n")
            try:
                s.sendto(request.encode(), ("127.0.0.1", port))
                while True:
                    status = s.recv(65535).split(b"\r\n", 1)[0].decode(errors="replace")
                    if status.startswith("SIP/2.0 1"):
                        continue  # provisional: wait for the final response
                    if status.startswith("SIP/2.0 200"):
                        return True, ""
                    return False, f"answered the probe OPTIONS with '{status}'"
            except socket.timeout:
                pass
            except ConnectionRefusedError:  # ICMP port unreachable: not bound yet
                time.sleep(0.2)
    return False, f"no answer to the probe OPTIONS within {timeout:g} s"


def final_stats(stf):
    """(successful, failed) from the last line of SIPp's -trace_stat file, as loadtest.py reads it."""
    with open(stf) as f:
        rows = list(csv.reader(f, delimiter=";"))
    head, last = rows[0], rows[-1]
    col = {k: i for i, k in enumerate(head)}
    return int(last[col["SuccessfulCall(C)"]]), int(last[col["FailedCall(C)"]])


# --- one measured run ----------------------------------------------------------------------------

def measure(name, command, port, a, work, scenario=SCENARIO, sipp_extra=()):
    """Starts command (a server listening on 127.0.0.1:port), drives it with SIPp running `scenario`
    (with `sipp_extra` arguments), stops it. Returns a result row."""
    tag = name.split()[0]
    row = {"server": name, "ok": 0, "failed": a.count, "cpu_us": None, "ticks": 0, "wall": 0.0,
           "note": "", "sipp_rc": None}
    server_log = os.path.join(work, f"{tag}.log")
    server = sipp = None
    try:
        with open(server_log, "w") as log:
            server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      cwd=work)
        ok, note = probe(port, server, a.start_timeout)
        if not ok:
            row["note"] = note + (f" (log: {tail(server_log)})" if tail(server_log) else "")
            return row

        stf = os.path.join(work, f"{tag}_stat.csv")
        sipp_log = os.path.join(work, f"{tag}_sipp.log")
        # SIPp's own limit: the calls at the requested rate, plus room for retransmissions.
        sipp_timeout = int(a.count / a.rate) + 30
        cmd = [a.sipp, f"127.0.0.1:{port}", "-sf", scenario, *sipp_extra, "-t", a.transport,
               "-i", "127.0.0.1", "-p", str(free_udp_port()),
               "-r", str(a.rate), "-m", str(a.count), "-l", str(a.limit),
               "-recv_timeout", "5s", "-timeout", f"{sipp_timeout}s", "-timeout_error",
               "-nostdin", "-trace_err", "-error_file", os.path.join(work, f"{tag}_sipp_errors.log"),
               "-trace_stat", "-stf", stf, "-fd", "1"]
        cpu0, t0 = cpu_ticks(server.pid), time.monotonic()
        with open(sipp_log, "w") as log:
            sipp = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=work)
        try:
            sipp.wait(timeout=sipp_timeout + 30)
        except subprocess.TimeoutExpired:
            row["note"] = "SIPp did not finish in time and was stopped; "
        stop(sipp)
        row["wall"] = time.monotonic() - t0
        row["ticks"] = cpu_ticks(server.pid) - cpu0
        row["sipp_rc"] = sipp.returncode
        sipp = None
        if server.poll() is not None:
            row["note"] += f"server exited with status {server.returncode} during the run; "
        try:
            ok_calls, failed = final_stats(stf)
        except (OSError, IndexError, KeyError, ValueError):
            ok_calls, failed = 0, a.count
            row["note"] += f"no SIPp statistics (log: {tail(sipp_log)}); "
        row["ok"] = ok_calls
        # Calls SIPp never completed (stopped early) count as failures too.
        row["failed"] = max(failed, a.count - ok_calls)
        if ok_calls:
            row["cpu_us"] = 1e6 * row["ticks"] / TICK / ok_calls
        if row["ticks"] < MIN_TICKS:
            row["note"] += f"only {row['ticks']} CPU ticks (1 tick = {1e6 / TICK:.0f} us): raise --count; "
        row["note"] = row["note"].rstrip("; ")
        return row
    finally:
        stop(sipp)
        status = stop(server)
        if status not in (None, 0, -signal.SIGTERM) and not row["note"]:
            row["note"] = f"server exit status {status} on SIGTERM"


def print_notes_and_keep_logs(rows, work, keep_logs):
    """Prints each run's notes; keeps (and names) the work directory when asked to or when a run
    failed, removes it otherwise. Returns whether any run had failures."""
    for r in rows:
        if r["note"]:
            print(f"  {r['server']}: {r['note']}")
    any_failed = any(r["failed"] for r in rows)
    if keep_logs or any_failed:
        print(f"logs: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return any_failed


def osprey_config(work, port, workers, name="osprey", extra=""):
    """Writes <work>/<name>.toml for a server on 127.0.0.1:port with its own data directory;
    workers 0 is one per core. `extra` is appended (TOML tables)."""
    data_dir = os.path.join(work, f"{name}-data")
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(work, f"{name}.toml")
    # json.dumps quotes a path as a valid TOML basic string.
    with open(path, "w") as f:
        f.write(f"workers = {workers}\n"
                f'log_level = "warn"\n'
                f"data_dir = {json.dumps(data_dir)}\n"
                f'domains = ["127.0.0.1"]\n\n'
                f"[[listen]]\n"
                f'transport = "udp"\n'
                f'address = "127.0.0.1"\n'
                f"port = {port}\n"
                f"{extra}")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--osprey", default=os.path.join(ROOT, "build/release/src/app/osprey"))
    ap.add_argument("--floor", default=os.path.join(ROOT, "build/release/bench/udp_floor_responder"))
    ap.add_argument("--sipp", default="sipp")
    ap.add_argument("--rate", type=int, default=4000, help="OPTIONS per second (default 4000)")
    ap.add_argument("--count", type=int, default=100000,
                    help="OPTIONS per server (default 100000: enough CPU ticks for a 2%% reading)")
    ap.add_argument("--limit", type=int, default=2000, help="SIPp's maximum of calls in flight")
    ap.add_argument("--workers", type=int, default=1, help="osprey worker threads (default 1)")
    ap.add_argument("--transport", choices=["u1", "un"], default="u1",
                    help="SIPp UDP mode: u1 one socket, un one socket per call (default u1)")
    ap.add_argument("--only", choices=["floor", "osprey"], help="run one server only (no ratio)")
    ap.add_argument("--start-timeout", type=float, default=10.0,
                    help="seconds a server has to answer the probe OPTIONS (default 10)")
    ap.add_argument("--keep-logs", action="store_true", help="keep the work directory even when all went well")
    a = ap.parse_args()
    if a.rate <= 0 or a.count <= 0 or a.limit <= 0 or a.workers < 0:
        ap.error("--rate, --count and --limit must be positive, --workers not negative")

    missing = [p for p in [a.sipp] + ([a.floor] if a.only != "osprey" else []) +
               ([a.osprey] if a.only != "floor" else []) if shutil.which(p) is None]
    if missing:
        print("not found or not executable: " + ", ".join(missing) +
              " (build with: cmake --preset release && cmake --build build/release --target osprey udp_floor_responder)",
              file=sys.stderr)
        return 2

    # A SIGTERM to this script unwinds through the finally blocks like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="options-load-")
    rows = []
    if a.only != "osprey":
        port = free_udp_port()
        rows.append(measure("floor (recvmmsg/sendmmsg)",
                            [a.floor, "--address", "127.0.0.1", "--port", str(port)], port, a, work))
    if a.only != "floor":
        port = free_udp_port()
        rows.append(measure(f"osprey ({a.workers} worker{'s' if a.workers != 1 else ''})",
                            [a.osprey, "serve", "--config", osprey_config(work, port, a.workers)], port, a, work))

    floor = rows[0] if a.only != "osprey" else None
    print(f"OPTIONS over UDP, SIPp -t {a.transport} -r {a.rate} -m {a.count}; CPU = utime+stime from /proc "
          f"(1 tick = {1e6 / TICK:.0f} us)")
    print(f"{'server':<28} {'transactions':>12} {'failures':>8} {'CPU us/txn':>10} {'ratio to floor':>14}"
          f" {'wall s':>7} {'CPU ticks':>9}")
    for r in rows:
        cpu = f"{r['cpu_us']:.2f}" if r["cpu_us"] is not None else "-"
        ratio = "-"
        if floor and floor["ticks"] and r["cpu_us"] is not None:
            r["ratio"] = r["cpu_us"] / floor["cpu_us"]
            ratio = f"{r['ratio']:.2f}"
        print(f"{r['server']:<28} {r['ok']:>12} {r['failed']:>8} {cpu:>10} {ratio:>14} {r['wall']:>7.2f} {r['ticks']:>9}")
    print_notes_and_keep_logs(rows, work, a.keep_logs)

    if floor is not None and (floor["cpu_us"] is None or floor["failed"]):
        print("target not evaluated: the floor run failed")
        return 2
    if a.only:
        print("target not evaluated: only one server was run")
        return 0
    if not floor["ticks"]:
        print("target not evaluated: the floor used less than one CPU tick (raise --count)")
        return 0
    osprey = rows[1]
    if osprey["failed"] == 0 and osprey.get("ratio") is not None and osprey["ratio"] <= TARGET_RATIO:
        print(f"target met: ratio <= {TARGET_RATIO:g}")
    else:
        why = (f"{osprey['failed']} failed transactions" if osprey["failed"]
               else f"ratio {osprey['ratio']:.2f} > {TARGET_RATIO:g}")
        print(f"target missed ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
