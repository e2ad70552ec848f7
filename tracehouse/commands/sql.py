"""`tracehouse sql`: ad hoc SQL on the warehouse over a read-only connection."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from tracehouse.commands.common import add_db_argument, db_path
from tracehouse.errors import UserError
from tracehouse.warehouse import connect


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run a query read-only and print the result; no query opens the duckdb shell",
        description="Prints the result of QUERY as a table (or CSV / JSON lines). With no "
        "QUERY, opens the `duckdb` shell read-only on the warehouse.",
    )
    parser.add_argument("query", nargs="?", metavar="QUERY")
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    parser.add_argument(
        "--max-rows", type=int, default=40, metavar="N", help="rows shown in table format"
    )
    add_db_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db = db_path(args)
    if args.query is None:
        return open_shell(db)
    con = connect(db, read_only=True)
    try:
        try:
            relation = con.sql(args.query)
        except Exception as exc:  # duckdb's errors name the problem; one line is enough
            raise UserError(str(exc).splitlines()[0]) from exc
        if relation is None:
            return 0
        if args.format == "table":
            relation.show(max_rows=args.max_rows, max_width=shutil.get_terminal_size().columns)
        else:
            write_rows(relation.fetch_arrow_table(), args.format)
    finally:
        con.close()
    return 0


def write_rows(table, fmt: str) -> None:
    if fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, sys.stdout.buffer)
    else:
        import json

        for row in table.to_pylist():
            sys.stdout.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def open_shell(db: Path) -> int:
    if not db.exists():
        raise UserError(f"{db}: no warehouse here yet; run `tracehouse ingest` first")
    shell = shutil.which("duckdb") or str(Path(sys.executable).with_name("duckdb"))
    if not Path(shell).exists():
        raise UserError("the duckdb shell is not installed (pip install duckdb-cli)")
    os.execv(shell, [shell, "-readonly", str(db)])
    return 0
