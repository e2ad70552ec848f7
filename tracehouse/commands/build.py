"""`tracehouse build`: `dbt build` on the warehouse, connections closed afterwards."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracehouse.commands.common import add_db_argument, db_path
from tracehouse.dbt_runner import PROFILE_DEFAULT_TARGET, check_raw_layer, is_spark, run_dbt
from tracehouse.errors import UserError
from tracehouse.spark import LAKE_ENV, WAREHOUSE_ENV, lake_dir, spark_warehouse_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="run `dbt build` (staging, intermediate, marts, tests) on the warehouse",
        description="Runs the dbt project at the repository root through dbt's Python runner "
        "and closes its connections afterwards. Arguments after `--` go to dbt "
        "(e.g. `tracehouse build -- --select marts`).",
    )
    parser.add_argument(
        "--target",
        default=PROFILE_DEFAULT_TARGET,
        help="dbt target in profiles.yml: duckdb (default) or spark (needs the spark extra and "
        "Java 17; reads the lake of `tracehouse ingest --lake`)",
    )
    parser.add_argument(
        "--unit-tests",
        action="store_true",
        help="also run the dbt unit tests (left out by default, as dbt recommends for "
        "builds outside development and CI; a plain `dbt build` runs them)",
    )
    add_db_argument(parser)
    add_spark_arguments(parser, lake=True)
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def add_spark_arguments(parser: argparse.ArgumentParser, *, lake: bool) -> None:
    if lake:
        parser.add_argument(
            "--lake",
            type=Path,
            default=None,
            metavar="DIR",
            help=f"spark target: the Parquet lake to read (default: ${LAKE_ENV})",
        )
    parser.add_argument(
        "--spark-warehouse",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"spark target: where Spark keeps its tables (default: ${WAREHOUSE_ENV}, else "
        "spark-warehouse/ at the repository root)",
    )


def run(args: argparse.Namespace) -> int:
    db = db_path(args)
    extra = [arg for arg in args.dbt_args if arg != "--"]
    build(
        db,
        extra,
        target=args.target,
        unit_tests=args.unit_tests,
        lake=args.lake,
        spark_warehouse=args.spark_warehouse,
    )
    return 0


def build(
    db,
    extra=(),
    target: str = PROFILE_DEFAULT_TARGET,
    unit_tests: bool = False,
    lake: Path | None = None,
    spark_warehouse: Path | None = None,
) -> None:
    """`dbt build` of every model and data test; unit tests only when asked (or when the dbt
    arguments choose resource types themselves)."""
    extra = list(extra)
    spark = {}
    if is_spark(target):
        spark = {
            "lake": lake_dir(lake),
            "spark_warehouse": spark_warehouse or spark_warehouse_dir(),
        }
    else:
        check_raw_layer(db)
    chooses_types = any(arg in ("--resource-type", "--exclude-resource-type") for arg in extra)
    if not unit_tests and not chooses_types:
        extra += ["--exclude-resource-type", "unit_test"]
    if not run_dbt(db, ["build", *extra], target=target, **spark):
        raise UserError("dbt build failed; see the dbt output above")
