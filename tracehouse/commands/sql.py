"""`tracehouse sql`: ad hoc SQL on the warehouse over a read-only connection."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path

from tracehouse.commands.common import (
    add_db_argument,
    add_quiet_argument,
    db_path,
    positive_int,
)
from tracehouse.errors import UserError
from tracehouse.progress import say
from tracehouse.warehouse import connect, tracehouse_command

DEFAULT_MAX_ROWS = 40
# Without a terminal (a file, a pipe) the table shows every column; a value is cut at this
# many characters (--format csv or json gives whole values).
PIPED_COLUMN_CHARS = 200
PIPED_WIDTH = 1_000_000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run a query read-only and print the result; no query opens the duckdb shell",
        description="Prints the result of QUERY as a table (or CSV / JSON lines). With no "
        "QUERY, opens the `duckdb` shell read-only on the warehouse. The marts answer by "
        "their bare names too (`select * from fct_tool_calls`): `tracehouse build` makes a "
        "view in `main` for each.",
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
        help="output format: a table (every column when not on a terminal), CSV, or JSON lines "
        "(default: table)",
    )
    parser.add_argument(
        "--max-rows",
        type=positive_int,
        default=DEFAULT_MAX_ROWS,
        metavar="N",
        help=f"rows shown in table format (default: {DEFAULT_MAX_ROWS}); csv and json print all",
    )
    add_db_argument(parser)
    add_quiet_argument(parser, "no summary line (the row count, on stderr)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db = db_path(args)
    if args.query is None:
        return open_shell(db)
    con = connect(db, read_only=True)
    try:
        try:
            relation = con.sql(args.query)
        except Exception as exc:  # duckdb's whole message: hints and candidates included
            raise UserError(str(exc).strip()) from exc
        if relation is None:
            return 0
        if args.format == "table":
            show(relation, args.max_rows)
            rows = None
        else:
            table = relation.fetch_arrow_table()
            write_rows(table, args.format)
            rows = table.num_rows
    finally:
        con.close()
    if rows is not None:
        say(f"{rows} row{'s' if rows != 1 else ''}", args.quiet)
    return 0


def show(relation, max_rows: int) -> None:
    """DuckDB's box table: cut to the terminal's width on a terminal, else every column."""
    if sys.stdout.isatty():
        relation.show(max_rows=max_rows, max_width=shutil.get_terminal_size().columns)
    else:
        relation.show(max_rows=max_rows, max_width=PIPED_WIDTH, max_col_width=PIPED_COLUMN_CHARS)
    sys.stdout.flush()


def write_rows(table, fmt: str) -> None:
    if fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, sys.stdout.buffer)
    else:
        import json

        for row in table.to_pylist():
            sys.stdout.write(json.dumps(row, default=json_value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def json_value(value: object) -> object:
    """What json cannot write itself: decimals (DuckDB's sums of integers are HUGEINT, which
    arrives as a decimal) as numbers, anything else (dates, times, UUIDs) as text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
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
