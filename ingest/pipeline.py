"""Ingest one SOURCE: load (datasets) -> explode (pyarrow) -> land (DuckDB), slice by slice."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from ingest.explode import Exploded, SchemaPlan, SliceMeta, explode_batch, plan_schema
from ingest.land import LoadStats, replace_slice
from ingest.load import Slice, choose_configs, load_slice, resolve_source

DEFAULT_BATCH_ROWS = 500


@dataclass(frozen=True)
class SliceResult:
    source: str
    config: str
    split: str
    stats: LoadStats


def prepare_slices(
    source: str, configs: Sequence[str], split: str, source_name: str | None = None
) -> list[tuple[Slice, SchemaPlan]]:
    """Everything that can fail before the warehouse is touched: paths, configs, columns."""
    spec = resolve_source(source, source_name)
    prepared = []
    for config in choose_configs(spec, configs):
        loaded = load_slice(spec, config, split)
        prepared.append((loaded, plan_schema(loaded.dataset.data.schema)))
    return prepared


def ingest_slices(
    con: duckdb.DuckDBPyConnection,
    prepared: list[tuple[Slice, SchemaPlan]],
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_slice: Callable[[Slice], Callable[[Exploded], None] | None] | None = None,
) -> list[SliceResult]:
    """Land each prepared slice in its own transaction."""
    results = []
    for loaded, plan in prepared:
        meta = SliceMeta(
            source=loaded.source,
            config=loaded.config,
            split=loaded.split,
            load_id=str(uuid.uuid4()),
            loaded_at=datetime.now(),
        )
        on_batch = on_slice(loaded) if on_slice is not None else None
        stats = replace_slice(
            con, meta, _exploded(loaded, plan, meta, batch_rows), plan.slice_issues(), on_batch
        )
        results.append(SliceResult(loaded.source, loaded.config, loaded.split, stats))
    return results


def _exploded(
    loaded: Slice, plan: SchemaPlan, meta: SliceMeta, batch_rows: int
) -> Iterator[Exploded]:
    first_row = 0
    for batch in loaded.batches(batch_rows):
        yield explode_batch(batch, plan, meta, first_row)
        first_row += batch.num_rows
