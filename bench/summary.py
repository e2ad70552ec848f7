"""Medians, same-run ratios, targets and the Markdown table of a benchmark run.

The machine is shared and noisy: absolute seconds do not compare between runs, so every ratio
is taken between steps of the *same* run and only then the median over runs is reported.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

STEPS = (
    "baseline",
    "ingest",
    "build",
    "report",
    "docs",
    "parse",
    "parse_sql",
    "rebuild_same",
    "ingest_extra",
    "rebuild_extra",
    "floor_ingest",
    "floor_parse",
    "floor_build",
    "floor_report",
)
WHOLE_JOB = ("ingest", "build", "report")
# the whole job's steps on one conversation (bench/run.py): what they cost whatever the data
FLOOR_JOB = ("floor_ingest", "floor_build", "floor_report")
# steps that are not tracehouse's own (the peak-RSS target is about tracehouse's steps)
NOT_TRACEHOUSE = ("baseline", "parse_sql")
README_START = "<!-- bench:results:start -->"
README_END = "<!-- bench:results:end -->"


def medians(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per step: median wall, median and max peak RSS; the baseline's load and loop apart.

    Steps that failed in some run are summarised over the runs where they succeeded, and
    counted in `failed_runs` (the table shows them)."""
    found: dict[str, Any] = {}
    for name in STEPS:
        steps = [run["steps"][name] for run in runs if name in run["steps"]]
        good = [step for step in steps if step.get("ok", True)]
        if not steps:
            continue
        found[name] = {
            "wall_s": _median([s["wall_s"] for s in good]),
            "peak_rss_mb": _median([s["peak_rss_mb"] for s in steps]),
            "peak_rss_mb_max": max(s["peak_rss_mb"] for s in steps),
            "peak_rss_anon_mb_max": max(s["peak_rss_anon_mb"] for s in steps),
            "failed_runs": len(steps) - len(good),
        }
    found["baseline_load_s"] = _median([run["baseline"]["load_s"] for run in runs])
    found["baseline_loop_s"] = _median([run["baseline"]["loop_s"] for run in runs])
    found["whole_job_s"] = _median(_present(_whole(run) for run in runs))
    found["whole_job_floor_s"] = _median(_present(_whole(run, FLOOR_JOB) for run in runs))
    found["parse_models_s"] = _median(_present(_parse_models(run) for run in runs))
    found["parse_sql_query_s"] = _median(_present(_parse_sql_query(run) for run in runs))
    found["report_page_bytes"] = _median(
        _present(run["steps"].get("report", {}).get("page_bytes") for run in runs)
    )
    for size in ("ingested", "built"):  # the warehouse file after ingest and after build
        found[f"warehouse_{size}_bytes"] = _median(
            _present((run.get("warehouse_bytes") or {}).get(size) for run in runs)
        )
    found["build_layers_s"] = _median_by_key(
        run["steps"].get("build", {}).get("dbt_layers") or {} for run in runs
    )
    found["build_nodes_s"] = _median_by_key(
        {
            node["node"]: node["seconds"]
            for node in run["steps"].get("build", {}).get("dbt_nodes", [])
        }
        for run in runs
    )
    return found


