"""`tracehouse report`: the HTML report, read from the marts over a read-only connection."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracehouse.commands.common import add_db_argument, add_quiet_argument, db_path
from tracehouse.progress import say
from tracehouse.warehouse import REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "out" / "report.html"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="render the marts into one self-contained HTML page",
        description="Reads only marts.* (after `dbt build`) and writes one HTML file that "
        "stands alone: charts inline as SVG, no network requests.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="PATH", help=f"(default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--no-docs",
        dest="docs",
        action="store_false",
        help="skip `dbt docs generate --static` (the dbt docs site written beside the report)",
    )
    add_db_argument(parser)
    add_quiet_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = make_report(db_path(args), args.out, docs=args.docs)
    say(f"report: {out}", args.quiet)
    return 0


def make_report(db: Path, out: Path, *, docs: bool = True) -> Path:
    from reports.render import write_report

    return write_report(db, out, docs=docs)
