"""`tracehouse sql`: ad hoc SQL on the warehouse over a read-only connection."""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import duckdb

from tracehouse.commands.common import (
    add_db_argument,
    add_quiet_argument,
    db_path,
    positive_int,
)
from tracehouse.errors import UserError, is_interruption
from tracehouse.progress import say
from tracehouse.warehouse import connect, tracehouse_command

DEFAULT_MAX_ROWS = 40
# DuckDB's table (relation.show) fetches at most 10,000 rows and, at that many, can only say
# `? rows`: the most rows it shows whole is one fewer.
MAX_TABLE_ROWS = 9_999
# Without a terminal (a file, a pipe) the table shows every column; a text value is cut at
# this many characters (--format csv or json gives whole values). DuckDB's own max_col_width
# does not cut once max_width is this wide, so the cut is made in SQL.
PIPED_COLUMN_CHARS = 200
PIPED_WIDTH = 1_000_000
CSV_CHUNK_BYTES = 1 << 20  # --format csv copies DuckDB's file to stdout in reads this big


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run a query read-only and print the result; no query opens the duckdb shell",
        description="Prints the result of QUERY as a table (or CSV / JSON lines). With no "
        "QUERY, opens the `duckdb` shell read-only on the warehouse. Several statements "
        "(`select 1; select 2`) run in turn and each result is printed, as the duckdb shell "
        "does; an error stops at its statement. The marts answer by their bare names too "
        "(`select * from fct_tool_calls`): `tracehouse build` makes a view in `main` for each.",
    )
    parser.add_argument(
        "query",
        nargs="?",
        metavar="QUERY",
        help="the SQL to run (default: none, which opens the duckdb shell)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format: a table (not on a terminal: every column, text values cut at "
        f"{PIPED_COLUMN_CHARS} characters), CSV as DuckDB writes it, or JSON lines (NaN and "
        "infinities as null, blobs as base64; a result with two columns of one name is "
        "refused) (default: table)",
    )
    parser.add_argument(
        "--max-rows",
        type=table_rows,
        default=DEFAULT_MAX_ROWS,
        metavar="N",
        help=f"rows shown in table format, at most {MAX_TABLE_ROWS} (default: "
        f"{DEFAULT_MAX_ROWS}); csv and json print all",
    )
    add_db_argument(parser)
    add_quiet_argument(parser, "no summary line (the row count, on stderr)")
    parser.set_defaults(handler=run)


def table_rows(text: str) -> int:
    """An argparse type: a row count that DuckDB's table can show."""
    rows = positive_int(text)
    if rows > MAX_TABLE_ROWS:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_TABLE_ROWS}, the most rows a table shows; "
            "--format csv or json print every row"
        )
    return rows


def run(args: argparse.Namespace) -> int:
    db = db_path(args)
    if args.query is None:
        return open_shell(db)
    con = connect(db, read_only=True)
    try:
        with duckdb_errors():
            for statement in duckdb.extract_statements(args.query):
                relation = con.sql(statement)
                if relation is None:  # a statement with no result (`set ...`)
                    continue
                if args.format == "table":
                    show(relation, args.max_rows)
                    continue
                rows = write_csv(relation) if args.format == "csv" else write_json(relation)
                say(f"{rows} row{'s' if rows != 1 else ''}", args.quiet)
    finally:
        con.close()
    return 0


@contextmanager
def duckdb_errors() -> Iterator[None]:
    """DuckDB's errors, from parsing to the last row fetched, as the user's error: its whole
    message, hints and candidates included. Ctrl-C stays an interruption."""
    try:
        yield
    except duckdb.Error as exc:
        if is_interruption(exc):
            raise
        raise UserError(str(exc).strip()) from exc


def show(relation: duckdb.DuckDBPyRelation, max_rows: int) -> None:
    """DuckDB's box table: cut to the terminal's width on a terminal, else every column."""
    if sys.stdout.isatty():
        relation.show(max_rows=max_rows, max_width=shutil.get_terminal_size().columns)
    else:
        cut = cut_text(relation)
        try:
            cut.show(max_rows=max_rows, max_width=PIPED_WIDTH)
        except duckdb.Error as exc:
            if cut is relation or is_interruption(exc):
                raise
            # DuckDB's `LINE 1:` context would quote cut_text's SQL, not the user's query
            raise UserError(without_query_context(str(exc)).strip()) from exc
    sys.stdout.flush()


