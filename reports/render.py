"""The report: marts -> findings and charts -> one self-contained HTML page (Jinja2)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import matplotlib.pyplot as plt
from markupsafe import Markup

from tracehouse.reports import charts, queries

TEMPLATES = Path(__file__).resolve().parent / "templates"
DOCS_DIR_NAME = "dbt-docs"
PREVIEW_CHARS = 300  # report_trace_steps keeps this many characters of each step
MIN_CALLS_FOR_RATE = 20  # a tool's failure rate is ranked only with at least this many calls
MIN_CONVERSATIONS_FOR_RATE = 5  # likewise a category's completion rate


def write_report(db: Path, out: Path, *, docs: bool = True) -> Path:
    """Render the report of the warehouse `db` into `out` (and the dbt docs beside it)."""
    db, out = Path(db), Path(out)
    con = queries.open_marts(db)
    try:
        context = collect(con)
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    context["docs_href"] = generate_docs(db, out.parent) if docs else None
    html = render(context)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, out)
    return out


def render(context: dict[str, Any]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = _num
    environment.filters["pct"] = _pct
    return environment.get_template("report.html.j2").render(**context)


def collect(con) -> dict[str, Any]:
    """Every figure, finding and chart of the page, from the marts."""
    tables = queries.mart_tables(con)
    overview = queries.overview(con)
    configs = [row["config"] for row in overview if row["config"] is not None]
    total = next((row for row in overview if row["config"] is None), None)
    data = {
        "reasoning": queries.reasoning_around_tools(con, tables),
        "completion": queries.completion_by_category(con, tables),
        "usage": queries.tool_usage_vs_length(con, tables),
        "tools": queries.tools(con),
        "by_category": queries.tool_calls_by_category(con),
        "lengths": queries.length_histogram(con),
        "turn_kinds": queries.turn_kind_mix(con),
        "parallel": queries.parallel_width(con, tables),
        "transitions": queries.transitions(con, tables),
        "steps": queries.step_sequences(con, tables),
        "depth": queries.reasoning_depth(con),
        "length_dist": queries.length_distributions(con),
    }
    tool_rows = [row for row in data["tools"] if row["config"] is not None]
    all_tools = [row for row in data["tools"] if row["config"] is None]
    examples = queries.error_examples(con, tables)
    replays = (
        [
            {
                **conversation,
                "steps": [
                    _step(step)
                    for step in queries.replay_steps(con, conversation["conversation_key"])
                ],
                "total_steps": queries.step_count(con, conversation["conversation_key"]),
            }
            for conversation in queries.replay_conversations(con)
        ]
        if "report_trace_steps" in tables
        else []
    )

    has_calls = bool(total and total["tool_calls"])
    charts.reset_ids()
    with plt.rc_context(charts.STYLE):
        figures = {
            "think": charts.think_around_tools(data["reasoning"], configs),
            "completion": charts.completion_by_category(data["completion"], configs),
            "usage": charts.tool_usage_vs_length(
                data["usage"]["points"], data["usage"]["trend"], configs
            ),
            "top_tools": charts.top_tools(tool_rows, configs),
            "by_category": charts.tool_calls_by_category(data["by_category"], configs),
            "lengths": charts.length_histogram(data["lengths"], configs),
            "turn_kinds": charts.turn_kind_mix(data["turn_kinds"], configs),
            "parallel": charts.parallel_width(data["parallel"], configs),
            "transitions": charts.transitions(data["transitions"], configs),
            "steps": charts.step_sequences(data["steps"], configs),
            "depth": charts.reasoning_depth(data["depth"], configs),
            "length_dist": charts.length_distributions(data["length_dist"], configs),
        }
    return {
        "title": "tracehouse report",
        "configs": configs,
        "overview": [row for row in overview if row["config"] is not None],
        "total": total,
        "build": queries.build_info(con, tables),
        "has_calls": has_calls,
        "findings": {
            "think": find_think(data["reasoning"], configs),
            "completion": find_completion(data["completion"], configs),
            "usage": find_usage(data["usage"]["trend"], configs),
            "tools": find_tools(tool_rows, configs),
        },
        "charts": {name: Markup(svg) for name, svg in figures.items()},
        "tool_table": _tool_table(all_tools, tool_rows, configs, examples),
        "completion_table": data["completion"],
        "gaps": queries.declaration_gaps(con, tables),
        "has_gap_mart": "tool_declaration_gaps" in tables,
        "failure_rules": queries.failure_rules(con),
        "replays": replays,
        "preview_chars": PREVIEW_CHARS,
        "outcome_labels": charts.OUTCOME_LABELS,
        "outcome_short": {
            "answered": "answered",
            "answered_after_unresolved_error": "answered after error",
            "iteration_limit": "iteration limit",
            "cut_off": "cut off",
            "empty": "empty",
        },
    }


# ---------------------------------------------------------------- findings


def find_think(rows, configs) -> list[str]:
    sentences = []
    for config in configs:
        found = {row["preceded_by"]: row for row in rows if row["config"] == config}
        human, ok, error = (found.get(k) for k in ("human", "tool_ok", "tool_error"))
        if not (ok or error):
            sentences.append(f"{config}: no assistant turn follows a tool result yet.")
            continue
        parts = []
        if error:
            parts.append(f"{_num(error['median_think_words'])} words after a failed result")
        if ok:
            parts.append(f"{_num(ok['median_think_words'])} after a successful one")
        if human:
            parts.append(f"{_num(human['median_think_words'])} after a human message")
        lead = ""
        for after, before, what in (
            (error, ok, "after a failure as after a success"),
            (error, human, "after a failure as after a human message"),
            (ok, human, "after a successful result as after a human message"),
        ):
            if after and before and after["median_think_words"] and before["median_think_words"]:
                ratio = after["median_think_words"] / before["median_think_words"]
                if ratio > 1.05:
                    lead = f"thinks {ratio:.1f}x as much {what}"
                elif ratio < 0.95:
                    lead = f"thinks {ratio:.1f}x as much (less) {what}"
                else:
                    lead = f"thinks about as much {what}"
                break
        lead = f"{config}: the agent {lead}" if lead else config
        sentences.append(f"{lead} (median {', '.join(parts)}).")
    return sentences


def find_completion(rows, configs) -> list[str]:
    sentences = []
    for config in configs:
        found = [row for row in rows if row["config"] == config and row["conversations"]]
        if not found:
            continue
        floor = min(
            MIN_CONVERSATIONS_FOR_RATE,
            max(found, key=lambda r: r["conversations"])["conversations"],
        )
        ranked = [row for row in found if row["conversations"] >= floor]
        worst = max(ranked, key=lambda row: (row["incomplete_rate"], row["conversations"]))
        overall = sum(
            r["conversations"] - r["answered"] - r["answered_after_unresolved_error"] for r in found
        ) / sum(r["conversations"] for r in found)
        if not worst["incomplete_rate"]:
            sentences.append(f"{config}: every category completes all its conversations.")
            continue
        sentences.append(
            f"{config}: {worst['category'] or '(no category)'} fails to complete most often: "
            f"{_pct(worst['incomplete_rate'])} of its {_num(worst['conversations'])} "
            f"conversations end without an answer (overall {_pct(overall)})."
        )
    return sentences


def find_usage(trend, configs) -> list[str]:
    sentences = []
    for row in trend:
        if row["slope"] is None or row["intercept"] is None:
            sentences.append(f"{row['config']}: too few conversations to fit a trend.")
            continue
        sentences.append(
            f"{row['config']}: each extra message comes with {row['slope']:.2f} more tool calls "
            f"(correlation {row['correlation']:.2f} over {_num(row['conversations'])} "
            "conversations)."
            if row["correlation"] is not None
            else f"{row['config']}: {row['slope']:.2f} more tool calls per extra message."
        )
    return sentences


def find_tools(rows, configs) -> list[str]:
    sentences = []
    for config in configs:
        found = [row for row in rows if row["config"] == config and row["calls"]]
        if not found:
            sentences.append(f"{config}: no tool calls yet.")
            continue
        total = sum(row["calls"] for row in found)
        floor = min(MIN_CALLS_FOR_RATE, max(1, total // 100))
        ranked = [row for row in found if row["calls"] >= floor] or found
        worst = max(ranked, key=lambda row: (row["error_rate"], row["calls"]))
        most = max(found, key=lambda row: (row["errors"], row["calls"]))
        sentence = (
            f"{config}: {worst['tool_name']} fails most often ({_pct(worst['error_rate'])} of "
            f"{_num(worst['calls'])} calls)"
        )
        if most["tool_name"] != worst["tool_name"] and most["errors"]:
            sentence += (
                f"; {most['tool_name']} fails most in number ({_num(most['errors'])} failures)"
            )
        sentences.append(sentence + ".")
    return sentences


# ---------------------------------------------------------------- tables and replay


def _tool_table(all_tools, tool_rows, configs, examples, limit: int = 15) -> list[dict]:
    per_config = {(row["config"], row["tool_name"]): row for row in tool_rows}
    table = []
    for row in all_tools[:limit]:
        table.append(
            {
                **row,
                "by_config": [per_config.get((config, row["tool_name"])) for config in configs],
                "examples": [_truncate(text, 160) for text in examples.get(row["tool_name"], [])],
            }
        )
    return table


def _step(step: dict) -> dict:
    text = step["text_preview"] or ""
    shown = text if len(text) <= 240 else text[:240]
    hidden = (step["text_chars"] or 0) - len(shown)
    return {**step, "shown": shown, "hidden": max(hidden, 0)}


def _truncate(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{int(value):,}"


def _pct(value) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0%"
    return f"{value * 100:.1f}%" if value * 100 < 10 else f"{value * 100:.0f}%"


# ---------------------------------------------------------------- dbt docs


def generate_docs(db: Path, out_dir: Path) -> str | None:
    """`dbt docs generate --static` into out_dir/dbt-docs/index.html; the link, or None.

    dbt runs in the project's own target path, where `tracehouse build` and a plain
    `dbt build` keep dbt's partial-parse cache: in a scratch folder dbt parsed the whole
    project again on every report (about 5 s of the docs' 12 s on kimi-sized data)."""
    from tracehouse.dbt_runner import run_dbt
    from tracehouse.warehouse import REPO_ROOT

    target = out_dir / DOCS_DIR_NAME
    dbt_target = REPO_ROOT / "target"
    try:
        ok = run_dbt(
            db, ["docs", "generate", "--static", "--quiet", "--target-path", str(dbt_target)]
        )
    except Exception:  # noqa: BLE001 - the report stands without the docs link
        return None
    page = dbt_target / "static_index.html"
    if not ok or not page.exists():
        return None
    target.mkdir(parents=True, exist_ok=True)
    os.replace(page, target / "index.html")
    return f"{DOCS_DIR_NAME}/index.html"
