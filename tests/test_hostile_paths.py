"""Paths that a shell or SQL must quote, and the marts by their bare names.

One warehouse is generated, ingested and built at a path holding spaces, both quotes, `;` and
non-ASCII characters; every command then runs on it, and the marts answer by their bare names
in `tracehouse sql` and in the stock duckdb shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from tests.conftest import tracehouse

HOSTILE = 'my wh; ü "q" it\'s'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("hostile") / HOSTILE
    data = root / f"data {HOSTILE}"
    db = root / f"{HOSTILE}.duckdb"
    generate = tracehouse(
        "generate", str(data), "--conversations", "12", "--configs", "kimi", "--seed", "3"
    )
    ingest = tracehouse("ingest", str(data), "--db", str(db))
    build = tracehouse("build", "--db", str(db))
    truth = json.loads((data / "ground_truth.json").read_text())["total"]
    return SimpleNamespace(
        root=root, data=data, db=db, truth=truth, generate=generate, ingest=ingest, build=build
    )


def sql_json(db: Path, query: str) -> list[dict]:
    result = tracehouse("sql", query, "--format", "json", "--db", str(db))
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_command_works_with_a_path_holding_spaces_quotes_semicolons_and_non_ascii(hostile):
    assert "wrote 12 conversations" in hostile.generate.stderr
    assert "12 conversations" in hostile.ingest.stderr
    (count,) = sql_json(
        hostile.db, "select count(*) as n, sum(tool_calls) as calls from marts.fct_conversations"
    )
    assert count == {"n": hostile.truth["conversations"], "calls": hostile.truth["tool_calls"]}
    report = hostile.root / f"report {HOSTILE}.html"
    tracehouse("report", "--db", str(hostile.db), "--out", str(report), "--no-docs", "-q")
    assert report.stat().st_size > 0
    run_db, run_report = (
        hostile.root / f"run {HOSTILE}.duckdb",
        hostile.root / f"run {HOSTILE}.html",
    )
    tracehouse("run", str(hostile.data), "--db", str(run_db), "--out", str(run_report), "-q")
    assert run_report.stat().st_size > 0
    with duckdb.connect(str(run_db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_conversations").fetchone() == (12,)


def test_build_prints_one_summary_line_no_colour_codes_and_nothing_with_q(hostile):
    """Output that is not a terminal (here a pipe) gets no ANSI codes, dbt's included."""
    assert "\x1b[" not in hostile.build.stdout + hostile.build.stderr
    (summary,) = hostile.build.stderr.splitlines()
    assert summary.startswith(f"built {hostile.db}: ") and " models, " in summary
    quiet = tracehouse("build", "--db", str(hostile.db), "-q")
    assert (quiet.stdout, quiet.stderr) == ("", "")


def test_the_stock_duckdb_shell_finds_the_marts_by_bare_name(hostile):
    shell = Path(sys.executable).with_name("duckdb")
    result = subprocess.run(
        [str(shell), "-readonly", "-csv", str(hostile.db)],
        input="select count(*) as calls from fct_tool_calls;\nshow tables;\n",
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[:2] == ["calls", str(hostile.truth["tool_calls"])]
    listed = set(lines[3:])
    assert {"fct_conversations", "fct_tool_calls", "tool_call_texts", "error_recovery"} <= listed


def test_tracehouse_sql_finds_the_marts_by_bare_name(hostile):
    (row,) = sql_json(hostile.db, "select count(*) as calls from fct_tool_calls")
    assert row["calls"] == hostile.truth["tool_calls"]


def test_tracehouse_sql_passes_duckdbs_whole_error(hostile):
    typo = tracehouse("sql", "select * from fct_tool_call", "--db", str(hostile.db), check=False)
    assert typo.returncode == 1
    assert 'Did you mean "fct_tool_calls"?' in typo.stderr
    column = tracehouse(
        "sql", "select nme from fct_tool_calls", "--db", str(hostile.db), check=False
    )
    assert column.returncode == 1
    assert 'Candidate bindings: "name"' in column.stderr or "Candidate bindings" in column.stderr
    assert "Traceback" not in typo.stderr + column.stderr


def test_tracehouse_sql_shows_every_column_when_not_on_a_terminal(hostile):
    with duckdb.connect(str(hostile.db), read_only=True) as con:
        columns = [row[0] for row in con.execute("describe marts.fct_conversations").fetchall()]
    assert len(columns) > 20
    result = tracehouse(
        "sql", "select * from marts.fct_conversations limit 2", "--db", str(hostile.db)
    )
    header = result.stdout.splitlines()[1]
    assert [name.strip() for name in header.strip("│").split("│")] == columns


def test_tracehouse_sql_ends_quietly_when_the_reader_closes_the_pipe(hostile):
    """`tracehouse sql ... --format json | head -1`."""
    reader = subprocess.Popen(
        [sys.executable, "-m", "tracehouse.cli", "sql", "select * from range(300000)",
         "--format", "json", "--db", str(hostile.db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert reader.stdout.readline() == '{"range": 0}\n'
    reader.stdout.close()
    stderr = reader.stderr.read()
    assert reader.wait() == 0
    assert stderr == ""
