"""The report: sections and charts present, figures equal to the marts, hostile trace data
escaped, no external resource, same bytes for the same data, clear pages and errors for
empty warehouses and warehouses without marts."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from tests.conftest import hermes_table, tracehouse, write_hub_layout

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_TOOL = "<script>alert('tool')</script>"
HOSTILE_CATEGORY = "<b onmouseover=alert(1)>Browser</b> & co"

SECTIONS = ("overview", "answers", "configs", "charts", "tables", "replay")
QUESTIONS = ("q-think", "q-completion", "q-usage", "q-tools")
CHARTS = (
    "chart-think",
    "chart-completion",
    "chart-usage",
    "chart-top-tools",
    "chart-by-category",
    "chart-lengths",
    "chart-turn-kinds",
    "chart-parallel",
    "chart-transitions",
    "chart-steps",
    "chart-depth",
    "chart-length-dist",
)


# ---------------------------------------------------------------- fixtures


def ingest_and_build(source: Path, db: Path) -> Path:
    from tracehouse.commands.build import build
    from tracehouse.commands.ingest import ingest_source

    ingest_source(str(source), configs=[], split="train", db=db, quiet=True)
    build(db, ["--quiet"])
    return db


@pytest.fixture(scope="module")
def warehouse(built_warehouse) -> Path:
    """The session's built warehouse: generated data (kimi and glm-5.1), every quirk."""
    return built_warehouse["db"]


@pytest.fixture(scope="module")
def report(warehouse, tmp_path_factory) -> Path:
    """The report as the CLI writes it, dbt docs included."""
    out = tmp_path_factory.mktemp("report-out") / "report.html"
    tracehouse("report", "--db", str(warehouse), "--out", str(out), "--quiet")
    return out


@pytest.fixture(scope="module")
def html(report) -> str:
    return report.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def marts(warehouse):
    from tracehouse.warehouse import connect

    con = connect(warehouse, read_only=True)
    yield con
    con.close()


def hostile_rows() -> list[dict]:
    tools = json.dumps(
        [
            {"type": "function", "function": {"name": name, "description": "d", "parameters": {}}}
            for name in ("browser_navigate", HOSTILE_TOOL)
        ]
    )

    def call(name: str, arguments: dict) -> str:
        return (
            "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"
        )

    def response(name: str, content: dict) -> str:
        body = {"tool_call_id": f"functions.{name}:0", "name": name, "content": content}
        return "<tool_response>\n" + json.dumps(body) + "\n</tool_response>"

    rows = []
    for i in range(3):
        rows.append(
            {
                "id": f"00000000-0000-0000-0000-00000000000{i}",
                "tools": tools,
                "category": HOSTILE_CATEGORY,
                "subcategory": "Browser Tasks",
                "task": HOSTILE_SCRIPT,
                "conversations": [
                    {"from": "system", "value": "You are a function calling AI model."},
                    {"from": "human", "value": f"Open the page {HOSTILE_IMG}"},
                    {
                        "from": "gpt",
                        "value": f"<think>\n Look at {HOSTILE_SCRIPT} first.\n</think>\n"
                        + call("browser_navigate", {"url": "http://example.com/"})
                        + "\n"
                        + call(HOSTILE_TOOL, {"q": HOSTILE_IMG}),
                    },
                    {
                        "from": "tool",
                        "value": response(
                            "browser_navigate", {"snapshot": HOSTILE_SCRIPT + " " + HOSTILE_IMG}
                        )
                        + "\n"
                        + response(HOSTILE_TOOL, {"success": False, "error": HOSTILE_SCRIPT}),
                    },
                    {
                        "from": "gpt",
                        "value": "<think>\n Done.\n</think>\n The page says "
                        + "</span></li>"
                        + HOSTILE_SCRIPT
                        + " x" * i,
                    },
                ],
            }
        )
    return rows


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("hostile")
    write_hub_layout(root / "data", {"kimi": hermes_table(hostile_rows())})
    db = ingest_and_build(root / "data", root / "wh.duckdb")
    from tracehouse.reports.render import write_report

    return write_report(db, root / "report.html", docs=False).read_text(encoding="utf-8")


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


def figure(page: str, name: str, config: str | None = None) -> str:
    """The text of the element marked data-figure=name (and data-config=config)."""
    if config is None:
        pattern = rf'<div class="value" data-figure="{name}">([^<]*)<'
    else:
        pattern = rf'data-config="{re.escape(config)}" data-figure="{name}">([^<]*)<'
    found = re.search(pattern, page)
    assert found, f"no figure {name} {config or ''}"
    return found.group(1)


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


# ---------------------------------------------------------------- structure


