"""A server's cost as the kernel counts it, the reading ../shared/tools/loadtest.py makes: CPU is
utime+stime (fields 14 and 15 of /proc/PID/stat) summed over the process and its descendants,
memory is the proportional set size (smaps_rollup Pss) of the same tree. Shared by the load
scripts of bench/."""

import os
import subprocess

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid):
    """pid and every process descended from it, from the parent links in /proc."""
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        q = todo.pop()
        out.append(q)
        todo.extend(kids.get(q, []))
    return out


def cpu_ticks(pid):
    """utime+stime in clock ticks over pid and its descendants."""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def cpu_seconds(pid):
    return cpu_ticks(pid) / TICK


def pss_kib(pid):
    """Proportional set size of pid and its descendants, in KiB."""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def stop(proc, grace=5.0):
    """SIGTERM, then SIGKILL after grace seconds. Returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace)
    return proc.returncode
