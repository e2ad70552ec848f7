"""`tracehouse sql`: errors, formats, row limits and several statements, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, tracehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A small ingested warehouse; the queries here mostly need only a file to open."""
    root = tmp_path_factory.mktemp("sql")
    tracehouse("generate", str(root / "data"), "--conversations", "3", "-q")
    tracehouse("ingest", str(root / "data"), "--db", str(root / "wh.duckdb"), "-q")
    return root / "wh.duckdb"


def sql(db: Path, query: str, *options: str, check: bool = True):
    return tracehouse("sql", query, *options, "--db", str(db), check=check)


def json_rows(text: str) -> list:
    """Strict JSON lines: NaN and Infinity, which Python's json accepts, are refused."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


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


# The CLI in a child process that reports, after its own output, how often it opened a .csv
# file and whether the csv module's field_size_limit is what it was before the command.
CSV_WATCHER = """
import csv, sys
from tracehouse.cli import main
opened = []
def watch(event, args):
    if event == "open" and str(args[0]).endswith(".csv"):
        opened.append(args[0])
sys.addaudithook(watch)
limit = csv.field_size_limit()
code = main(sys.argv[1:])
print(f"exit {code}, opened {len(opened)}, limit kept {csv.field_size_limit() == limit}",
      file=sys.stderr)
"""


def test_csv_is_copied_in_one_read_counting_rows_across_quoted_newlines(db, tmp_path):
    """The rows are counted as DuckDB's file is copied to stdout: the file was read twice,
    once through the csv module, whose field_size_limit the command raised for the process."""
    query = (
        "select 'a\"b' as \"x\ny\", 'l1' || chr(10) || 'l2' as v, "
        "'c' || chr(13) || chr(10) || 'd' as w, null as n from range(3)"
    )
    expected = tmp_path / "expected.csv"
    duckdb.connect().sql(query).to_csv(str(expected), header=True)
    result = subprocess.run(
        [sys.executable, "-c", CSV_WATCHER, "sql", query, "--format", "csv", "--db", str(db)],
        capture_output=True,
        cwd=REPO_ROOT,
    )
    assert result.stdout == expected.read_bytes()  # bytes: \r\n inside a value kept
    assert result.stderr.decode().splitlines() == [
        "3 rows",
        "exit 0, opened 1, limit kept True",
    ]


def test_a_piped_table_cuts_text_values_at_200_characters(db):
    query = (
        "select repeat('x', 1000) || 'END' as v, 12345 as n, 'short' as \"odd \"\"name\", [1] as l"
    )
    result = sql(db, query)
    assert "END" not in result.stdout
    header, types = result.stdout.splitlines()[1:3]
    assert [name.strip() for name in header.strip("│").split("│")] == ["v", "n", 'odd "name', "l"]
    assert [name.strip() for name in types.strip("│").split("│")] == [
        "varchar",
        "int32",
        "varchar",
        "int32[]",
    ]
    (row,) = [line for line in result.stdout.splitlines() if "x" * 10 in line]
    assert "x" * 199 + "…" in row and "x" * 200 not in row
    assert [value.strip() for value in row.strip("│").split("│")][1:] == ["12345", "short", "[1]"]


def test_a_piped_tables_error_does_not_quote_the_sql_that_cuts_its_text(db):
    """With a text column the piped table runs the query inside SQL that cuts text values;
    DuckDB's `LINE 1:` context of an error while rows are fetched quoted that SQL (`SELECT
    CASE WHEN ((length(#1) > 200)) ...`), which the user never wrote."""
    query = "select 'a' as v, cast('x' as int) as n"
    result = sql(db, query, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "tracehouse sql: error: Conversion Error: Could not convert string 'x' to INT32"
    ]
    assert result.stdout == ""
    # Where DuckDB runs the user's query itself, its context quotes that query and stays.
    for options in (("--format", "json"), ()):
        kept = sql(db, query if options else "select cast('x' as int) as n", *options, check=False)
        assert "LINE 1: SELECT " in kept.stderr and "CAST('x' AS INTEGER)" in kept.stderr
        assert "length(" not in kept.stderr


def test_max_rows_is_at_most_what_a_table_shows(db):
    refused = sql(db, "select * from range(10000)", "--max-rows", "10000", check=False)
    assert refused.returncode == 2
    assert "argument --max-rows: must be at most 9999" in refused.stderr
    assert "--format csv or json print every row" in refused.stderr
    assert refused.stdout == ""
    result = sql(db, "select * from range(9999) t(i)", "--max-rows", "9999")
    assert "│  9998 │" in result.stdout and "?" not in result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "must be at least 1, got 0"),
        ("-5", "must be at least 1, got -5"),
        ("ten", "'ten' is not a whole number"),
        ("1e3", "'1e3' is not a whole number"),
    ],
)
def test_max_rows_below_one_or_not_a_number_says_so_as_other_counts_do(db, value, message):
    refused = sql(db, "select 1", f"--max-rows={value}", check=False)
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1].endswith(f"argument --max-rows: {message}")
    assert "the most rows a table shows" not in refused.stderr
    assert refused.stdout == ""


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


def test_json_is_strict_json_nan_and_infinity_null_blobs_base64(db):
    query = (
        "select 'nan'::double as a, 'inf'::double as b, ['-inf'::float, 1.5] as c, "
        "{'x': 'nan'::double} as d, '\\x00\\xff'::blob as e, "
        "170141183460469231731687303715884105727::hugeint as f"
    )
    result = sql(db, query, "--format", "json")
    assert json_rows(result.stdout) == [
        {
            "a": None,
            "b": None,
            "c": [None, 1.5],
            "d": {"x": None},
            "e": "AP8=",
            "f": 170141183460469231731687303715884105727,
        }
    ]


def test_json_refuses_two_columns_of_one_name(db):
    result = sql(db, "select 1 as a, 'x' as a, 2 as b", "--format", "json", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("tracehouse sql: error: ")
    assert '"a"' in result.stderr and "as" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_json_of_a_value_python_cannot_hold_is_an_error_line(db):
    """An infinite date has no Python form: it was an OverflowError traceback."""
    result = sql(db, "select 'infinity'::date as d", "--format", "json", check=False)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("tracehouse sql: error: --format json: a value has no Python form")
    assert "--format csv" in line
    assert sql(db, "select 'infinity'::date as d", "--format", "csv").stdout == "d\ninfinity\n"
