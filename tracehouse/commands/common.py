"""Arguments shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracehouse.warehouse import DB_ENV, default_db_path


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"warehouse file (default: ${DB_ENV}, else warehouse.duckdb at the repository root)",
    )


def add_quiet_argument(
    parser: argparse.ArgumentParser, help: str = "no progress bars, status or summary lines"
) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help=help)


def add_allow_stale_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-stale",
        action="store_true",
        help="use the marts even when they do not reflect the raw layer (loads ingested since "
        "the last build, or a failed last build); refused by default",
    )


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def db_path(args: argparse.Namespace) -> Path:
    return args.db if args.db is not None else default_db_path()
