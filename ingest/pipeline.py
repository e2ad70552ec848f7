"""Ingest one SOURCE: load (datasets) -> explode (pyarrow) -> land (DuckDB), slice by slice."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from tracehouse.ingest.errors import SchemaError
from tracehouse.ingest.explode import Exploded, SchemaPlan, SliceMeta, explode_batch, plan_schema
from tracehouse.ingest.lake import check_slices, stage_slice
from tracehouse.ingest.land import LoadStats, SliceWrite, replace_slices
from tracehouse.ingest.load import Slice, choose_configs, load_slice, resolve_source
from tracehouse.ingest.shapes import SAMPLE_ROWS
from tracehouse.ingest.sidecar import with_sidecar_merged

DEFAULT_BATCH_ROWS = 500
READ_AHEAD = 1  # batches read and exploded ahead of the one being inserted


@dataclass(frozen=True)
class SliceResult:
    source: str
    config: str
    split: str
    stats: LoadStats


def prepare_slices(
    source: str,
    configs: Sequence[str],
    split: str,
    source_name: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    lake: Path | None = None,
    *,
    cache_dir: str,
) -> list[tuple[Slice, SchemaPlan]]:
    """Everything that can fail before the warehouse is touched: paths, configs, columns,
    and the lake's directory names. `cache_dir`: a folder of the caller's, kept until the
    slices are landed, where `datasets` writes its lock files (see tracehouse.ingest.load)
    and the ingest its rewritten copies of the source (an `--openai` export merged with its
    sidecar, JSON files without their blank lines)."""
    spec = with_sidecar_merged(resolve_source(source, source_name), Path(cache_dir))
    prepared = []
    for config in choose_configs(spec, configs, cache_dir):
        loaded = load_slice(spec, config, split, batch_rows, cache_dir)
        try:
            plan = plan_schema(loaded.schema, sample=partial(loaded.head, SAMPLE_ROWS))
        except SchemaError as exc:
            raise SchemaError(f"{loaded.source} [{config}]: {exc}") from None
        prepared.append((loaded, plan))
    if lake is not None:
        check_slices(lake, [(loaded.source, loaded.config, loaded.split) for loaded, _ in prepared])
    return prepared


def ingest_slices(
    con: duckdb.DuckDBPyConnection,
    prepared: list[tuple[Slice, SchemaPlan]],
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_slice: Callable[[Slice], Callable[[Exploded], None] | None] | None = None,
    lake: Path | None = None,
) -> list[SliceResult]:
    """Land the prepared slices in one transaction, so that a failure in any of them leaves
    the warehouse as it was; with `lake`, also as Parquet there (written inside the
    transaction, renamed into place after the commit)."""
    metas: list[SliceMeta] = []

    def writes() -> Iterator[SliceWrite]:  # one at a time: a slice's reading starts with it
        for loaded, plan in prepared:
            meta = SliceMeta(
                source=loaded.source,
                config=loaded.config,
                split=loaded.split,
                load_id=str(uuid.uuid4()),
                loaded_at=datetime.now(),
            )
            metas.append(meta)
            yield SliceWrite(
                meta=meta,
                batches=_read_ahead(_exploded(loaded, plan, meta, batch_rows), READ_AHEAD),
                slice_issues=plan.slice_issues(),
                on_batch=on_slice(loaded) if on_slice is not None else None,
                stage=partial(_stage, lake=lake, meta=meta) if lake is not None else None,
            )

    stats = replace_slices(con, writes())
    return [
        SliceResult(meta.source, meta.config, meta.split, slice_stats)
        for meta, slice_stats in zip(metas, stats, strict=True)
    ]


def _stage(con: duckdb.DuckDBPyConnection, *, lake: Path, meta: SliceMeta):
    return stage_slice(con, lake, meta.source, meta.config, meta.split, tag=meta.load_id)


def _exploded(
    loaded: Slice, plan: SchemaPlan, meta: SliceMeta, batch_rows: int
) -> Iterator[Exploded]:
    first_row = 0
    for batch in loaded.batches(batch_rows):
        yield explode_batch(batch, plan, meta, first_row)
        first_row += batch.num_rows


_END = object()


def _read_ahead(items: Iterable, depth: int) -> Iterator:
    """Yield `items`, produced by a worker thread up to `depth` ahead of the consumer.

    Reading parquet, exploding (pyarrow) and inserting (DuckDB) all run in C++ without the
    GIL, so on two cores the next batch is read while this one is inserted. The worker's
    exceptions are re-raised here, in order; when the consumer stops early (an insert
    failed, an interrupt) the worker stops at its next hand-over.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                handoff.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((None, exc))

    worker = threading.Thread(target=work, name="tracehouse-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = handoff.get()
            if exc is not None:
                raise exc
            if item is _END:
                return
            yield item
            # Freed Arrow buffers go back to the OS (the allocator keeps them otherwise):
            # ~100 MB less peak RSS on kimi-sized data, no measurable time.
            pa.default_memory_pool().release_unused()
    finally:
        stop.set()
        worker.join(timeout=10)  # it is mid-batch at most; a daemon if the read hangs
