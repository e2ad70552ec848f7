"""Run one step as a child process; return its wall seconds and its own peak RSS.

`getrusage(RUSAGE_CHILDREN).ru_maxrss` is the peak of the largest child a process ever
waited for, so measured from the harness it would report the largest step so far, not this
one. Each step therefore runs under a fresh wrapper process (`python -m bench.measure`) that
starts exactly one child, waits for it and reports that child's peak alone.

The wrapper also samples the child's `/proc/<pid>/status` (RssAnon, RssFile): `datasets`
memory-maps Arrow files, and pages of a mapped file count in RSS although the kernel can
drop them at any time; the split says which part of a peak is real heap.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class StepResult:
    """One step's measurements. RSS figures in MB (10^6 bytes)."""

    name: str
    argv: list[str]
    wall_s: float
    peak_rss_mb: float
    peak_rss_anon_mb: float
    peak_rss_file_mb: float
    returncode: int
    stdout_tail: str
    stderr_tail: str

    def check(self) -> StepResult:
        """Fail loudly: a benchmark of a failed step is meaningless."""
        if self.returncode != 0:
            raise RuntimeError(
                f"step {self.name!r} failed (exit {self.returncode}): {' '.join(self.argv)}\n"
                f"--- stdout ---\n{self.stdout_tail}\n--- stderr ---\n{self.stderr_tail}"
            )
        return self


def measure(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    log_dir: Path | None = None,
) -> StepResult:
    """Run `argv` under a fresh wrapper process and return what the wrapper measured."""
    wrapper = [sys.executable, "-m", "bench.measure", "--", *argv]
    bench_root = str(Path(__file__).resolve().parents[1])
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (bench_root, child_env.get("PYTHONPATH", "")) if p
    )
    done = subprocess.run(
        wrapper, env=child_env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"measure wrapper failed for {name!r}: {done.stderr[-4000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / f"{name}.stdout").write_text(report["stdout"])
        (log_dir / f"{name}.stderr").write_text(report["stderr"])
    return StepResult(
        name=name,
        argv=list(argv),
        wall_s=report["wall_s"],
        peak_rss_mb=report["maxrss_kb"] * 1024 / 1e6,
        peak_rss_anon_mb=report["rss_anon_kb"] * 1024 / 1e6,
        peak_rss_file_mb=report["rss_file_kb"] * 1024 / 1e6,
        returncode=report["returncode"],
        stdout_tail=report["stdout"][-4000:],
        stderr_tail=report["stderr"][-4000:],
    )


def _sample_status(pid: int, peaks: dict[str, int], stop: threading.Event) -> None:
    """Peak RssAnon / RssFile (kB) of one process, sampled until `stop` is set."""
    path = f"/proc/{pid}/status"
    while not stop.is_set():
        try:
            with open(path) as handle:
                for line in handle:
                    key, _, rest = line.partition(":")
                    if key in peaks:
                        peaks[key] = max(peaks[key], int(rest.split()[0]))
        except (OSError, ValueError, IndexError):
            return
        stop.wait(SAMPLE_SECONDS)


def _wrap(argv: list[str]) -> dict:
    """Inside the wrapper: run the one child, time it, and read its rusage."""
    peaks = {"RssAnon": 0, "RssFile": 0}
    stop = threading.Event()
    started = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        sampler = threading.Thread(target=_sample_status, args=(child.pid, peaks, stop))
        sampler.start()
        stdout, stderr = child.communicate()
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": wall,
        "maxrss_kb": usage.ru_maxrss,  # Linux: kilobytes
        "rss_anon_kb": peaks["RssAnon"],
        "rss_file_kb": peaks["RssFile"],
        "returncode": child.returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m bench.measure -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    print(json.dumps(_wrap(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["StepResult", "measure", "asdict"]
