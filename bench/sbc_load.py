#!/usr/bin/env python3
"""SBC benchmark: B2BUA calls (INVITE/100/180/200/ACK/BYE/200) through one trunk with five
header rules, osprey in SBC mode against Kamailio as a topology-hiding proxy (topos), in the
same run, and the server's CPU microseconds per call.

    python3 bench/sbc_load.py                                  # Kamailio, then osprey, 3 pairs
    python3 bench/sbc_load.py --only kamailio --pairs 1        # Kamailio alone
    python3 bench/sbc_load.py --osprey build/release/src/app/osprey --rate 500 --count 15000

Each run: the server is started afresh (osprey with bench/sbc_load.toml's trunk, route and rules
under a generated base config; Kamailio with bench/kamailio/kamailio-topos.cfg and a private
redis-server for topos's records, whose CPU and memory count as Kamailio's), a SIPp UAS (bench/sbc_uas.xml) plays the carrier trunk on
127.0.0.1:--uas-port and checks that the five rules were applied, a SIPp UAC
(bench/sbc_uac.xml) calls from --uac-ip (127.0.0.2: not one of the trunk's sources, so the
caller is one of "our users"). The call workload runs once unmeasured (--warmup, on by
default: a server is measured in steady state, see ../shared/tools/README.md), then measured:
the server's CPU is utime+stime over its process tree from /proc before and after. A call
fails when the UAC's call fails or the UAS's check of the rules fails. Servers alternate pair
after pair; the summary is the medians and their ratio (the target: osprey at most half of
Kamailio). Exit status 0 only when every call of every run succeeded.

With --hold SECONDS every call stays up that long, and the run also reads the server's memory
(PSS over its process tree) once all --count calls are up, against its memory before the run
(after the warm-up): bytes per active call (the figure is wanted with 10,000 calls up).
"""

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from proc_stats import cpu_seconds, pss_kib, stop

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def stat_counts(path):
    """SuccessfulCall(C) and FailedCall(C) of the last row of a SIPp -trace_stat file."""
    try:
        with open(path) as f:
            rows = list(csv.reader(f, delimiter=";"))
        col = {k: i for i, k in enumerate(rows[0])}
        return int(rows[-1][col["SuccessfulCall(C)"]]), int(rows[-1][col["FailedCall(C)"]])
    except (OSError, IndexError, KeyError, ValueError):
        return 0, None


def rule_check_failures(err_path):
    try:
        with open(err_path, errors="replace") as f:
            # SIPp's "Regexp matched but should not" / "... did not match" (check_it, check_it_inverse)
            return f.read().lower().count("regexp")
    except OSError:
        return 0


# --- the servers ---------------------------------------------------------------------------------

