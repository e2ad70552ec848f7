"""`make bench` / `python -m bench.run`: one run of the whole benchmark, results to JSON.

For each scale: generate the data once (kimi at 7,646 conversations per 1x, plus a small
glm-5.1 slice for the incremental rebuild), then `--runs` times, each on a fresh warehouse and
fresh `datasets` caches (so baseline and ingest both pay the parquet -> Arrow conversion):

    baseline  python -m bench.baseline (load + tutorial loop)
    ingest    tracehouse ingest DATA --config kimi
    build     tracehouse build              (dbt build: every model and test)
    report    tracehouse report
    parse     dbt run --select +int_blocks_parsed (the parse and the staging views it reads),
              on a copy of the just-ingested file
    parse_sql python -m bench.parse_sql: the parse model's compiled SQL alone, in memory,
              nothing written (on that copy, after `parse`)
    rebuild_same   tracehouse build again, no new data
    ingest_extra   tracehouse ingest EXTRA --config glm-5.1
    rebuild_extra  tracehouse build after that
    floor_ingest, floor_parse, floor_build, floor_report
              the whole job's steps and the parse step on ONE generated conversation, each
              on its own warehouse: what they cost whatever the data (dbt's start-up and
              per-node work, process start-up), against the same run's baseline

Every step is a child process measured by `bench.measure` (wall seconds, its own peak RSS).
Ratios are taken within a run, then the median over runs is reported (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from bench import summary
from bench.compare import compare
from bench.dbt_timing import layer_totals, node_times
from bench.measure import StepResult, measure
from bench.parse_sql import MODELS as PARSE_SQL_MODELS
from tracehouse.warehouse import DEFAULT_MEMORY_LIMIT, MEMORY_ENV

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KIMI_CONVERSATIONS = 7_646
MAIN_CONFIG = "kimi"
FLOOR_CONVERSATIONS = 1  # the fixed-cost runs: one conversation
EXTRA_CONFIG = "glm-5.1"
DEFAULT_OUT = REPO / "bench" / "results" / "latest.json"
# the parse: the block index and the staging views it reads
PARSE_SELECT = ("--select", "+int_blocks_parsed")
# what dbt logs when it parses the whole project instead of what changed
FULL_PARSE_MESSAGE = "Unable to do partial parsing"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--scale", type=int, nargs="+", default=[1], help="1 (kimi size) and/or 10 (default: 1)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per scale (default: 3)")
    parser.add_argument(
        "--runs-10x", type=int, default=1, help="runs at scale 10 (default: 1; it is slow)"
    )
    parser.add_argument(
        "--keep-data",
        type=Path,
        default=None,
        metavar="DIR",
        help="generate the datasets into DIR and keep them (reused when already there)",
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a new temp folder)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"(default: {DEFAULT_OUT})")
    parser.add_argument(
        "--extra-fraction",
        type=float,
        default=0.1,
        help="size of the extra glm-5.1 slice relative to kimi (default: 0.1)",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=KIMI_CONVERSATIONS,
        help="conversations at scale 1 (default: 7646, the real kimi config; lower to try)",
    )
    parser.add_argument(
        "--incremental-runs",
        type=int,
        default=1,
        help="runs (from the first) that also measure the two rebuilds (default: 1)",
    )
    parser.add_argument(
        "--full-10x",
        action="store_true",
        help="at 10x also run parse and the incremental rebuilds (default: whole job only)",
    )
    parser.add_argument(
        "--exclude",
        nargs="+",
        default=[],
        metavar="SELECTOR",
        help="dbt selectors left out of every build (a what-if: say so when quoting it)",
    )
    parser.add_argument("--no-parse", action="store_true", help="skip the parse-layer step")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the one-conversation floor steps"
    )
    parser.add_argument("--no-report", action="store_true", help="skip the report step")
    parser.add_argument(
        "--no-readme", action="store_true", help="do not rewrite the table in bench/README.md"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="tracehouse-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data_root = args.keep_data or work / "data"
    previous = _read_json(args.out)
    results: dict[str, Any] = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "code": code_state(),
        "excluded_from_builds": args.exclude,
        "scales": dict(previous.get("scales", {})) if previous else {},
    }
    try:
        for scale in args.scale:
            conversations = args.conversations * scale
            runs = args.runs if scale == 1 else args.runs_10x
            full = scale == 1 or args.full_10x

            def save(measured: dict[str, Any], scale: int = scale) -> None:
                """After every run: a long benchmark interrupted keeps what it measured."""
                measured["started_at"] = results["started_at"]  # which invocation measured it
                results["scales"][str(scale)] = measured
                try:
                    finish(results, args)
                except Exception:  # noqa: BLE001 - never lose a long run to a summary bug
                    traceback.print_exc()

            bench_scale(
                scale,
                conversations,
                runs,
                args.extra_fraction,
                data_root,
                work,
                full=full,
                incremental_runs=args.incremental_runs,
                options=RunOptions(
                    parse=not args.no_parse,
                    report=not args.no_report,
                    floor=not args.no_floor,
                    exclude=args.exclude,
                ),
                save=save,
            )
    finally:
        if args.keep_data is None:
            shutil.rmtree(data_root, ignore_errors=True)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(summary.table(results))
    return 0


def finish(results: dict[str, Any], args: argparse.Namespace) -> None:
    """Ratios across scales and targets, then the JSON and the README table."""
    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results["linearity"] = summary.linearity(results["scales"])
    results["targets"] = summary.targets(results)
    results["dbt_full_parses"] = summary.full_parses(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    temporary.replace(args.out)
    if not args.no_readme:
        summary.write_readme_table(REPO / "bench" / "README.md", results)


@dataclass(frozen=True)
class RunOptions:
    """Which optional steps run, and dbt selectors left out of every build (a what-if)."""

    parse: bool = True
    report: bool = True
    floor: bool = True
    exclude: tuple[str, ...] | list[str] = ()


def bench_scale(
    scale: int,
    conversations: int,
    runs: int,
    extra_fraction: float,
    data_root: Path,
    work: Path,
    *,
    full: bool = True,
    incremental_runs: int = 1,
    options: RunOptions | None = None,
    save: Callable[[dict[str, Any]], None],
) -> None:
    """Generate (or reuse) this scale's data, run the steps `runs` times, `save` the summary
    of the runs so far after each one."""
    extra_conversations = max(1, round(conversations * extra_fraction))
    data = data_root / f"{MAIN_CONFIG}-{conversations}"
    extra = data_root / f"{EXTRA_CONFIG}-{extra_conversations}"
    generated = {"main": generate(data, conversations, MAIN_CONFIG, seed=0)}
    if full:
        generated["extra"] = generate(extra, extra_conversations, EXTRA_CONFIG, seed=1)
    options = options or RunOptions()
    floor = data_root / f"{MAIN_CONFIG}-{FLOOR_CONVERSATIONS}" if options.floor else None
    if floor is not None:
        generated["floor"] = generate(floor, FLOOR_CONVERSATIONS, MAIN_CONFIG, seed=0)
    all_runs: list[dict[str, Any]] = []

    def summarise(runs_so_far: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "conversations": conversations,
            "extra_conversations": extra_conversations,
            "data_bytes": _tree_bytes(data),
            "generate": generated,
            "runs": runs_so_far,
            "medians": summary.medians(runs_so_far),
            "ratios": summary.ratios(
                runs_so_far, extra_fraction=extra_conversations / conversations
            ),
            "compare": runs_so_far[0].get("compare"),
        }

    for index in range(runs):
        print(f"[bench] scale {scale}x, run {index + 1}/{runs}", file=sys.stderr, flush=True)
        run_dir = work / f"x{scale}-run{index}"
        record = one_run(
            run_dir,
            data,
            extra,
            check=index == 0,
            parse=full and options.parse,
            incremental=full and index < incremental_runs,
            report=options.report,
            floor=floor,
            exclude=options.exclude,
            on_step=lambda partial: save(summarise([*all_runs, partial])),
        )
        all_runs.append(record)
        save(summarise(all_runs))


def generate(out: Path, conversations: int, config: str, seed: int) -> dict[str, Any]:
    """`tracehouse generate`, unless this exact dataset is already there (--keep-data)."""
    truth = _read_json(out / "ground_truth.json")
    if truth and _truth_conversations(truth) == conversations:
        return {"reused": str(out)}
    shutil.rmtree(out, ignore_errors=True)
    argv = [str(BIN / "tracehouse"), "generate", str(out)]
    argv += ["--conversations", str(conversations), "--configs", config, "--seed", str(seed), "-q"]
    step = measure(f"generate-{config}", argv).check()
    return {"wall_s": round(step.wall_s, 2), "peak_rss_mb": round(step.peak_rss_mb)}


def one_run(
    run_dir: Path,
    data: Path,
    extra: Path,
    *,
    check: bool,
    parse: bool,
    incremental: bool,
    report: bool = True,
    floor: Path | None = None,
    exclude: Sequence[str] = (),
    on_step: Callable[[dict[str, Any]], None] = lambda partial: None,
) -> dict[str, Any]:
    """Every step once, on a fresh warehouse and fresh caches; the run's folder is removed.

    The whole job (baseline, ingest, build, report) always runs; `parse` adds the parse layer
    alone, `incremental` the two rebuilds (each as long as a build while the models are
    tables, hence only in the first run by default), `floor` (a one-conversation dataset)
    the floor steps."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    db, parse_db = run_dir / "warehouse.duckdb", run_dir / "parse.duckdb"
    target = run_dir / "target"
    logs = run_dir.parent / "logs" / run_dir.name  # kept with --work, for failed steps
    env = step_env(run_dir)
    dbt_paths = ["--target-path", str(target), "--log-path", str(logs)]
    build_args = [*dbt_paths, *(["--exclude", *exclude] if exclude else [])]
    tracehouse = str(BIN / "tracehouse")

    def build_argv(warehouse: Path) -> list[str]:
        """`tracehouse build` of `warehouse`, as every build step runs it."""
        return [tracehouse, "build", "--db", str(warehouse), "--", *build_args]

    steps: dict[str, dict[str, Any]] = {}
    state: dict[str, Any] = {"baseline": None, "loads": {}, "compared": None}

    def partial() -> None:
        """Hand the run so far to `on_step` (saved to disk), once the baseline is known."""
        if state["baseline"] is not None:
            on_step(
                _run_record(
                    steps,
                    state["baseline"],
                    state["loads"],
                    sizes={},
                    compared=state["compared"],
                    partial=True,
                )
            )

    def step(
        name: str,
        argv: list[str],
        step_env: Mapping[str, str] = env,
        required: bool = False,
        dbt_step: bool = False,
        cwd: Path = run_dir,
    ) -> bool:
        """Measure one step. A failed optional step is recorded (and shown in the table)
        rather than fatal: a dbt test failing still leaves a build worth timing."""
        result = measure(name, argv, env=step_env, cwd=cwd, log_dir=logs)
        if required:
            result.check()
        steps[name] = _step_record(result)
        if dbt_step:  # where dbt's seconds went, from this step's run_results.json
            nodes = node_times(target)
            steps[name]["dbt_layers"] = layer_totals(nodes)
            steps[name]["dbt_nodes"] = nodes[:20]  # the slowest ones
            # after the warm-up dbt parses partially; a full parse means the warm-up missed
            output = (logs / f"{name}.stdout").read_text(errors="replace")
            steps[name]["dbt_full_parse"] = FULL_PARSE_MESSAGE in output
        partial()
        status = "" if result.returncode == 0 else f"  FAILED (exit {result.returncode})"
        print(
            f"[bench]   {name:14s} {result.wall_s:8.2f} s  {result.peak_rss_mb:8.0f} MB{status}",
            file=sys.stderr,
            flush=True,
        )
        return result.returncode == 0

    baseline_json = run_dir / "baseline.json"
    step(
        "baseline",
        [
            sys.executable,
            "-m",
            "bench.baseline",
            str(data),
            "--config",
            MAIN_CONFIG,
            "--cache-dir",
            str(run_dir / "hf-baseline"),
            "--out",
            str(baseline_json),
        ],
        required=True,
    )
    baseline = json.loads(baseline_json.read_text())
    state["baseline"] = baseline
    partial()
    shutil.rmtree(run_dir / "hf-baseline", ignore_errors=True)

    step(
        "ingest",
        [tracehouse, "ingest", str(data), "--config", MAIN_CONFIG, "--db", str(db), "-q"],
        required=True,
    )
    loads = raw_loads(db, MAIN_CONFIG)
    state["loads"] = loads
    sizes: dict[str, int] = {"ingested": db.stat().st_size}
    if parse:
        shutil.copyfile(db, parse_db)  # the parse layer alone runs on this copy

    dbt = [str(BIN / "dbt")]
    project = ["--project-dir", str(REPO), "--profiles-dir", str(REPO)]
    parse_argv = [*dbt, "run", *PARSE_SELECT, *project, *dbt_paths]

    def warm_parse(dbt_env: Mapping[str, str]) -> None:
        """A warm partial-parse cache for the next dbt step, as every build after a user's
        first one has. Unmeasured. dbt parses the whole project again when the rendered
        profile changes, and the warehouse path is in it: warm with the step's environment.
        (`db` is warehouse.duckdb in the steps' working directory, the profile's default,
        so `tracehouse build --db` and plain dbt there render the same profile.)"""
        measure(
            "dbt-parse", [*dbt, "parse", *project, *dbt_paths], env=dbt_env, cwd=run_dir
        ).check()

    if parse:
        parse_env = {**env, "TRACEHOUSE_DB": str(parse_db)}
        # the parse models' full-build SQL for parse_sql, compiled before their tables exist.
        # Unmeasured; with the parse step's environment and paths it also stands in for
        # warm_parse: the step finds the partial-parse cache warm.
        parse_manifest = run_dir / "parse-manifest.json"
        compile_argv = [*dbt, "compile", "--select", *PARSE_SQL_MODELS, *project, *dbt_paths]
        measure("dbt-compile", compile_argv, env=parse_env, cwd=run_dir).check()
        shutil.copyfile(target / "manifest.json", parse_manifest)
        if step("parse", parse_argv, parse_env, dbt_step=True):
            parse_sql_json = run_dir / "parse-sql.json"
            parse_sql_argv = [
                sys.executable,
                "-m",
                "bench.parse_sql",
                "--db",
                str(parse_db),
                "--manifest",
                str(parse_manifest),
                "--out",
                str(parse_sql_json),
            ]
            step("parse_sql", parse_sql_argv)
            if parse_sql_json.exists():
                steps["parse_sql"].update(json.loads(parse_sql_json.read_text()))
        parse_db.unlink(missing_ok=True)

    warm_parse(env)
    if step("build", build_argv(db), dbt_step=True):
        sizes["built"] = db.stat().st_size
    report_page = run_dir / "report.html"
    report_argv = [tracehouse, "report", "--db", str(db), "--out", str(report_page), "-q"]
    # the page itself (`report`), and apart from it the dbt docs site that `tracehouse
    # report` also writes by default (`docs`: a whole dbt invocation, outside the whole job)
    if report and step("report", [*report_argv, "--no-docs"]):
        steps["report"]["page_bytes"] = report_page.stat().st_size
    if report:
        docs_argv = [*dbt, "docs", "generate", "--static", *project, *dbt_paths]
        step("docs", docs_argv, env, dbt_step=False)
    compared = compare(db, data, MAIN_CONFIG, baseline["counts"]) if check else None
    state["compared"] = compared
    partial()

    if floor is not None:
        # Each floor warehouse is `warehouse.duckdb` in the step's working directory, the
        # profile's default, like the build's: dbt's partial parse stays warm.
        floor_parse_dir, floor_dir = run_dir / "floor-parse", run_dir / "floor"
        floor_parse_dir.mkdir()
        floor_dir.mkdir()
        floor_db = floor_dir / "warehouse.duckdb"
        floor_ingest = [tracehouse, "ingest", str(floor), "--config", MAIN_CONFIG, "-q"]
        step("floor_ingest", [*floor_ingest, "--db", str(floor_db)], cwd=floor_dir)
        shutil.copyfile(floor_db, floor_parse_dir / "warehouse.duckdb")
        step("floor_parse", parse_argv, cwd=floor_parse_dir)
        step("floor_build", build_argv(floor_db), cwd=floor_dir)
        floor_page = floor_dir / "report.html"
        floor_report = [tracehouse, "report", "--db", str(floor_db), "--out", str(floor_page)]
        step("floor_report", [*floor_report, "-q", "--no-docs"], cwd=floor_dir)
        shutil.rmtree(floor_parse_dir, ignore_errors=True)
        shutil.rmtree(floor_dir, ignore_errors=True)

    if incremental:
        step("rebuild_same", build_argv(db), dbt_step=True)
        step(
            "ingest_extra",
            [tracehouse, "ingest", str(extra), "--config", EXTRA_CONFIG, "--db", str(db), "-q"],
        )
        step(
            "rebuild_extra",
            build_argv(db),
            dbt_step=True,
        )
    sizes["final"] = db.stat().st_size
    shutil.rmtree(run_dir, ignore_errors=True)

    return _run_record(steps, baseline, loads, sizes=sizes, compared=compared)