def test_every_section_question_and_chart_is_on_the_page(html):
    ids = {attrs.get("id") for _, attrs in tags(html)}
    for name in (*SECTIONS, *QUESTIONS, *CHARTS):
        assert name in ids, name
    for chart in CHARTS:
        block = html.split(f'id="{chart}">', 1)[1][:400]
        assert block.lstrip().startswith("<svg"), chart
    assert html.count("<svg") >= len(CHARTS)
    for title in ("table-tools", "table-categories", "table-gaps", "table-failure-rules"):
        assert title in ids, title


def test_every_chart_has_a_title_and_labelled_axes(html):
    for chart in CHARTS:
        svg = html.split(f'id="{chart}">', 1)[1].split("</svg>", 1)[0]
        label = re.search(r'aria-label="([^"]+)"', svg)
        assert label and len(label.group(1)) > 10, chart
        assert label.group(1) in svg.replace("&amp;", "&"), f"{chart}: title not drawn"


def test_headline_figures_equal_the_marts(html, marts):
    total = marts.execute(
        "select count(*), sum(messages), sum(tool_calls), sum(failed_tool_calls) "
        "from marts.fct_conversations"
    ).fetchone()
    shown = [
        as_int(figure(html, name))
        for name in ("conversations", "messages", "tool_calls", "failed_tool_calls")
    ]
    assert shown == list(total)
    per_config = marts.execute(
        "select config, count(*), sum(messages), sum(tool_calls), sum(failed_tool_calls) "
        "from marts.fct_conversations group by config order by config"
    ).fetchall()
    assert [row[0] for row in per_config] == ["glm-5.1", "kimi"]
    for config, *values in per_config:
        shown = [
            as_int(figure(html, name, config))
            for name in ("conversations", "messages", "tool_calls", "failed_tool_calls")
        ]
        assert shown == values, config


def test_tool_table_equals_the_marts(html, marts):
    expected = dict(
        (name, (calls, errors))
        for name, calls, errors in marts.execute(
            "select coalesce(tool_name, '(malformed)'), count(*), "
            "count(*) filter (status = 'error') from marts.fct_tool_calls group by all"
        ).fetchall()
    )
    rows = re.findall(
        r'<tr data-tool="([^"]+)">\s*<td class="mono">[^<]*</td>\s*'
        r'<td class="n" data-figure="calls">([^<]*)</td>\s*'
        r'<td class="n" data-figure="errors">([^<]*)</td>',
        html,
    )
    assert len(rows) >= 5
    for name, calls, errors in rows:
        assert expected[name] == (as_int(calls), as_int(errors)), name


def test_findings_are_sentences_computed_from_the_marts(html, marts):
    for config, median in marts.execute(
        "select config, median_think_words from marts.reasoning_around_tools "
        "where preceded_by = 'tool_error' and turn_action = '(any)'"
    ).fetchall():
        assert f"{config}: the agent" in html
        assert f"median {median:,.0f} words after a failed result" in html or (
            f"median {median:,.1f} words after a failed result" in html
        )
    for config, slope in marts.execute(
        "select config, regr_slope(tool_calls, messages) from marts.fct_conversations "
        "group by config"
    ).fetchall():
        assert f"{config}: each extra message comes with {slope:.2f} more tool calls" in html
    text = unescape(html)
    for config, category, rate, conversations in marts.execute(
        "select config, category, incomplete_rate, conversations "
        "from marts.completion_by_category where subcategory = '(all)' and category != '(all)'"
    ).fetchall():
        named = f"{config}: {category} fails to complete most often: "
        if named in text:
            sentence = text.split(named, 1)[1]
            assert sentence.startswith(f"{_pct(rate)} of its {conversations:,} conversations")
            break
    else:
        raise AssertionError("no completion finding names a category of the mart")


def _pct(value: float) -> str:
    from tracehouse.reports.render import _pct

    return _pct(value)


def test_strict_and_legacy_failure_rates_equal_the_marts(html, marts):
    strict, legacy, messages = marts.execute(
        "with m as (select conversation_key, message_index, bool_or(status = 'error') s, "
        "bool_or(coalesce(legacy_error, false)) l from marts.fct_tool_responses group by all) "
        "select count(*) filter (s), count(*) filter (l), count(*) from m"
    ).fetchone()
    row = html.split('<tr data-config="all">', 1)[1].split("</tr>", 1)[0]
    assert f"({strict:,})" in row.split('data-figure="strict_rate"', 1)[1].split("</td>", 1)[0]
    assert f"({legacy:,})" in row.split('data-figure="legacy_rate"', 1)[1].split("</td>", 1)[0]
    assert legacy > strict  # the substring rule flags every `"error": null`
    assert "Why they differ" in html


