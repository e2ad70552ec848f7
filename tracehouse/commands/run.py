"""`tracehouse run`: the whole job (generate if needed, ingest, dbt build, report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracehouse.commands.build import build
from tracehouse.commands.common import add_db_argument, add_quiet_argument, db_path
from tracehouse.commands.ingest import ingest_source, print_ingested
from tracehouse.commands.report import DEFAULT_OUT, check_out, make_report
from tracehouse.progress import say
from tracehouse.warehouse import REPO_ROOT

EMBEDDED_CONVERSATIONS = 150  # per config: a few hundred in all, a few seconds to build
EMBEDDED_SEED = 20261123
EMBEDDED_SOURCE_NAME = "tracehouse/embedded-sample"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="ingest, dbt build and report in one go (no SOURCE: the embedded sample)",
        description="With no SOURCE, generates a small deterministic sample into a cache folder "
        "and runs the whole job on it.",
    )
    parser.add_argument(
        "source",
        nargs="?",
        metavar="SOURCE",
        help="what to ingest, as for `tracehouse ingest` (default: the embedded sample, "
        f"{EMBEDDED_CONVERSATIONS} generated conversations per config)",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAME",
        help="config to ingest (repeatable; default: every config the source declares)",
    )
    parser.add_argument("--split", default="train", help="split to ingest (default: train)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="PATH",
        help=f"the HTML report (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=REPO_ROOT / ".cache",
        metavar="DIR",
        help="where the embedded sample is generated (default: .cache at the repository root)",
    )
    add_db_argument(parser)
    add_quiet_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_out(args.out)
    db = db_path(args)
    source, source_name = args.source, None
    if source is None:
        source, source_name = str(embedded_sample(args.cache_dir, args.quiet)), EMBEDDED_SOURCE_NAME
    results = ingest_source(
        source,
        configs=args.config,
        split=args.split,
        db=db,
        source_name=source_name,
        quiet=args.quiet,
    )
    print_ingested(results, args.quiet)
    say(build(db, quiet=args.quiet), args.quiet)
    report = make_report(db, args.out)
    say(f"warehouse: {db}  report: {report}", args.quiet)
    return 0


def embedded_sample(cache_dir: Path, quiet: bool) -> Path:
    """The embedded default: generated once, deterministically, then reused."""
    from tracehouse.sample.dataset import generate_dataset

    out = cache_dir / f"embedded-{EMBEDDED_CONVERSATIONS}-{EMBEDDED_SEED}"
    if not (out / "ground_truth.json").exists():
        say(f"generating the embedded sample into {out}", quiet)
        generate_dataset(out, EMBEDDED_CONVERSATIONS, seed=EMBEDDED_SEED)
    return out
