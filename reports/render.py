"""The report: report marts -> findings and charts -> one self-contained HTML page (Jinja2).

collect() reads the marts of sections.SECTIONS, draws their charts and phrases their
findings; the trace replay and the tools table add the text of the few conversations and
calls they quote, read now (texts.py). render() fills the template, autoescaping every
value: only the charts' SVG, drawn by matplotlib, is marked safe.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path
from typing import Any

import jinja2
import matplotlib.pyplot as plt
from markupsafe import Markup

from tracehouse.errors import UserError
from tracehouse.freshness import Freshness
from tracehouse.reports import charts, queries, texts
from tracehouse.reports.sections import MARTS, SECTIONS
from tracehouse.reports.words import many, num, pct

TEMPLATES = Path(__file__).resolve().parent / "templates"
DOCS_DIR_NAME = "dbt-docs"

PREVIEW_CHARS = 300  # the replay shows this many characters of each step
EXAMPLE_CHARS = 160  # and the tools table this many of each example failure
REPLAY_STEP_LIMIT = 80  # steps shown per replayed conversation
TOOL_TABLE_ROWS = 15
REPLAY_WHY = {
    "typical": "the answered conversation of median length",
    "troubled": "a conversation that did not end well",
}
OUTCOME_SHORT = {
    "answered": "answered",
    "answered_after_unresolved_error": "answered after error",
    "iteration_limit": "iteration limit",
    "cut_off": "cut off",
    "empty": "empty",
}


def temporary_report_path(out: Path) -> Path:
    """Where the page is written before it is put in place: `.NAME.tmp` beside it."""
    return out.with_name(f".{out.name}.tmp")


def write_report(db: Path, out: Path, *, docs: bool = True, stale: Freshness | None = None) -> Path:
    """Render the report of the warehouse `db` into `out` (and the dbt docs beside it).
    `stale`: the marts' freshness when they are used stale (--allow-stale): the header then
    says why, and which loads the marts cover."""
    db, out = Path(db), Path(out)
    con = queries.open_marts(db, MARTS)
    try:
        context = collect(con)
    finally:
        con.close()
    context["stale"] = (
        {"problem": stale.problem, "covered": [load.describe() for load in stale.covered]}
        if stale is not None and stale.stale
        else None
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"--out {out}: cannot create the folder {out.parent} ({exc.strerror or exc})"
        ) from None
    context["docs_href"] = generate_docs(db, out.parent) if docs else None
    html = render(context)
    temporary = temporary_report_path(out)
    try:
        temporary.write_text(html, encoding="utf-8")
        os.replace(temporary, out)
    except OSError as exc:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise UserError(f"--out {out}: cannot write the report ({exc.strerror or exc})") from None
    return out


def render(context: dict[str, Any]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = num
    environment.filters["pct"] = pct
    environment.filters["many"] = many
    return environment.get_template("report.html.j2").render(**context)


def collect(con) -> dict[str, Any]:
    """Every figure, finding, chart and quoted text of the page."""
    rows = {
        section.name: queries.read_mart(con, section.mart, section.order_by) for section in SECTIONS
    }
    overview = [row for row in rows["overview"] if not row["is_all_configs"]]
    configs = [row["config"] for row in overview]
    total = next((row for row in rows["overview"] if row["is_all_configs"]), None)
    has_texts = texts.available(queries.mart_tables(con))

    charts.reset_ids()
    with plt.rc_context(charts.STYLE):
        figures = {
            section.name: Markup(section.chart(rows[section.name], configs))
            for section in SECTIONS
            if section.chart is not None
        }
    return {
        "title": "tracehouse report",
        "configs": configs,
        "overview": overview,
        "total": total,
        "build": rows["build"][0] if rows["build"] else None,
        "has_calls": bool(total and total["tool_calls"]),
        "rows": rows,
        "findings": {
            section.name: section.finding(rows[section.name], configs)
            for section in SECTIONS
            if section.finding is not None
        },
        "charts": figures,
        "tool_table": tool_table(con, rows["tools"], rows["error_examples"], configs, has_texts),
        "replays": replays(con, rows["replay"], rows["replay_steps"], has_texts),
        "has_texts": has_texts,
        "preview_chars": PREVIEW_CHARS,
        "example_chars": EXAMPLE_CHARS,
        "replay_step_limit": REPLAY_STEP_LIMIT,
        "outcome_labels": charts.OUTCOME_LABELS,
        "outcome_short": OUTCOME_SHORT,
    }


# ---------------------------------------------------------------- tables and replay


def tool_table(con, tools, examples, configs, has_texts: bool) -> list[dict]:
    """The most called tools over every config, each with its per-config cells and up to two
    example failures (their result text read now, when the text views are there)."""
    per_config = {
        (row["config"], row["tool_name"]): row for row in tools if not row["is_all_configs"]
    }
    table = []
    for row in tools:
        if not row["is_all_configs"] or row["call_rank"] > TOOL_TABLE_ROWS:
            continue
        quoted = []
        for example in examples:
            if example["tool_name"] != row["tool_name"]:
                continue
            call = (example["conversation_key"], example["message_index"], example["call_index"])
            result = texts.call_result(con, *call) if has_texts else None
            quoted.append(
                {
                    "error_kind": example["error_kind"],
                    "failed_calls": example["failed_calls"],
                    "text": _one_line(result.text, EXAMPLE_CHARS) if result else None,
                }
            )
        table.append(
            {
                **row,
                "by_config": [per_config.get((config, row["tool_name"])) for config in configs],
                "examples": quoted,
            }
        )
    return table


def replays(con, conversations, steps, has_texts: bool) -> list[dict]:
    """Each replayed conversation with its first steps, their text cut from the messages now."""
    shown = []
    for conversation in conversations:
        key = conversation["conversation_key"]
        all_steps = [step for step in steps if step["conversation_key"] == key]
        first = all_steps[:REPLAY_STEP_LIMIT]
        blocks = (
            texts.conversation_blocks(con, key, max(step["message_index"] for step in first))
            if has_texts and first
            else {}
        )
        shown.append(
            {
                **conversation,
                "why": REPLAY_WHY.get(conversation["replay_kind"], conversation["replay_kind"]),
                "steps": [
                    _step(step, blocks.get((step["message_index"], step["block_index"])))
                    for step in first
                ],
                "hidden_steps": len(all_steps) - len(first),
            }
        )
    return shown


def _step(step: dict, block: tuple[str, int] | None) -> dict:
    if block is None:
        return {**step, "shown": None, "hidden": 0}
    text = texts.step_text(step["step_kind"], *block)
    shown = text.text[:PREVIEW_CHARS]
    return {**step, "shown": shown, "hidden": max(text.chars - len(shown), 0)}


def _one_line(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- dbt docs


def generate_docs(db: Path, out_dir: Path) -> str | None:
    """`dbt docs generate --static` into out_dir/dbt-docs/index.html; the link, or None.

    dbt runs in the project's own target path, where `tracehouse build` and a plain
    `dbt build` keep dbt's partial-parse cache: in a scratch folder dbt parsed the whole
    project again on every report (about 5 s of the docs' 12 s on kimi-sized data)."""
    from tracehouse.dbt_runner import run_dbt
    from tracehouse.warehouse import REPO_ROOT

    target = out_dir / DOCS_DIR_NAME
    dbt_target = Path(os.environ.get("DBT_TARGET_PATH") or REPO_ROOT / "target")
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
