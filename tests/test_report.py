"""The report: sections and charts present, figures equal to the core marts, only report
marts read (plus the text views for the few conversations quoted), hostile trace data
escaped, no external resource, same bytes for the same data, words that agree with their
counts, and clear pages and errors for empty warehouses and warehouses without marts."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape

from tests.conftest import REPO_ROOT, hermes_table, tracehouse, write_hub_layout

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


def one_conversation_rows() -> list[dict]:
    """One conversation with one tool call, which fails: every count on its page is 0 or 1."""
    call = json.dumps({"name": "terminal", "arguments": {"command": "ls dist"}})
    result = json.dumps(
        {
            "tool_call_id": "functions.terminal:0",
            "name": "terminal",
            "content": {"output": "ls: cannot access 'dist'", "exit_code": 2, "error": None},
        }
    )
    return [
        {
            "id": "00000000-0000-0000-0000-00000000000a",
            "tools": json.dumps(
                [{"type": "function", "function": {"name": "terminal", "parameters": {}}}]
            ),
            "category": "Terminal",
            "subcategory": "Files",
            "task": "list dist",
            "conversations": [
                {"from": "system", "value": "You are a function calling AI model."},
                {"from": "human", "value": "What is in dist?"},
                {
                    "from": "gpt",
                    "value": f"<think>\n Look.\n</think>\n<tool_call>\n{call}\n</tool_call>",
                },
                {"from": "tool", "value": f"<tool_response>\n{result}\n</tool_response>"},
                {"from": "gpt", "value": "<think>\n No dist.\n</think>\n There is no dist."},
            ],
        }
    ]


@pytest.fixture(scope="module")
def one_conversation_report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("one-conversation")
    write_hub_layout(root / "data", {"kimi": hermes_table(one_conversation_rows())})
    db = ingest_and_build(root / "data", root / "wh.duckdb")
    out = root / "report.html"
    tracehouse("report", "--db", str(db), "--out", str(out), "--no-docs", "-q")
    return out


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
            "select coalesce(tool_name, '(unnamed)'), count(*), "
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
        "select config, coalesce(category, '(none)'), "
        "avg(case when outcome like 'answered%' then 0.0 else 1.0 end), count(*) "
        "from marts.fct_conversations group by all"
    ).fetchall():
        named = f"{config}: {category} fails to complete most often, in "
        if named in text:
            sentence = text.split(named, 1)[1]
            assert sentence.startswith(f"{_pct(rate)} of its {conversations:,} conversations")
            break
    else:
        raise AssertionError("no completion finding names a category of the marts")


def _pct(value: float) -> str:
    from tracehouse.reports.words import pct

    return pct(value)


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


def test_replay_steps_quote_the_messages_of_the_conversations_shown(html, marts):
    """Each replayed conversation's human and answer steps show the raw message text,
    read when the report was written."""
    shown = marts.execute(
        "select r.conversation_id, c.source, c.config, c.split, c.row_index "
        "from marts.report_replay_conversations r "
        "join marts.fct_conversations c using (conversation_key) "
        "order by r.config, r.replay_kind desc"
    ).fetchall()
    replay = html.split('<section id="replay">', 1)[1]
    blocks = replay.split("<h3>")[1:]
    assert len(blocks) == len(shown) >= 2
    for block, (conversation_id, *slice_and_row) in zip(blocks, shown, strict=True):
        assert conversation_id in block
        human = marts.execute(
            "select value from raw.messages where source = ? and config = ? and split = ? "
            "and row_index = ? and role = 'human' order by message_index limit 1",
            slice_and_row,
        ).fetchone()[0]
        quoted = re.search(
            r'<li class="k-human">\s*<span class="kind">human</span>\s*'
            r'<span class="text">(.*?)(?: <span class="truncated">|</span>)',
            block,
            re.S,
        )
        assert quoted, "no human step"
        assert unescape(quoted.group(1)) == human.strip()[:300]


def test_example_failures_quote_the_failed_results(html, marts):
    """The tools table quotes, for the top tool, a failed result of its most frequent rule."""
    tool, kind, calls = marts.execute(
        "with kinds as (select coalesce(tool_name, '(unnamed)') as tool, error_kind, "
        "count(*) as n from marts.fct_tool_calls where status = 'error' group by all), "
        "calls as (select coalesce(tool_name, '(unnamed)') as tool, count(*) as calls "
        "from marts.fct_tool_calls group by all) "
        "select tool, error_kind, n from kinds join calls using (tool) "
        "order by calls desc, tool, n desc, error_kind limit 1"
    ).fetchone()
    row = html.split(f'<tr data-tool="{tool}">', 1)[1].split("</tr>", 1)[0]
    assert f"{kind} ({calls:,} call{'s' if calls != 1 else ''}): " in visible_text(row)


def test_the_report_reads_report_marts_only(warehouse):
    """Every statement selects a report mart whole, or the text views by one conversation;
    none aggregates. The text views are read once per replayed conversation and example."""
    from tracehouse.reports import render
    from tracehouse.reports.sections import MARTS

    statements: list[str] = []

    class Recording:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, params=None):
            statements.append(" ".join(sql.split()).lower())
            return self.con.execute(sql, params or [])

    from tracehouse.warehouse import connect

    con = connect(warehouse, read_only=True)
    try:
        render.collect(Recording(con))
        replayed = con.execute("select count(*) from marts.report_replay_conversations").fetchone()
        examples = con.execute(
            "select count(*) from marts.report_error_examples e join marts.report_tools t "
            "using (tool_name) where t.is_all_configs and t.call_rank <= 15"
        ).fetchone()
    finally:
        con.close()
    aggregate = re.compile(
        r"\bgroup by\b|\bover\s*\(|\b(count|sum|avg|min|max|median|quantile_cont|corr|"
        r"regr_slope|string_agg)\s*\("
    )
    read = set()
    for sql in statements:
        assert not aggregate.search(sql), sql
        relations = re.findall(r"\b(?:from|join)\s+([a-z_\.\"]+)", sql)
        assert relations, sql
        for relation in relations:
            relation = relation.replace('"', "")
            assert relation.startswith("marts.") or relation == "information_schema.tables", sql
            read.add(relation.removeprefix("marts."))
    assert read - {"information_schema.tables"} == {*MARTS, "block_texts", "tool_call_texts"}
    texts = [sql for sql in statements if "block_texts" in sql or "tool_call_texts" in sql]
    assert all("where conversation_key = ?" in sql for sql in texts)
    assert sum("block_texts" in sql for sql in texts) == replayed[0]
    assert sum("tool_call_texts" in sql for sql in texts) == examples[0]


def test_every_report_mart_is_a_section_with_a_contract_and_in_the_exposure():
    import yaml

    from tracehouse.reports.sections import MARTS

    folder = REPO_ROOT / "dbt_project" / "models" / "marts" / "report"
    models = yaml.safe_load((folder / "_report__models.yml").read_text())["models"]
    assert {model["name"] for model in models} == set(MARTS)
    assert {path.stem for path in folder.glob("*.sql")} == set(MARTS)
    for model in models:
        assert model.get("description"), model["name"]
        for column in model["columns"]:
            assert column.get("data_type") and column.get("description"), (model, column)
    exposures_yml = REPO_ROOT / "dbt_project" / "models" / "_exposures.yml"
    exposures = yaml.safe_load(exposures_yml.read_text())
    report = next(e for e in exposures["exposures"] if e["name"] == "report")
    refs = {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in report["depends_on"]}
    assert refs == {*MARTS, "block_texts", "tool_call_texts"}


def test_dbt_docs_are_written_beside_the_report_and_linked(report, html):
    link = re.search(r'<a href="([^"]+)" id="dbt-docs-link">', html)
    assert link, "no dbt docs link"
    assert (report.parent / link.group(1)).is_file()
    assert "(UTC). Models and columns: the dbt docs site." in visible_text(html)


def test_counts_agree_with_their_nouns(html):
    assert_counts_agree_with_their_nouns(html)


def test_without_text_views_the_replay_shows_steps_and_says_why(warehouse, tmp_path):
    """The Spark target's report: marts as Parquet tables, and no views (Spark keeps them in
    its metastore). The page still renders, the replay shows each step without its text."""
    from tracehouse.commands.report import make_spark_report
    from tracehouse.warehouse import connect, sql_path_literal

    spark_warehouse = tmp_path / "spark-warehouse"
    con = connect(warehouse, read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        for table in tables:
            folder = spark_warehouse / "marts.db" / table
            folder.mkdir(parents=True)
            target = sql_path_literal(folder / "part-0.parquet")
            con.execute(f"copy marts.{table} to {target} (format parquet)")
        steps = con.execute("select count(*) from marts.report_replay_steps").fetchone()[0]
    finally:
        con.close()
    assert "block_texts" not in tables
    page = make_spark_report(spark_warehouse, tmp_path / "r.html", docs=False).read_text()
    assert 'id="no-texts-replay"' in page and 'id="no-texts-tools"' in page
    replay = page.split('<section id="replay">', 1)[1]
    assert 0 < replay.count("characters]</span>") <= steps
    assert "more characters]" not in replay
    assert_counts_agree_with_their_nouns(page)


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
    # the failed call's result, quoted in the tools table
    row = hostile_report.split(f'<tr data-tool="{escape(HOSTILE_TOOL)}">', 1)[1]
    assert ": &lt;script&gt;alert(1)&lt;/script&gt;</span>" in row.split("</tr>", 1)[0]
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
    assert_counts_agree_with_their_nouns(page)
    text = visible_text(page)
    assert "Covers 1 conversation (3 messages, 0 tool calls) from kimi" in text
    assert "kimi: its only conversation ends with an answer." in text
    assert "kimi: no trend can be fitted from a single conversation." in text


@pytest.mark.parametrize(
    ("warehouse_name", "out", "args", "says"),
    [
        ("w.duckdb", "w.duckdb", ["--no-docs"], "--out w.duckdb is the warehouse"),
        ("w.duckdb", "./sub/../w.duckdb", ["--no-docs"], "is the warehouse"),
        ("w.duckdb", "w.duckdb.wal", ["--no-docs"], "write-ahead log"),
        ("w.duckdb", "link.html", ["--no-docs"], "is the warehouse"),
        (".r.html.tmp", "r.html", ["--no-docs"], "would write .r.html.tmp"),
        ("index.html", "../r.html", [], "would write ../dbt-docs/index.html"),
    ],
)
def test_a_report_that_would_write_the_warehouse_is_refused_and_writes_nothing(
    warehouse, tmp_path, warehouse_name, out, args, says
):
    folder = tmp_path / "dbt-docs"  # the docs folder beside ../r.html
    folder.mkdir()
    (folder / "sub").mkdir()
    db = folder / warehouse_name
    shutil.copyfile(warehouse, db)
    (folder / "link.html").symlink_to(db)
    before = {path: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    result = tracehouse(
        "report", "--db", warehouse_name, "--out", out, *args, check=False, cwd=folder
    )
    assert result.returncode == 1
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    after = {path: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    assert after == before  # the warehouse byte-identical, nothing written
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dbt-docs"]


def test_one_conversation_reads_in_the_singular(one_conversation_report):
    page = one_conversation_report.read_text(encoding="utf-8")
    assert_counts_agree_with_their_nouns(page)
    text = visible_text(page)
    assert "Covers 1 conversation (5 messages, 1 tool call) from kimi" in text
    assert "kimi: terminal fails most often (100% of 1 call)." in text
    assert "exit_code (1 call): ls: cannot access 'dist'" in text
    assert "kimi: no trend can be fitted from a single conversation." in text
    assert "5 messages, 1 tool call (1 failed)" in text


SINGULAR_AFTER_ONE = re.compile(
    r"(?<![\d,.])1 (conversations|messages|tool calls|calls|failures|steps|more steps|"
    r"characters|more characters|turns)\b"
)


def assert_counts_agree_with_their_nouns(page: str) -> None:
    text = visible_text(page)
    assert not SINGULAR_AFTER_ONE.search(text), SINGULAR_AFTER_ONE.search(text).group(0)
    prose = visible_text(page, trace_text=False)
    assert not re.search(r"[a-z)]\.[A-Z]", prose), re.search(r".{20}[a-z)]\.[A-Z].{20}", prose)


def visible_text(page: str, trace_text: bool = True) -> str:
    """The page's text as a reader sees it: no SVG, entities decoded, spaces folded, and
    " | " between blocks and cells (which no sentence runs across); inline tags add nothing.
    Without trace_text, the text quoted from the traces is left out."""
    body = page.split("<body>", 1)[-1]
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)
    if not trace_text:
        body = re.sub(r'<section id="replay">.*?</section>', " ", body, flags=re.S)
        body = re.sub(
            r'<span class="example mono">.*?</span>(?=<span class="example|</td>)',
            " ",
            body,
            flags=re.S,
        )
    body = re.sub(
        r"</?(td|th|tr|div|li|p|h\d|ol|ul|table|section|header|nav|footer)\b[^>]*>", " | ", body
    )
    return " ".join(unescape(re.sub(r"<[^>]+>", "", body)).split())


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


@pytest.mark.parametrize("case", ["a directory", "below a file", "where no file can be made"])
def test_an_out_path_that_cannot_take_the_report_is_a_clear_error(warehouse, tmp_path, case):
    if case == "a directory":
        out, expected = tmp_path, "is a directory; give a file path such as"
    elif case == "below a file":
        (tmp_path / "afile").write_text("")
        out, expected = tmp_path / "afile" / "r.html", f"{tmp_path / 'afile'} is a file"
    else:
        out, expected = Path("/proc/r.html"), "cannot write the report (No such file"
    result = tracehouse(
        "report", "--db", str(warehouse), "--no-docs", "--out", str(out), check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"tracehouse report: error: --out {out}")
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not out.with_name(f".{out.name}.tmp").exists()


def test_calls_with_no_usable_name_are_never_ranked_as_the_failing_tool():
    """'(unnamed)' is the marts' bucket of malformed calls, not a tool: with every one of them
    failed it used to head the finding ('(unnamed) fails most often (100% of 4 calls)')."""
    from tracehouse.reports import findings

    def row(tool, calls, failed):
        return {"config": "kimi", "is_all_configs": False, "tool_name": tool, "calls": calls,
                "failed_calls": failed, "error_rate": failed / calls}  # fmt: skip

    rows = [row("(unnamed)", 4, 4), row("terminal", 40, 10), row("todo", 6, 2)]
    assert findings.tools(rows, ["kimi"]) == [
        "kimi: todo fails most often (33% of 6 calls); terminal fails most in number (10 failures)."
    ]
    only_unnamed = [row("(unnamed)", 4, 4), row("terminal", 40, 0)]
    assert findings.tools(only_unnamed, ["kimi"]) == [
        "kimi: no named tool failed; 4 calls with no usable tool name did."
    ]