def ratios(runs: Sequence[Mapping[str, Any]], *, extra_fraction: float) -> dict[str, Any]:
    """Same-run ratios, median over runs. `>1` on a speedup means tracehouse is faster.

    A ratio that needs a failed step is left out for that run."""
    per_run: dict[str, list[float]] = {}

    def add(key: str, numerator: float | None, denominator: float | None) -> None:
        if numerator is not None and denominator:
            per_run.setdefault(key, []).append(numerator / denominator)

    for run in runs:
        wall = {name: _wall(run, name) for name in STEPS}
        base = run["baseline"]
        whole = _whole(run)
        conversations = base["conversations"]
        add("whole_job_over_baseline", whole, wall["baseline"])
        add("build_over_baseline", wall["build"], wall["baseline"])
        sizes = run.get("warehouse_bytes") or {}
        add("warehouse_built_over_ingested", sizes.get("built"), sizes.get("ingested"))
        add("parse_speedup_vs_baseline_loop", base["loop_s"], wall["parse"])
        add("parse_speedup_vs_baseline_total", wall["baseline"], wall["parse"])
        add("parse_models_speedup_vs_baseline_loop", base["loop_s"], _parse_models(run))
        add("parse_sql_speedup_vs_baseline_loop", base["loop_s"], _parse_sql_query(run))
        # the same two ratios for the floor steps: the best the targets' ratios could be if
        # every step's data-dependent work took no time
        add("whole_job_floor_over_baseline", _whole(run, FLOOR_JOB), wall["baseline"])
        add("build_floor_over_baseline", wall["floor_build"], wall["baseline"])
        add("parse_floor_speedup_vs_baseline_loop", base["loop_s"], wall["floor_parse"])
        add("rebuild_same_over_build", wall["rebuild_same"], wall["build"])
        add("rebuild_extra_over_build", wall["rebuild_extra"], wall["build"])
        build_models = _models(run, "build")
        add("rebuild_same_models_over_build_models", _models(run, "rebuild_same"), build_models)
        add("rebuild_extra_models_over_build_models", _models(run, "rebuild_extra"), build_models)
        loads = run.get("ingest_loads") or {}
        if loads:
            add("ingest_conversations_per_s", loads["conversations"], wall["ingest"])
            add("ingest_messages_per_s", loads["messages"], wall["ingest"])
            add("ingest_mb_per_s", loads["message_bytes"] / 1e6, wall["ingest"])
        add("whole_job_ms_per_conversation", None if whole is None else 1000 * whole, conversations)
        add("baseline_ms_per_conversation", 1000 * wall["baseline"], conversations)
    found = {key: _median(values) for key, values in per_run.items()}
    found["extra_data_fraction"] = round(extra_fraction, 4)
    found["runs"] = len(runs)
    return found


