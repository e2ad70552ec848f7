"""`tracehouse sql`: errors, formats, row limits and several statements, run as a user runs it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import tracehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A small ingested warehouse; the queries here mostly need only a file to open."""
    root = tmp_path_factory.mktemp("sql")
    tracehouse("generate", str(root / "data"), "--conversations", "3", "-q")
    tracehouse("ingest", str(root / "data"), "--db", str(root / "wh.duckdb"), "-q")
    return root / "wh.duckdb"


def sql(db: Path, query: str, *options: str, check: bool = True):
    return tracehouse("sql", query, *options, "--db", str(db), check=check)


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("select cast('x' as int)", "Conversion Error: "),
        ("select error('boom')", "Invalid Input Error: boom"),
    ],
    ids=["conversion", "error()"],
)
def test_an_error_raised_while_rows_are_fetched_is_an_error_line(db, fmt, query, message):
    result = sql(db, query, "--format", fmt, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"tracehouse sql: error: {message}")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_csv_writes_every_type_as_duckdbs_own_csv_writer_does(db, tmp_path):
    query = (
        "select [1, 2] as l, {'k': 'v'} as s, map {'a': 1} as m, '\\x00\\xff'::blob as b, "
        "interval 3 day as i, timetz '01:02:03+01' as t, 1.50::decimal(10, 2) as d, "
        "'say \"hi\"' as q, null as n"
    )
    expected = tmp_path / "expected.csv"
    duckdb.connect().sql(query).to_csv(str(expected), header=True)
    result = sql(db, query, "--format", "csv")
    assert result.stdout == expected.read_text(encoding="utf-8")
    assert result.stderr == "1 row\n"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", "first\n1\nsecond\n2\n"),
        ("json", '{"first": 1}\n{"second": 2}\n'),
    ],
)
def test_every_statements_result_is_printed_in_turn(db, fmt, expected):
    result = sql(db, "select 1 as first; set threads = 1; select 2 as second;", "--format", fmt)
    assert result.stdout == expected
    assert result.stderr == "1 row\n1 row\n"


def test_every_statements_table_is_printed_in_turn(db):
    result = sql(db, "select 1 as first; select 2 as second")
    assert result.stdout.index("first") < result.stdout.index("second")


def test_a_later_statements_error_comes_after_the_earlier_results(db):
    result = sql(db, "select 1 as first; select error('boom')", "--format", "json", check=False)
    assert result.returncode == 1
    assert result.stdout == '{"first": 1}\n'
    assert result.stderr.splitlines() == [
        "1 row",
        "tracehouse sql: error: Invalid Input Error: boom",
    ]