def kamailio_command(a, work, tag):
    """Kamailio and, beside it, the redis-server holding topos's records (its CPU and memory are
    counted with Kamailio's: they are the cost of Kamailio's topology hiding)."""
    if a.without_topos:
        cmd = [a.kamailio, "-f", os.path.join(HERE, "kamailio/kamailio-topos.cfg"), "-DD", "-E", "-m", "1024", "-M",
               "16", "-A", "WITHOUT_TOPOS", "-A", f'TRUNK_URI="sip:127.0.0.1:{a.uas_port}"']
        return cmd, f"127.0.0.1:{a.kamailio_port}", []
    sock = os.path.join(work, f"{tag}-redis.sock")
    redis = subprocess.Popen([a.redis, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no",
                              "--dir", work], stdout=open(os.path.join(work, f"{tag}-redis.log"), "w"),
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    for _ in range(50):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    cmd = [a.kamailio, "-f", os.path.join(HERE, "kamailio/kamailio-topos.cfg"), "-DD", "-E", "-m", "1024", "-M", "16",
           "-A", f'TOPOS_REDIS="name=tps;unix={sock};db=0"', "-A", f'TRUNK_URI="sip:127.0.0.1:{a.uas_port}"']
    return cmd, f"127.0.0.1:{a.kamailio_port}", [redis]


def osprey_command(a, work, tag):
    data_dir = os.path.join(work, f"osprey-data-{tag}")
    os.makedirs(data_dir, exist_ok=True)
    with open(a.osprey_rules) as f:
        trunk = f.read().replace("UASPORT", str(a.uas_port))
    path = os.path.join(work, f"osprey-{tag}.toml")
    with open(path, "w") as f:
        # json.dumps quotes a path as a valid TOML basic string.
        f.write(f"workers = {a.workers}\n"
                f'log_level = "warn"\n'
                f"data_dir = {json.dumps(data_dir)}\n"
                f'domains = ["127.0.0.1"]\n\n'
                f"[[listen]]\n"
                f'transport = "udp"\n'
                f'address = "127.0.0.1"\n'
                f"port = {a.osprey_port}\n\n"
                f"[security]\n"
                f"authentication = false\n"
                # The caller's P-Asserted-Identity is believed (RFC 3325), as Kamailio's script
                # takes it: the caller is in the trust domain.
                f"trusted_peers = [{json.dumps(a.uac_ip)}]\n\n"
                f"{trunk}")
    return [a.osprey, "serve", "--config", path], f"127.0.0.1:{a.osprey_port}", []


def sipp(a, args, log):
    return subprocess.Popen([a.sipp, "-nostdin"] + args, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def start_calls(a, target, work, name, stat=None, hold_ms=50):
    err = os.path.join(work, f"{name}.err")
    args = [target, "-sf", os.path.join(HERE, "sbc_uac.xml"), "-s", a.number, "-i", a.uac_ip,
            "-p", str(a.uac_port), "-m", str(a.count), "-r", str(a.rate), "-l", str(max(a.limit, a.count)),
            "-d", str(hold_ms), "-timeout", f"{a.timeout + hold_ms // 1000}s", "-default_behaviors", "all,-abortunexp",
            "-trace_err", "-error_file", err]
    if stat:
        args += ["-trace_stat", "-stf", stat, "-fd", "1"]
    return sipp(a, args, os.path.join(work, f"{name}.log"))


def finish_calls(a, proc, hold_ms=50):
    try:
        proc.wait(timeout=a.timeout + a.count / a.rate + hold_ms / 1000 + 30)
    except subprocess.TimeoutExpired:
        stop(proc)
    return proc.returncode


def run_calls(a, target, work, name, stat=None):
    return finish_calls(a, start_calls(a, target, work, name, stat))


def measure(a, server, work, tag):
    row = {"server": server, "ok": 0, "failed": a.count, "rule_failures": 0, "cpu_us": None, "pss_kib": 0,
           "wall": 0.0, "note": ""}
    make = kamailio_command if server == "kamailio" else osprey_command
    cmd, target, helpers = make(a, work, tag)
    log = os.path.join(work, f"{tag}-server.log")
    srv = uas = None
    try:
        srv = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        time.sleep(a.start_wait)
        if srv.poll() is not None:
            row["note"] = f"server exited at start (status {srv.returncode}), log {log}"
            return row
        uas_stat = os.path.join(work, f"{tag}-uas.csv")
        uas_err = os.path.join(work, f"{tag}-uas.err")
        uas = sipp(a, ["-sf", os.path.join(HERE, "sbc_uas.xml"), "-i", "127.0.0.1", "-p", str(a.uas_port),
                       "-default_behaviors", "all,-abortunexp", "-trace_err", "-error_file", uas_err,
                       "-trace_stat", "-stf", uas_stat, "-fd", "1"], os.path.join(work, f"{tag}-uas.log"))
        time.sleep(0.5)
        if a.warmup:
            run_calls(a, target, work, f"{tag}-warmup")
            time.sleep(1)
        uas_ok0, _ = stat_counts(uas_stat)
        stat = os.path.join(work, f"{tag}-uac.csv")
        pids = [srv.pid] + [h.pid for h in helpers]
        pss_idle = sum(pss_kib(p) for p in pids)
        cpu0, t0 = sum(cpu_seconds(p) for p in pids), time.monotonic()
        if a.hold:
            # Memory per active call: every call is up (set up at --rate, held --hold seconds)
            # when the server's memory is read, a few seconds after the last one was answered.
            proc = start_calls(a, target, work, f"{tag}-uac", stat, hold_ms=a.hold * 1000)
            time.sleep(a.count / a.rate + min(5, a.hold / 2))
            row["pss_up_kib"] = sum(pss_kib(p) for p in pids)
            row["bytes_per_call"] = 1024 * (row["pss_up_kib"] - pss_idle) / a.count
            rc = finish_calls(a, proc, hold_ms=a.hold * 1000)
        else:
            rc = run_calls(a, target, work, f"{tag}-uac", stat)
        row["wall"] = time.monotonic() - t0
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        row["pss_kib"] = sum(pss_kib(p) for p in pids)
        time.sleep(2)  # the UAS's last statistics row
        ok, failed = stat_counts(stat)
        row["ok"], row["failed"] = ok, (failed if failed is not None else a.count)
        row["rule_failures"] = rule_check_failures(uas_err)
        row["cpu_us"] = 1e6 * cpu / max(ok, 1)
        row["note"] = f"sipp rc={rc} uas answered {stat_counts(uas_stat)[0] - uas_ok0}"
        if a.hold:
            row["note"] += (f"; memory: {pss_idle} KiB idle, {row['pss_up_kib']} KiB with {a.count} calls up: "
                            f"{row['bytes_per_call']:.0f} bytes per active call")
        if srv.poll() is not None:
            row["note"] += f"; server exited during the run ({srv.returncode})"
        return row
    finally:
        stop(uas)
        stop(srv)
        for helper in helpers:
            stop(helper)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--osprey", default=os.path.join(ROOT, "build/release/src/app/osprey"))
    ap.add_argument("--osprey-rules", default=os.path.join(HERE, "sbc_load.toml"),
                    help="the trunk, route and rules appended to the generated config (UASPORT replaced)")
    ap.add_argument("--kamailio", default="kamailio")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--sipp", default="sipp")
    ap.add_argument("--only", choices=["kamailio", "osprey"])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--limit", type=int, default=5000, help="max concurrent calls (SIPp -l)")
    ap.add_argument("--timeout", type=int, default=120, help="SIPp -timeout, seconds")
    ap.add_argument("--number", default="02012345678", help="the number called (the rules turn 0... into +44...)")
    ap.add_argument("--workers", type=int, default=2, help="osprey worker threads")
    ap.add_argument("--osprey-port", type=int, default=5076)
    ap.add_argument("--kamailio-port", type=int, default=5074, help="as kamailio-topos.cfg listens")
    ap.add_argument("--uas-port", type=int, default=5094)
    ap.add_argument("--uac-port", type=int, default=5093)
    ap.add_argument("--uac-ip", default="127.0.0.2")
    ap.add_argument("--start-wait", type=float, default=1.5)
    ap.add_argument("--hold", type=int, default=0,
                    help="seconds each call stays up before its BYE; with it the run also reports the server's "
                         "memory per active call, read when all --count calls are up (e.g. --count 10000 "
                         "--hold 40)")
    ap.add_argument("--without-topos", action="store_true",
                    help="Kamailio without topos (a plain record-routing proxy with the same rules): the baseline")
    ap.add_argument("--no-warmup", dest="warmup", action="store_false")
    a = ap.parse_args()
    servers = [a.only] if a.only else ["kamailio", "osprey"]
    for tool in [a.sipp] + ([a.redis, a.kamailio] if "kamailio" in servers else []):
        if shutil.which(tool) is None:
            print(f"{tool} not found", file=sys.stderr)
            return 2
    if "osprey" in servers and not os.access(a.osprey, os.X_OK):
        print(f"osprey binary not found: {a.osprey}", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="sbc-load-")
    rows = []
    print(f"{'server':<10} {'calls ok':>9} {'failed':>7} {'rule chk':>8} {'CPU us/call':>11} {'PSS KiB':>9} "
          f"{'wall s':>7}  note", flush=True)
    for pair in range(a.pairs):
        for server in servers:
            row = measure(a, server, work, f"{server}-{pair}")
            rows.append(row)
            cpu = f"{row['cpu_us']:.1f}" if row["cpu_us"] is not None else "-"
            print(f"{server:<10} {row['ok']:>9} {row['failed']:>7} {row['rule_failures']:>8} {cpu:>11} "
                  f"{row['pss_kib']:>9} {row['wall']:>7.1f}  {row['note']}", flush=True)
    medians = {}
    for server in servers:
        values = [r["cpu_us"] for r in rows if r["server"] == server and r["cpu_us"] is not None]
        if values:
            medians[server] = statistics.median(values)
            print(f"median {server}: {medians[server]:.1f} us/call ({', '.join(f'{v:.1f}' for v in values)})")
    if "osprey" in medians and "kamailio" in medians:
        ratio = medians["osprey"] / medians["kamailio"]
        print(f"osprey / kamailio: {ratio:.2f} (target: at most 0.50: {'met' if ratio <= 0.5 else 'missed'})")
    print(f"logs: {work}")
    clean = all(r["failed"] == 0 and r["ok"] == a.count and r["rule_failures"] == 0 for r in rows)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