def without_query_context(message: str) -> str:
    """DuckDB's error `message` without the lines that quote the query (`LINE 1: ...` and
    the `^` under it). The first line, which says what went wrong, is kept as it is."""
    first, *rest = message.split("\n")
    kept = []
    for line in rest:
        if re.fullmatch(r" *\^ *", line) and kept and re.match(r"LINE \d+: ", kept[-1]):
            kept.pop()  # the quoted query, whose caret this is
        else:
            kept.append(line)
    return "\n".join([first, *kept])


def cut_text(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """`relation` with its text values (VARCHAR, JSON) cut at PIPED_COLUMN_CHARS characters,
    the last one `…`. Columns by position (`#1`): a result may have two of one name."""
    if not any(type_.id == "varchar" for type_ in relation.types):
        return relation  # nothing to cut: errors then quote the user's query, not ours
    cut = PIPED_COLUMN_CHARS
    columns = []
    for position, (name, type_) in enumerate(zip(relation.columns, relation.types, strict=True), 1):
        value = f"#{position}"
        if type_.id == "varchar":
            value = f"if(length({value}) > {cut}, left({value}, {cut - 1}) || '…', {value})"
        columns.append(f'{value} as "{name.replace(chr(34), chr(34) * 2)}"')
    return relation.project(", ".join(columns))


def write_csv(relation: duckdb.DuckDBPyRelation) -> int:
    """DuckDB's own CSV (every type as its text, nested ones included), through a temporary
    file: DuckDB writes to paths only. Returns the number of rows."""
    with tempfile.TemporaryDirectory(prefix="tracehouse-sql-") as folder:
        path = Path(folder) / "result.csv"
        relation.to_csv(str(path), header=True)
        sys.stdout.flush()
        with path.open("rb") as file:
            records = copy_counting_records(file, sys.stdout.buffer)
    sys.stdout.flush()
    return records - 1  # the header


def copy_counting_records(source: BinaryIO, target: BinaryIO) -> int:
    """Copies DuckDB's CSV from `source` to `target` as it is, in one pass, and returns its
    records (the header one of them). A record ends at a newline outside quotes: DuckDB quotes
    a value that holds a newline and doubles a quote inside one, so every quote toggles
    whether the text after it is quoted."""
    records = 0
    quoted = False
    last = b""
    while chunk := source.read(CSV_CHUNK_BYTES):
        target.write(chunk)
        parts = chunk.split(b'"')  # outside quotes: every other part
        records += sum(part.count(b"\n") for part in parts[int(quoted) :: 2])
        quoted ^= len(parts) % 2 == 0  # an odd number of quotes
        last = chunk[-1:]
    if last not in (b"", b"\n"):  # a last record with no newline after it
        records += 1
    return records


def write_json(relation: duckdb.DuckDBPyRelation) -> int:
    """JSON lines, one object a row. Returns the number of rows."""
    names = relation.columns
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise UserError(
            f'--format json: the result has two columns named "{twice}"; give them '
            "different names (`select ... as other_name`)"
        )
    table = relation.to_arrow_table()
    try:
        rows = table.to_pylist()
    except OverflowError as exc:  # Python's dates end at year 9999: `'infinity'::date`
        raise UserError(
            f"--format json: a value has no Python form ({exc}); cast it to text in the "
            "query (`select x::varchar`) or use --format csv"
        ) from None
    for row in rows:
        try:
            line = json.dumps(row, default=json_value, ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN or an infinity, which JSON has no word for
            line = json.dumps(finite(row), default=json_value, ensure_ascii=False)
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return table.num_rows


def finite(value: object) -> object:
    """`value` with NaN and infinities, however deep, as None (null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def json_value(value: object) -> object:
    """What json cannot write itself: decimals (DuckDB's sums of integers are HUGEINT, which
    arrives as a decimal) as numbers, blobs as base64, anything else (dates, times, UUIDs) as
    text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def open_shell(db: Path) -> int:
    if not db.exists():
        ingest = tracehouse_command(["ingest", "SOURCE"], db)
        raise UserError(f"{db}: no warehouse here yet; run `{ingest}` first")
    shell = shutil.which("duckdb") or str(Path(sys.executable).with_name("duckdb"))
    if not Path(shell).exists():
        raise UserError("the duckdb shell is not installed (pip install duckdb-cli)")
    os.execv(shell, [shell, "-readonly", str(db)])
    return 0