def linearity(scales: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """10x against 1x: per-conversation cost ratios (raw, and normalised by the baseline's).

    The two scales may come from different invocations (the file keeps the last result of
    each); the baseline-normalised ratio is the one that survives a change of machine load.
    """
    one, ten = scales.get("1"), scales.get("10")
    if not one or not ten:
        return {}
    found: dict[str, Any] = {}
    for key in (
        "whole_job_ms_per_conversation",
        "baseline_ms_per_conversation",
        "whole_job_over_baseline",
    ):
        if one["ratios"].get(key) and ten["ratios"].get(key):
            found[f"{key}_10x_over_1x"] = _round(ten["ratios"][key] / one["ratios"][key])
    for step in (*WHOLE_JOB, "parse"):
        walls = [data["medians"].get(step, {}).get("wall_s") for data in (one, ten)]
        if all(walls):
            per_one, per_ten = (
                w / d["conversations"] for w, d in zip(walls, (one, ten), strict=True)
            )
            found[f"{step}_per_conversation_10x_over_1x"] = _round(per_ten / per_one)
    found["same_invocation"] = one.get("started_at") == ten.get("started_at")
    return found


# The lean-warehouse issue's targets, per scale: (name, ratio key or step, limit, kind).
TARGETS: dict[str, tuple[tuple[str, str, float, str], ...]] = {
    "1": (
        (
            "built warehouse file / same data ingested only",
            "warehouse_built_over_ingested",
            1.3,
            "max",
        ),
        ("tracehouse build / baseline (load + loop)", "build_over_baseline", 1.5, "max"),
        ("whole job (ingest + build + report) / baseline", "whole_job_over_baseline", 2.5, "max"),
        (
            "parse SQL alone, speed-up over the loop",
            "parse_sql_speedup_vs_baseline_loop",
            3.0,
            "min",
        ),
        ("report (s; the warehouse issue's, not #19's)", "report", 5.0, "max_wall"),
    ),
    "10": (
        (
            "built warehouse file / same data ingested only",
            "warehouse_built_over_ingested",
            1.3,
            "max",
        ),
        ("tracehouse build / baseline (load + loop)", "build_over_baseline", 1.0, "max"),
        ("whole job (ingest + build + report) / baseline", "whole_job_over_baseline", 1.5, "max"),
        (
            "parse SQL alone, speed-up over the loop",
            "parse_sql_speedup_vs_baseline_loop",
            3.0,
            "min",
        ),
        ("build peak RSS (MB)", "build", 2000.0, "max_rss"),
        ("rebuild after +10% data / build", "rebuild_extra_over_build", 0.2, "max"),
    ),
}


def targets(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets with the figure measured and whether it is met (missing figures,
    e.g. from a failed step or a scale not run, are listed as not measured)."""
    found: list[dict[str, Any]] = []
    for scale, checks in TARGETS.items():
        data = results["scales"].get(scale)
        r = data["ratios"] if data else {}
        m = data["medians"] if data else {}
        for name, key, limit, kind in checks:
            if kind == "max_wall":
                value = m.get(key, {}).get("wall_s")
            elif kind == "max_rss":
                value = m.get(key, {}).get("peak_rss_mb_max")
            else:
                value = r.get(key)
            if kind == "min":
                found.append(
                    _target(f"{name} ({scale}x) >= {limit:g}", value, lambda v, t=limit: v >= t)
                )
            else:
                found.append(
                    _target(f"{name} ({scale}x) <= {limit:g}", value, lambda v, t=limit: v <= t)
                )
    return found


def full_parses(results: Mapping[str, Any]) -> list[str]:
    """The dbt steps that parsed the whole project ("1x run 2 build"): each then includes
    several seconds that a user's repeated builds do not pay."""
    found = []
    for scale, data in sorted(results["scales"].items(), key=lambda item: int(item[0])):
        for number, run in enumerate(data.get("runs", []), start=1):
            for name, step in run.get("steps", {}).items():
                if step.get("dbt_full_parse"):
                    found.append(f"{scale}x run {number} {name}")
    return found


def table(results: Mapping[str, Any]) -> str:
    """The Markdown table for bench/README.md and the terminal."""
    box = results["machine"]
    lines = [
        f"Measured {results.get('started_at', '?')} with `{results.get('command', '')}` "
        f"({box['cpus']} CPUs, {box['memory_gb']} GB, DuckDB {box['duckdb']}, "
        f"memory_limit {box['memory_limit']}).",
        "",
    ]
    code = results.get("code") or {}
    if code:
        dirty = code.get("dirty") or []
        state = "clean" if not dirty else "; ".join(dirty[:3]) + (" ..." if len(dirty) > 3 else "")
        lines += [f"Code: {code.get('commit', '?')[:12]} ({state}).", ""]
    notes = list(results.get("notes", []))
    if results.get("dbt_full_parses"):
        parsed = ", ".join(results["dbt_full_parses"])
        notes.append(f"dbt parsed the whole project (its warm-up missed) in: {parsed}.")
    lines += [f"- Note: {note}" for note in notes]
    if notes:
        lines.append("")
    for scale, data in sorted(results["scales"].items(), key=lambda item: int(item[0])):
        m, r = data["medians"], data["ratios"]
        lines += [
            f"**{scale}x**: {data['conversations']:,} conversations "
            f"({data['data_bytes'] / 1e6:,.0f} MB parquet), median of {r['runs']} run(s).",
            "",
            "| step | median wall (s) | peak RSS (MB, max of runs) |",
            "|---|---:|---:|",
        ]
        for name in STEPS:
            if name in m:
                failed = m[name]["failed_runs"]
                note = f" (failed in {failed} run(s))" if failed else ""
                wall, rss = _fmt(m[name]["wall_s"]), m[name]["peak_rss_mb_max"]
                lines.append(f"| {name}{note} | {wall} | {rss:.0f} |")
        lines += [
            f"| baseline: load / loop | {_fmt(m['baseline_load_s'])} / "
            f"{_fmt(m['baseline_loop_s'])} | |",
            f"| whole job (ingest + build + report) | {_fmt(m['whole_job_s'])} | |",
            f"| whole job on one conversation (floor_ingest + floor_build + floor_report) | "
            f"{_fmt(m.get('whole_job_floor_s'))} | |",
            f"| parse models only (dbt run_results) | {_fmt(m['parse_models_s'])} | |",
            f"| parse SQL alone, in memory (parse_sql's query) | "
            f"{_fmt(m.get('parse_sql_query_s'))} | |",
            f"| warehouse file after ingest / after build (MB) | "
            f"{_fmt_mb(m.get('warehouse_ingested_bytes'))} / "
            f"{_fmt_mb(m.get('warehouse_built_bytes'))} | |",
            "",
            "| same-run ratio (median) | value |",
            "|---|---:|",
        ]
        for key, value in r.items():
            if key != "runs":
                lines.append(f"| {key} | {_fmt(value)} |")
        lines.append("")
        lines += _build_breakdown(m)
    lin = results.get("linearity") or {}
    if lin:
        lines += ["| 10x vs 1x | value |", "|---|---:|"]
        lines += [f"| {key} | {_fmt(value)} |" for key, value in lin.items()]
        lines.append("")
    lines += ["| target | measured | met |", "|---|---:|---|"]
    for target in results.get("targets", []):
        met = "yes" if target["met"] else "**no**"
        if target["measured"] is None:
            met = "not measured"
        lines.append(f"| {target['target']} | {_fmt(target['measured'])} | {met} |")
    return "\n".join(lines) + "\n"


def _build_breakdown(m: Mapping[str, Any], top: int = 8) -> list[str]:
    """Where the build's seconds go: dbt's seconds per layer and the slowest nodes
    (run_results.json; dbt's `test` layer is the data tests)."""
    layers, nodes = m.get("build_layers_s") or {}, m.get("build_nodes_s") or {}
    if not layers:
        return []
    by_layer = ", ".join(f"{layer} {_fmt(seconds)}" for layer, seconds in layers.items())
    lines = [
        f"Build, dbt's seconds per layer (median): {by_layer}.",
        "",
        "| slowest build nodes | median s |",
        "|---|---:|",
    ]
    for node, seconds in list(nodes.items())[:top]:
        lines.append(f"| {node.split('.')[0]} `{node.split('.')[-1]}` | {_fmt(seconds)} |")
    return [*lines, ""]


def write_readme_table(readme: Path, results: Mapping[str, Any]) -> None:
    """Replace the marked section of bench/README.md with the latest table."""
    if not readme.exists():
        return
    text = readme.read_text()
    block = f"{README_START}\n{table(results)}{README_END}"
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    if pattern.search(text):
        readme.write_text(pattern.sub(lambda _: block, text))


def _wall(run: Mapping[str, Any], name: str) -> float | None:
    """A step's wall seconds, or None when it is missing or failed in this run."""
    step = run["steps"].get(name)
    return step["wall_s"] if step and step.get("ok", True) else None


def _whole(run: Mapping[str, Any], steps: Sequence[str] = WHOLE_JOB) -> float | None:
    walls = [_wall(run, name) for name in steps]
    return None if None in walls else sum(walls)


def _models(run: Mapping[str, Any], name: str) -> float | None:
    """Seconds dbt spent in models and tests of one dbt step (run_results.json)."""
    step = run["steps"].get(name, {})
    layers = step.get("dbt_layers")
    return sum(layers.values()) if layers and step.get("ok", True) else None


def _parse_models(run: Mapping[str, Any]) -> float | None:
    layers = run["steps"].get("parse", {}).get("dbt_layers")
    if not layers:
        return None
    return sum(layers.get(layer, 0.0) for layer in ("staging", "intermediate"))


def _parse_sql_query(run: Mapping[str, Any]) -> float | None:
    """Seconds of parse_sql's query, when it produced exactly the parse step's rows."""
    step = run["steps"].get("parse_sql", {})
    if not step.get("ok", True) or not step.get("identical_to_stored_tables"):
        return None
    return step.get("query_s")


def _median_by_key(mappings: Any) -> dict[str, float]:
    """Per key, the median over the mappings that have it; largest first. The runs record
    only a build's slowest nodes, so a node is summarised over the runs that listed it."""
    values: dict[str, list[float]] = {}
    for mapping in mappings:
        for key, value in mapping.items():
            values.setdefault(key, []).append(value)
    found = {key: _median(found) for key, found in values.items()}
    return dict(sorted(found.items(), key=lambda item: -(item[1] or 0.0)))


def _present(values: Any) -> list[float]:
    return [value for value in values if value is not None]


def _target(name: str, measured: float | None, test: Callable[[float], bool]) -> dict[str, Any]:
    if measured is None:
        return {"target": name, "measured": None, "met": False}
    return {"target": name, "measured": _round(measured), "met": bool(test(measured))}


def _median(values: Sequence[float]) -> float | None:
    """None when no run produced the figure (a failed step), never a misleading 0."""
    return _round(statistics.median(values)) if values else None


def _round(value: float) -> float:
    return round(float(value), 4)


def _fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:,.0f}"


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)
