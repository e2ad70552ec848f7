"""Run one command; print its wall seconds and the peak of the summed RSS of its process tree.

bench.measure reports one process's peak (getrusage and /proc of its child). A Spark build
runs in two processes at once, Python (dbt) and the JVM that pyspark starts, so its memory is
their sum: this samples every descendant's VmRSS every SAMPLE_SECONDS and keeps the largest
total. Sampling can miss a peak shorter than the interval.

    python -m bench.measure_tree -- tracehouse build --target spark --lake lake/
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

SAMPLE_SECONDS = 0.5


def descendants(root: int) -> list[int]:
    """root and every process below it, from /proc/<pid>/stat parent ids."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m bench.measure_tree -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    started = time.monotonic()
    peak_kb = 0
    with subprocess.Popen(argv) as child:
        while child.poll() is None:
            peak_kb = max(peak_kb, sum(rss_kb(pid) for pid in descendants(child.pid)))
            time.sleep(SAMPLE_SECONDS)
    result = {
        "wall_s": round(time.monotonic() - started, 1),
        "peak_tree_rss_mb": round(peak_kb * 1024 / 1e6),
        "returncode": child.returncode,
    }
    print(json.dumps(result), file=sys.stderr)
    return child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
