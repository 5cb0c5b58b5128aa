#!/usr/bin/env python3
"""Runs osprey_bench and prints a markdown table plus PASS/FAIL lines for the parser targets.

    python3 bench/bench_table.py build/release/bench/osprey_bench [--repetitions N] [--strict] [-- benchmark args]

Each benchmark runs --repetitions times (default 3) and the median CPU time is used; all numbers
come from one run, so the ratios are meaningful even on a noisy machine (DESIGN.md). --strict
makes the exit status 1 when a target fails. Standard library only.
"""
import argparse
import json
import subprocess
import sys

# The parser's targets, for the ~900-byte INVITE with SDP.
TARGET_MESSAGE = "invite_sdp"
FRAME_MAX_NS = 250.0
FULL_MAX_NS = 1500.0
MIN_RATIO_VS_OSIP = 5.0


def run(binary, repetitions, extra):
    cmd = [
        binary,
        "--benchmark_format=json",
        f"--benchmark_repetitions={repetitions}",
        "--benchmark_report_aggregates_only=true",
    ] + extra
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)


def collect(report):
    """{run_name: {"ns": median cpu ns, "allocs": ..., "bytes": ...}}"""
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    results = {}
    for b in report["benchmarks"]:
        if b.get("error_occurred"):
            results[b.get("run_name", b["name"])] = {"error": b.get("error_message", "error")}
            continue
        single = b.get("run_type") == "iteration"
        if not single and b.get("aggregate_name") != "median":
            continue
        results[b.get("run_name", b["name"])] = {
            "ns": b["cpu_time"] * scale[b.get("time_unit", "ns")],
            "allocs": b.get("allocs"),
            "bytes": b.get("bytes"),
        }
    return results


def fmt_ns(r):
    if r is None:
        return "n/a"
    if "error" in r:
        return "error"
    return f"{r['ns']:.0f}"


def fmt_allocs(r):
    if r is None or "error" in r or r.get("allocs") is None:
        return "n/a"
    a = r["allocs"]
    if a < 0:
        return "not counted"
    return f"{a:.0f}" if abs(a - round(a)) < 1e-9 else f"{a:.2f}"


def ratio(slow, fast):
    if not slow or not fast or "error" in slow or "error" in fast or fast["ns"] <= 0:
        return None
    return slow["ns"] / fast["ns"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", help="path to osprey_bench")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.extra = extra

    report = run(args.binary, args.repetitions, args.extra)
    results = collect(report)
    context = report.get("context", {})

    messages = []
    for name in results:
        parts = name.split("/")
        if parts[0] == "osprey" and parts[1] == "frame" and parts[2] not in messages:
            messages.append(parts[2])

    have_osip = any(n.startswith("osip/") for n in results)
    have_sofia = any(n.startswith("sofia/") for n in results)

    print(f"host: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} cpus @ "
          f"{context.get('mhz_per_cpu', '?')} MHz, libbenchmark build: {context.get('library_build_type', '?')}; "
          f"libosip2: {context.get('libosip2', '?')}; sofia-sip: {context.get('sofia-sip', '?')}")
    print(f"median CPU time of {args.repetitions} repetitions, ns per message; allocs = heap allocations per message")
    print()
    print("| message | bytes | osprey frame ns | osprey full ns | osip ns | sofia ns | osip/osprey-full "
          "| allocs(frame) | allocs(full) | allocs(osip) | allocs(sofia) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in messages:
        frame = results.get(f"osprey/frame/{m}")
        full = results.get(f"osprey/full/{m}")
        osip = results.get(f"osip/{m}")
        sofia = results.get(f"sofia/{m}")
        r = ratio(osip, full)
        size = frame.get("bytes") if frame else None
        print(f"| {m} | {size:.0f} | {fmt_ns(frame)} | {fmt_ns(full)} | {fmt_ns(osip)} | {fmt_ns(sofia)} | "
              f"{'n/a' if r is None else f'{r:.1f}x'} | {fmt_allocs(frame)} | {fmt_allocs(full)} | "
              f"{fmt_allocs(osip)} | {fmt_allocs(sofia)} |")
    print()

    failed = False

    def verdict(ok, text):
        nonlocal failed
        if ok is None:
            print(f"SKIP {text}")
            return
        failed = failed or not ok
        print(f"{'PASS' if ok else 'FAIL'} {text}")

    frame = results.get(f"osprey/frame/{TARGET_MESSAGE}")
    full = results.get(f"osprey/full/{TARGET_MESSAGE}")
    osip = results.get(f"osip/{TARGET_MESSAGE}")
    if frame is None or full is None or "error" in frame or "error" in full:
        print(f"FAIL no osprey results for {TARGET_MESSAGE}")
        failed = True
    else:
        verdict(frame["ns"] <= FRAME_MAX_NS,
                f"(a) {TARGET_MESSAGE} framing + transaction key: {frame['ns']:.0f} ns <= {FRAME_MAX_NS:.0f} ns")
        allocs = frame.get("allocs")
        verdict(None if allocs is None or allocs < 0 else allocs == 0,
                f"(a) {TARGET_MESSAGE} framing allocations: {fmt_allocs(frame)} == 0")
        verdict(full["ns"] <= FULL_MAX_NS,
                f"(b) {TARGET_MESSAGE} full parse: {full['ns']:.0f} ns <= {FULL_MAX_NS:.0f} ns")
        for label, res in (("(a) framing", frame), ("(b) full parse", full)):
            r = ratio(osip, res)
            if not have_osip or r is None:
                verdict(None, f"{label} >= {MIN_RATIO_VS_OSIP:.0f}x faster than libosip2 (libosip2 not built in)")
            else:
                verdict(r >= MIN_RATIO_VS_OSIP,
                        f"{label} {r:.1f}x faster than libosip2 ({osip['ns']:.0f} ns) >= {MIN_RATIO_VS_OSIP:.0f}x")
    if not have_sofia:
        print("note: sofia-sip not built in")
    if args.strict and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
