"""`tracehouse build`: `dbt build` on the warehouse, connections closed afterwards."""

from __future__ import annotations

import argparse
from collections import Counter
from functools import partial
from pathlib import Path

from tracehouse.commands.common import add_db_argument, add_quiet_argument, db_path
from tracehouse.dbt_runner import (
    PROFILE_DEFAULT_TARGET,
    check_raw_layer,
    check_target,
    invoke_dbt,
    is_spark,
    refuse_flags_tracehouse_sets,
)
from tracehouse.errors import UserError
from tracehouse.progress import say
from tracehouse.spark import LAKE_ENV, WAREHOUSE_ENV, lake_dir, spark_warehouse_dir
from tracehouse.warehouse import tracehouse_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="run `dbt build` (staging, intermediate, marts, tests) on the warehouse",
        description="Runs the dbt project at the repository root through dbt's Python runner "
        "and closes its connections afterwards. Arguments after `--` go to dbt "
        "(e.g. `tracehouse build -- --select +fct_conversations`).",
    )
    parser.add_argument(
        "--target",
        default=PROFILE_DEFAULT_TARGET,
        metavar="TARGET",
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
    add_quiet_argument(parser, "dbt prints only errors (`dbt --quiet`); no summary line")
    parser.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        metavar="-- DBT_ARGS",
        help="arguments for dbt, after `--` (e.g. `-- --select +fct_conversations`; default: none)",
    )
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
    summary = build(
        db,
        extra,
        target=args.target,
        unit_tests=args.unit_tests,
        lake=args.lake,
        spark_warehouse=args.spark_warehouse,
        quiet=args.quiet,
    )
    say(summary, args.quiet)
    return 0


def build(
    db,
    extra=(),
    target: str = PROFILE_DEFAULT_TARGET,
    unit_tests: bool = False,
    lake: Path | None = None,
    spark_warehouse: Path | None = None,
    quiet: bool = False,
) -> str:
    """`dbt build` of every model and data test; unit tests only when asked (or when the dbt
    arguments choose resource types themselves). Returns a one-line summary."""
    extra = list(extra)
    refuse_flags_tracehouse_sets(extra)
    if quiet and "--no-quiet" in extra:  # dbt takes the last: the --quiet added below
        raise UserError(
            "dbt's --no-quiet after `--` contradicts -q/--quiet, which makes dbt quiet: "
            "give one of them"
        )
    check_target(target)
    spark = {}
    if is_spark(target):
        spark = {
            "lake": lake_dir(lake),
            "spark_warehouse": spark_warehouse or spark_warehouse_dir(),
        }
    elif not Path(db).exists():
        raise UserError(
            f"{db}: no warehouse here yet; run `{tracehouse_command(['ingest', 'SOURCE'], db)}` "
            "first"
        )
    chooses_types = any(arg in ("--resource-type", "--exclude-resource-type") for arg in extra)
    if not unit_tests and not chooses_types:
        extra += ["--exclude-resource-type", "unit_test"]
    if quiet and "--quiet" not in extra and "-q" not in extra:
        extra.append("--quiet")
    result = invoke_dbt(
        db,
        ["build", *extra],
        target=target,
        before=partial(check_raw_layer, db),
        **spark,
    )
    counts = node_counts(result.result)
    if not result.success:
        failed = counts["error"] + counts["fail"]
        raise UserError(
            f"dbt build failed ({failed} failed node{'s' if failed != 1 else ''}); "
            "see the dbt output above"
        )
    where = spark.get("spark_warehouse", db)
    return (
        f"built {where}: {counts['model']} models, {counts['test']} tests passed"
        f" ({counts['warn']} with warnings), {counts['skipped']} skipped"
    )


def node_counts(run_result) -> Counter:
    """Models and tests that ran, and how many warned, failed or were skipped."""
    counts: Counter = Counter()
    for node_result in getattr(run_result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        kind = getattr(node_result.node, "resource_type", "")
        counts[str(getattr(kind, "value", kind))] += status in ("success", "pass", "warn")
        counts[status] += 1
    return counts
