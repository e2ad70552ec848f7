"""`tracehouse ingest`: land a dataset losslessly in the warehouse's raw schema."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import duckdb

from tracehouse.commands.common import (
    add_db_argument,
    add_quiet_argument,
    db_path,
    plain_name,
    warehouse_files,
    whole_number,
)
from tracehouse.progress import progress_bar, quiet_libraries, say
from tracehouse.warehouse import MEMORY_ENV, connect, sql_literal

# Ingest only appends: the blocks it has written need not stay cached. With the project's
# 2 GB the buffer pool filled with them and a 10x-kimi ingest peaked at 3.4 GB RSS; with
# 512 MB, 2.3 GB at the same speed. $TRACEHOUSE_MEMORY_LIMIT, when set, still wins.
INGEST_MEMORY_LIMIT = "512MB"
DEFAULT_BATCH_ROWS = 500  # tracehouse.ingest.pipeline.DEFAULT_BATCH_ROWS, without importing it
# Far above any useful batch (memory grows with it), and within the C long that pyarrow's
# batch size is (a larger number was an OverflowError traceback).
MAX_BATCH_ROWS = 1_000_000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="load a dataset (hub id, hub-layout directory or files) into raw.*",
        description="Load SOURCE with datasets.load_dataset and land every message byte-exact "
        "in raw.conversations / raw.messages. Re-ingesting a slice (source, config, split) "
        "replaces it; a failed ingest leaves the warehouse as it was.",
    )
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="hub id (e.g. lambda/hermes-agent-reasoning-traces), a local directory in hub "
        "layout, or a .parquet/.jsonl/.json file",
    )
    parser.add_argument(
        "--config",
        type=plain_name,
        action="append",
        default=[],
        metavar="NAME",
        help="config to ingest (repeatable; default: every config the source declares)",
    )
    parser.add_argument(
        "--split", type=plain_name, default="train", help="split to ingest (default: train)"
    )
    parser.add_argument(
        "--source-name",
        type=plain_name,
        default=None,
        metavar="NAME",
        help="name stored in the source column (default: the hub id or the absolute path)",
    )
    parser.add_argument(
        "--batch-rows",
        type=whole_number(1, MAX_BATCH_ROWS),
        default=DEFAULT_BATCH_ROWS,
        metavar="N",
        help="rows read, exploded and inserted at a time; memory grows with it "
        f"(default: {DEFAULT_BATCH_ROWS}, at most {MAX_BATCH_ROWS:,})",
    )
    parser.add_argument(
        "--lake",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write each landed slice's raw tables as Parquet under DIR, Hive-partitioned "
        "(DIR/<table>/source=.../config=.../split=.../part-0.parquet), for Spark or DuckDB "
        "(default: none)",
    )
    add_db_argument(parser)
    add_quiet_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _without_torch()
    results = ingest_source(
        args.source,
        configs=args.config,
        split=args.split,
        db=db_path(args),
        source_name=args.source_name,
        batch_rows=args.batch_rows,
        quiet=args.quiet,
        lake=args.lake,
    )
    print_ingested(results, args.quiet)
    return 0


def _without_torch() -> None:
    """Keep `datasets` from importing torch in the ingest process.

    When torch is installed (the `train` extra), `datasets` imports it for every streaming
    dataset it makes, to share an epoch counter with DataLoader workers: about 1 s and 150 MB
    of the ingest of 7,646 kimi conversations, for nothing (ingest has no workers).
    `USE_TORCH=0` is read when `datasets` is first imported, so this is for the command's
    own process only (other callers of `ingest_source` keep their environment).
    """
    if "datasets" not in sys.modules:
        os.environ.setdefault("USE_TORCH", "0")


def print_ingested(results: list, quiet: bool) -> None:
    """One summary line per landed slice, on stderr, terminal or not; and, even when quiet,
    a warning per other slice that holds ids of a landed one."""
    for result in results:
        stats = result.stats
        say(
            f"{result.source} [{result.config}/{result.split}]: "
            f"{stats.conversations} conversations, {stats.messages} messages, "
            f"{stats.message_bytes / 1e6:.1f} MB, "
            f"{stats.issues} recorded issues (see raw.ingest_issues)",
            quiet,
        )
    for result in results:
        for other in result.stats.shared_ids:
            print(shared_ids_warning(result, other), file=sys.stderr)


def shared_ids_warning(result, other) -> str:
    """The same files ingested under a second path are a second slice: say so, and how to
    drop the old one (no command does; the next build forgets the loads it no longer sees)."""
    return (
        f"tracehouse ingest: warning: {result.source} [{result.config}/{result.split}] shares "
        f"{other.ids} conversation {'id' if other.ids == 1 else 'ids'} with the slice "
        f"{other.source} [{other.config}/{other.split}], which the warehouse also holds: the "
        "marts count those conversations once per slice (recorded in raw.ingest_issues as "
        "id_in_other_slice). If that slice is an old copy of this one, no tracehouse command "
        f"removes it: delete its rows (source = {sql_literal(other.source)}, config = "
        f"{sql_literal(other.config)}, split = {sql_literal(other.split)}) from "
        "raw.conversations, raw.messages and raw.ingest_issues, then run `tracehouse build`"
    )


def ingest_source(
    source,
    *,
    configs,
    split,
    db,
    source_name=None,
    batch_rows=DEFAULT_BATCH_ROWS,
    quiet=False,
    lake=None,
):
    """Check everything first (paths, configs, columns, lake names), then land every slice
    in one transaction (and in the lake, when given)."""
    from tracehouse.ingest.pipeline import prepare_slices

    quiet_libraries(quiet)
    with tempfile.TemporaryDirectory(prefix="tracehouse-datasets-") as cache_dir:
        prepared = prepare_slices(
            source, configs, split, source_name, batch_rows, lake, cache_dir=cache_dir
        )
        return _land(prepared, db, batch_rows, quiet, lake)


def _land(prepared: list, db: Path, batch_rows: int, quiet: bool, lake: Path | None) -> list:
    """Land the prepared slices, in one transaction, with a progress bar per slice."""
    from tracehouse.ingest.pipeline import ingest_slices

    bars: list[SliceProgress] = []

    def on_slice(loaded) -> SliceProgress:
        bars.append(SliceProgress(loaded.num_rows, f"ingest {loaded.config}", quiet))
        return bars[-1]

    new_warehouse = not db.exists()
    con = connect(db)
    try:
        if MEMORY_ENV not in os.environ:
            con.execute(f"set memory_limit = '{INGEST_MEMORY_LIMIT}'")
        return ingest_slices(con, prepared, batch_rows=batch_rows, on_slice=on_slice, lake=lake)
    except BaseException:
        # a failed ingest leaves no warehouse where there was none; one that committed its
        # slices and then failed to publish the lake's files is kept
        if new_warehouse and not _holds_loads(con):
            con.close()  # DuckDB's lock released before its files go
            for path in warehouse_files(db):
                path.unlink(missing_ok=True)
        raise
    finally:
        con.close()
        for bar in bars:
            bar.close()


def _holds_loads(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has a committed load; when unsure (an error), that it has."""
    try:
        return con.execute("select count(*) from raw.loads").fetchone()[0] > 0
    except duckdb.CatalogException:  # no raw.loads: nothing was ever landed
        return False
    except duckdb.Error:
        return True


class SliceProgress:
    """Rows and MB/s of one slice's ingest."""

    def __init__(self, rows: int, desc: str, quiet: bool) -> None:
        self.bar = progress_bar(rows, desc, "rows", quiet)
        self.message_bytes = 0

    def __call__(self, exploded) -> None:
        self.message_bytes += exploded.message_bytes
        elapsed = self.bar.format_dict["elapsed"] or 1e-9
        self.bar.set_postfix_str(f"{self.message_bytes / 1e6 / elapsed:.1f} MB/s", refresh=False)
        self.bar.update(exploded.conversations.num_rows)

    def close(self) -> None:
        self.bar.close()
