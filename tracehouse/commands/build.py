"""`tracehouse build`: `dbt build` on the warehouse, connections closed afterwards."""

from __future__ import annotations

import argparse

from tracehouse.build import check_raw_layer, run_dbt
from tracehouse.commands.common import add_db_argument, db_path
from tracehouse.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="run `dbt build` (staging, intermediate, marts, tests) on the warehouse",
        description="Runs the dbt project at the repository root through dbt's Python runner "
        "and closes its connections afterwards. Arguments after `--` go to dbt "
        "(e.g. `tracehouse build -- --select marts`).",
    )
    parser.add_argument("--target", default="duckdb", help="dbt target (default: duckdb)")
    parser.add_argument(
        "--unit-tests",
        action="store_true",
        help="also run the dbt unit tests (left out by default, as dbt recommends for "
        "builds outside development and CI; a plain `dbt build` runs them)",
    )
    add_db_argument(parser)
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db = db_path(args)
    extra = [arg for arg in args.dbt_args if arg != "--"]
    build(db, extra, target=args.target, unit_tests=args.unit_tests)
    return 0


def build(db, extra=(), target: str = "duckdb", unit_tests: bool = False) -> None:
    """`dbt build` of every model and data test; unit tests only when asked (or when the dbt
    arguments choose resource types themselves)."""
    if target == "duckdb":
        check_raw_layer(db)
    extra = list(extra)
    chooses_types = any(arg in ("--resource-type", "--exclude-resource-type") for arg in extra)
    if not unit_tests and not chooses_types:
        extra += ["--exclude-resource-type", "unit_test"]
    if not run_dbt(db, ["build", *extra], target=target):
        raise UserError("dbt build failed; see the dbt output above")
