"""`tracehouse export`: fine-tuning data written from the export marts."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracehouse.commands.common import add_db_argument, add_quiet_argument, db_path
from tracehouse.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write training data (prompt-response, messages, sharegpt) from the warehouse",
    )
    parser.add_argument("--format", required=True, metavar="FORMAT")
    parser.add_argument("--out", type=Path, required=True, metavar="PATH")
    add_db_argument(parser)
    add_quiet_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    raise UserError(f"export to {args.format!r} is not implemented yet ({db_path(args)})")
