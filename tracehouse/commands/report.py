"""`tracehouse report`: the HTML report, read from the marts over a read-only connection."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tracehouse.commands.build import add_spark_arguments
from tracehouse.commands.common import (
    add_allow_stale_argument,
    add_db_argument,
    add_quiet_argument,
    db_path,
    refuse_writing_over_warehouse,
)
from tracehouse.dbt_runner import PROFILE_DEFAULT_TARGET, check_target, is_spark
from tracehouse.errors import UserError
from tracehouse.freshness import Freshness, check_fresh
from tracehouse.progress import say
from tracehouse.spark import spark_marts_view, spark_warehouse_dir
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
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="PATH",
        help=f"the HTML file to write; its folder is created if missing (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--no-docs",
        dest="docs",
        action="store_false",
        help="skip `dbt docs generate --static` (the dbt docs site written beside the report)",
    )
    parser.add_argument(
        "--target",
        default=PROFILE_DEFAULT_TARGET,
        help="where the marts are: duckdb (default, the warehouse file) or spark (the Parquet "
        "tables of `tracehouse build --target spark`, read through DuckDB views)",
    )
    add_db_argument(parser)
    add_allow_stale_argument(parser)
    add_spark_arguments(parser, lake=False)
    add_quiet_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_out(args.out)
    check_target(args.target)
    if is_spark(args.target):
        warehouse = args.spark_warehouse or spark_warehouse_dir()
        out = make_spark_report(warehouse, args.out, docs=args.docs)
    else:
        refuse_writing_over_warehouse(db_path(args), args.out, report_paths(args.out, args.docs))
        freshness = check_fresh(db_path(args), allow_stale=args.allow_stale)
        out = make_report(db_path(args), args.out, docs=args.docs, stale=freshness)
    say(f"report: {out}", args.quiet)
    return 0


def check_out(out: Path) -> None:
    """Fail before any work when `out` cannot become the report file: a directory, or a path
    below a file. (A folder that cannot be created or written is found when the report is
    written: nothing is created before the report is ready.)"""
    if out.is_dir():
        raise UserError(
            f"--out {out} is a directory; give a file path such as {out / 'report.html'}"
        )
    existing = next(path for path in out.absolute().parents if path.exists())
    if not existing.is_dir():
        raise UserError(f"--out {out}: {existing} is a file, not a folder")


def report_paths(out: Path, docs: bool) -> list[Path]:
    """Every file the report writes: `out`, its temporary file and, with the docs, the dbt
    docs page beside it (as tracehouse.reports.render.write_report names them)."""
    from tracehouse.reports.render import DOCS_DIR_NAME, temporary_report_path

    paths = [out, temporary_report_path(out)]
    if docs:
        paths.append(out.parent / DOCS_DIR_NAME / "index.html")
    return paths


def make_report(db: Path, out: Path, *, docs: bool = True, stale: Freshness | None = None) -> Path:
    from tracehouse.reports.render import write_report

    # again here for `tracehouse run`, which reports on the warehouse it has just built
    refuse_writing_over_warehouse(db, out, report_paths(out, docs))

    return write_report(db, out, docs=docs, stale=stale)


def make_spark_report(warehouse: Path, out: Path, *, docs: bool = True) -> Path:
    """The same report from the marts a Spark build wrote: a scratch DuckDB file whose
    `marts.*` are views over Spark's Parquet tables, read by the same queries."""
    with tempfile.TemporaryDirectory(prefix="tracehouse-spark-marts-") as scratch:
        db = spark_marts_view(Path(warehouse), Path(scratch) / "spark-marts.duckdb")
        return make_report(db, out, docs=docs)