def _run_record(
    steps: dict[str, Any],
    baseline: Mapping[str, Any],
    loads: Mapping[str, Any],
    *,
    sizes: Mapping[str, int],
    compared: dict[str, Any] | None,
    partial: bool = False,
) -> dict[str, Any]:
    return {
        "partial": partial,  # true: the run was interrupted after the steps listed
        "steps": steps,
        "baseline": {
            "load_s": baseline["load_s"],
            "loop_s": baseline["loop_s"],
            "messages": baseline["counts"]["messages"],
            "conversations": baseline["counts"]["conversations"],
        },
        "ingest_loads": dict(loads),
        # the warehouse file after the ingest, after the first build, and at the end
        "warehouse_bytes": dict(sizes),
        "compare": compared,
    }


def step_env(run_dir: Path) -> dict[str, str]:
    """Fresh `datasets` cache per run, offline hub, quiet progress bars."""
    env = dict(os.environ)
    env.update(
        {
            "HF_DATASETS_CACHE": str(run_dir / "hf-cache"),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TQDM_DISABLE": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PYTHONPATH": str(REPO),
        }
    )
    env.pop("TRACEHOUSE_DB", None)
    return env


def raw_loads(db: Path, config: str) -> dict[str, Any]:
    """What the ingest itself recorded in raw.loads for this config."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "select conversations, messages, message_bytes, "
            "epoch(finished_at) - epoch(started_at) from raw.loads where config = ? "
            "order by finished_at desc limit 1",
            [config],
        ).fetchone()
    finally:
        con.close()
    keys = ("conversations", "messages", "message_bytes", "internal_s")
    return dict(zip(keys, row, strict=True)) if row else {}


def code_state() -> dict[str, Any]:
    """The commit measured and the files that differed from it when the run started.

    The tree is shared with engineers editing the models: a benchmark of uncommitted work in
    progress must say so, or its figures are quoted for code that never existed."""

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    paths = ("dbt_project", "ingest", "reports", "tracehouse", "dbt_project.yml", "profiles.yml")
    dirty = git("status", "--porcelain", "--", *paths).splitlines()
    return {"commit": git("rev-parse", "HEAD"), "dirty": dirty}


def machine() -> dict[str, Any]:
    """Enough context to read the figures; absolute times still do not compare across runs."""
    mem_kb = 0
    try:
        with open("/proc/meminfo") as handle:
            mem_kb = int(handle.readline().split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "memory_limit": os.environ.get(MEMORY_ENV, f"{DEFAULT_MEMORY_LIMIT} (project default)"),
        "platform": platform.platform(),
    }


def _step_record(result: StepResult) -> dict[str, Any]:
    failed = (
        {"ok": True}
        if result.returncode == 0
        else {
            "ok": False,
            "returncode": result.returncode,
            "error_tail": result.stderr_tail[-1000:],
            "output_tail": result.stdout_tail[-3000:],  # dbt prints the failing nodes here
        }
    )
    return {
        **failed,
        "wall_s": round(result.wall_s, 3),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "peak_rss_anon_mb": round(result.peak_rss_anon_mb, 1),
        "peak_rss_file_mb": round(result.peak_rss_file_mb, 1),
    }


def _truth_conversations(truth: Mapping[str, Any]) -> int | None:
    total = truth.get("total")
    return total.get("conversations") if isinstance(total, Mapping) else None


def _tree_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


if __name__ == "__main__":
    sys.exit(main())