def test_trace_replay_shows_steps_and_marks_truncation(html):
    replay = html.split('<section id="replay">', 1)[1]
    assert replay.count("<h3>") >= 2
    for kind in ("think", "call", "response", "answer"):
        assert f'class="k-{kind}' in replay, kind
    assert "more characters]" in replay


def test_dbt_docs_are_written_beside_the_report_and_linked(report, html):
    link = re.search(r'<a href="([^"]+)" id="dbt-docs-link">', html)
    assert link, "no dbt docs link"
    assert (report.parent / link.group(1)).is_file()


def test_the_page_stands_alone_without_external_resources(html):
    for tag, attrs in tags(html):
        for attribute in ("src", "href", "xlink:href", "action", "srcset", "data"):
            value = attrs.get(attribute)
            if value is None:
                continue
            assert not re.match(r"^\s*(https?:|//|ftp:)", value, re.I), (tag, attribute, value)
        assert tag not in ("script", "iframe", "object", "embed"), tag
        if tag == "link":
            assert attrs.get("rel") == "icon" and attrs.get("href", "").startswith("data:")
    assert "@import" not in html and "url(http" not in html


def test_the_same_data_renders_the_same_bytes(warehouse, tmp_path):
    from tracehouse.reports.render import write_report

    first = write_report(warehouse, tmp_path / "a.html", docs=False).read_bytes()
    second = write_report(warehouse, tmp_path / "b.html", docs=False).read_bytes()
    assert first == second


# ---------------------------------------------------------------- safety


def test_hostile_trace_content_renders_as_text(hostile_report):
    found = tags(hostile_report)
    assert not [tag for tag, _ in found if tag in ("script", "img", "b", "iframe")]
    for tag, attrs in found:
        assert not [name for name in attrs if name.lower().startswith("on")], (tag, attrs)
    # the text is there, escaped: in tables, the replay and the charts' SVG text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_report
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile_report
    assert "&lt;/span&gt;&lt;/li&gt;" in hostile_report
    svg_text = "".join(re.findall(r"<svg.*?</svg>", hostile_report, re.S))
    assert "alert(&#39;tool&#39;)" in svg_text or "alert('tool')" in svg_text
    assert "<script" not in svg_text.lower()


# ---------------------------------------------------------------- edges


def test_a_warehouse_without_tool_calls_gets_a_clear_page(tmp_path):
    rows = [
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "tools": "[]",
            "category": "Conversational",
            "subcategory": "Conversational Tasks",
            "task": "hi",
            "conversations": [
                {"from": "system", "value": "You are helpful."},
                {"from": "human", "value": "Hi"},
                {"from": "gpt", "value": "<think>\n Greet.\n</think>\n Hello!"},
            ],
        }
    ]
    write_hub_layout(tmp_path / "data", {"kimi": hermes_table(rows)})
    db = ingest_and_build(tmp_path / "data", tmp_path / "wh.duckdb")
    result = tracehouse("report", "--db", str(db), "--out", str(tmp_path / "r.html"), "-q")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert result.returncode == 0
    assert "No tool calls yet" in page
    assert as_int(figure(page, "conversations")) == 1


def test_an_empty_warehouse_gets_a_clear_page(tmp_path):
    write_hub_layout(tmp_path / "data", {"kimi": hermes_table(hostile_rows()[:1])})
    db = tmp_path / "wh.duckdb"
    from tracehouse.commands.build import build
    from tracehouse.commands.ingest import ingest_source

    ingest_source(str(tmp_path / "data"), configs=[], split="train", db=db, quiet=True)
    con = duckdb.connect(str(db))
    con.execute("delete from raw.messages")
    con.execute("delete from raw.conversations")
    con.close()
    build(db, ["--quiet"])
    tracehouse("report", "--db", str(db), "--out", str(tmp_path / "r.html"), "-q")
    assert "No conversations yet" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_a_warehouse_without_marts_says_to_run_dbt_build(tmp_path):
    write_hub_layout(tmp_path / "data", {"kimi": hermes_table(hostile_rows()[:1])})
    from tracehouse.commands.ingest import ingest_source

    db = tmp_path / "wh.duckdb"
    ingest_source(str(tmp_path / "data"), configs=[], split="train", db=db, quiet=True)
    result = tracehouse("report", "--db", str(db), "--out", str(tmp_path / "r.html"), check=False)
    assert result.returncode == 1
    assert "dbt build" in result.stderr and "tracehouse build" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_missing_warehouse_is_a_clear_error(tmp_path):
    result = tracehouse(
        "report",
        "--db",
        str(tmp_path / "none.duckdb"),
        "--out",
        str(tmp_path / "r.html"),
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
