"""Land: write exploded batches into the DuckDB raw schema, every slice of an ingest in one
transaction.

Re-ingesting a slice (source, config, split) replaces it; a failure or an interrupt
anywhere before the commit, in any slice, leaves the warehouse exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import duckdb
import pyarrow as pa

from tracehouse.ingest.errors import IngestError
from tracehouse.ingest.explode import Exploded, SliceMeta
from tracehouse.ingest.schema import ADDED_COLUMNS, DDL, RAW_SCHEMA, upgrade_statements

SLICE_TABLES = ("conversations", "messages", "ingest_issues")


@dataclass(frozen=True)
class LoadStats:
    load_id: str
    conversations: int
    messages: int
    message_bytes: int
    issues: int
    duplicate_ids: int
    shared_ids: tuple[SharedIds, ...] = ()


@dataclass(frozen=True)
class SharedIds:
    """Another slice that holds conversation ids of the landed one."""

    source: str
    config: str
    split: str
    ids: int  # distinct ids the two slices share

    def detail(self) -> str:
        return (
            f"{self.ids} conversation {'id' if self.ids == 1 else 'ids'} of this slice "
            f"{'is' if self.ids == 1 else 'are'} also in the slice "
            f"{self.source} [{self.config}/{self.split}]; both are kept, and the marts count "
            "each of those conversations once per slice"
        )


def derived_id_detail(rows: int) -> str:
    return (
        f"{rows} rows have no id; each got 'sha256:' and the first 32 hex digits of the "
        "SHA-256 of its messages (README: Trace formats)"
    )


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables, or add the columns a warehouse of an older ingest lacks."""
    for statement in DDL:
        con.execute(statement)
    for table, column, value in ADDED_COLUMNS:
        present = con.execute(
            "select count(*) from information_schema.columns "
            "where table_catalog = current_database() and table_schema = ? "
            "and table_name = ? and column_name = ?",
            [RAW_SCHEMA, table, column],
        ).fetchone()[0]
        if not present:
            for statement in upgrade_statements(table, column, value):
                con.execute(statement)


class Staged(Protocol):
    """Files written for the slice inside its transaction (see tracehouse.ingest.lake)."""

    def publish(self) -> None: ...

    def discard(self) -> None: ...


@dataclass(frozen=True)
class SliceWrite:
    """One slice to replace: its rows in batches, the issues found on its columns, a callback
    per landed batch, and `stage`, which writes its lake files (see `replace_slices`)."""

    meta: SliceMeta
    batches: Generator[Exploded, None, None]  # closed when the slice ends, however it ends
    slice_issues: list[tuple[str, str, str]]
    on_batch: Callable[[Exploded], None] | None = None
    stage: Callable[[duckdb.DuckDBPyConnection], Staged] | None = None


def replace_slices(con: duckdb.DuckDBPyConnection, writes: Iterable[SliceWrite]) -> list[LoadStats]:
    """Delete each slice and insert its batches, all in one transaction; roll back on any
    exception, so a failure in the second slice leaves the first one as it was too.

    A slice's `stage`, when given, runs after its rows inside the transaction (it sees the
    slice as it will be committed) and returns what to `publish` once the commit succeeded,
    or to `discard`.
    """
    ensure_schema(con)
    staged: list[Staged] = []
    results = []
    con.execute("begin transaction")
    try:
        for write in writes:
            results.append(_write_slice(con, write))
            if write.stage is not None:
                staged.append(write.stage(con))
        con.execute("commit")
    except BaseException:
        for files in staged:
            files.discard()
        _rollback(con)
        raise
    problems = []
    for files in staged:  # every slice, even after one failed
        try:
            files.publish()
        except IngestError as exc:
            problems.append(str(exc))
    if problems:
        raise IngestError(
            f"the warehouse has every new slice, but {'; '.join(problems)}: ingest those slices "
            "again to bring the lake up to date"
        )
    return results


def _write_slice(con: duckdb.DuckDBPyConnection, write: SliceWrite) -> LoadStats:
    meta = write.meta
    key = [meta.source, meta.config, meta.split]
    conversations = messages = message_bytes = derived_ids = 0
    for table in SLICE_TABLES:
        con.execute(
            f"delete from {RAW_SCHEMA}.{table} where source = ? and config = ? and split = ?",
            key,
        )
    for field_name, issue, detail in write.slice_issues:
        con.execute(
            f"insert into {RAW_SCHEMA}.ingest_issues "
            "values (?, ?, ?, ?, null, null, null, ?, ?, ?)",
            [meta.load_id, *key, field_name, issue, detail],
        )
    # closing: a failed insert or a Ctrl-C stops the batches' read-ahead thread now, not when
    # the traceback that holds them is collected (a thread still reading in C++ when Python
    # exits aborts the process)
    with _single_threaded(con), closing(write.batches) as batches:
        for exploded in batches:
            _append(con, "conversations", exploded.conversations)
            _append(con, "messages", exploded.messages)
            if exploded.issues.num_rows:
                _append(con, "ingest_issues", exploded.issues)
            conversations += exploded.conversations.num_rows
            messages += exploded.messages.num_rows
            message_bytes += exploded.message_bytes
            derived_ids += exploded.derived_ids
            if write.on_batch is not None:
                write.on_batch(exploded)
    if derived_ids:
        con.execute(
            f"insert into {RAW_SCHEMA}.ingest_issues "
            "values (?, ?, ?, ?, null, null, null, 'id', 'derived_id', ?)",
            [meta.load_id, *key, derived_id_detail(derived_ids)],
        )
    duplicates = _flag_duplicate_ids(con, meta)
    shared = _ids_in_other_slices(con, meta)
    issues = con.execute(
        f"select count(*) from {RAW_SCHEMA}.ingest_issues "
        "where source = ? and config = ? and split = ?",
        key,
    ).fetchone()[0]
    con.execute(
        f"insert into {RAW_SCHEMA}.loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            meta.load_id,
            *key,
            meta.loaded_at,
            datetime.now(),
            conversations,
            messages,
            message_bytes,
            issues,
        ],
    )
    return LoadStats(
        meta.load_id, conversations, messages, message_bytes, issues, duplicates, shared
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back; a commit that failed has already ended the transaction."""
    with suppress(duckdb.TransactionException):
        con.execute("rollback")


@contextmanager
def _single_threaded(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Insert the batches on one DuckDB thread, then give the connection its threads back.

    Each batch is one Arrow chunk, which one thread scans anyway; with more threads DuckDB
    spent 4x the CPU (2.4-3.3 s instead of 0.6-0.7 s on kimi-sized data, 2 cores) on the same
    inserts, and the read-ahead thread that prepares the next batch had less of the machine.
    """
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.execute("set threads = 1")
    try:
        yield
    finally:
        # on a cursor of its own: after a failed statement the caller's transaction takes
        # nothing but its rollback (`threads` is the database's setting, not a transaction's)
        with con.cursor() as cursor:
            cursor.execute(f"set threads = {int(threads)}")


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Insert by position (explode emits the columns in the tables' order).

    Not `register` + `insert ... select`: a registered view is a catalog entry, and the
    transaction keeps every dropped entry, with the Arrow batch it points to, until the
    commit; that held the whole slice in memory. A relation dies with the statement.
    """
    con.from_arrow(rows).insert_into(f"{RAW_SCHEMA}.{table}")


def _flag_duplicate_ids(con: duckdb.DuckDBPyConnection, meta: SliceMeta) -> int:
    """Ids that repeat inside the slice: keep every row, flag it and record an issue."""
    key = [meta.source, meta.config, meta.split]
    con.execute(
        f"""
        update {RAW_SCHEMA}.conversations as c
        set is_duplicate_id = true
        from (
            select conversation_id
            from {RAW_SCHEMA}.conversations
            where source = ? and config = ? and split = ? and conversation_id is not null
            group by conversation_id
            having count(*) > 1
        ) as d
        where c.source = ? and c.config = ? and c.split = ?
          and c.conversation_id = d.conversation_id
        """,
        key + key,
    )
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.ingest_issues
        select ?, source, config, split, row_index, conversation_id, null,
               'id', 'duplicate_id', 'id repeats within the slice; every row kept'
        from {RAW_SCHEMA}.conversations
        where source = ? and config = ? and split = ? and is_duplicate_id
        """,
        [meta.load_id, *key],
    )
    return con.execute(
        f"select count(*) from {RAW_SCHEMA}.conversations "
        "where source = ? and config = ? and split = ? and is_duplicate_id",
        key,
    ).fetchone()[0]


def _ids_in_other_slices(con: duckdb.DuckDBPyConnection, meta: SliceMeta) -> tuple[SharedIds, ...]:
    """The other slices that hold ids of this one (the same files ingested under a second
    path, say, which the marts would count twice), each recorded as a slice-level issue.
    Both slices stay: the same id in two sources can be legitimate."""
    key = [meta.source, meta.config, meta.split]
    rows = con.execute(
        f"""
        select source, config, split, count(distinct conversation_id)
        from {RAW_SCHEMA}.conversations
        where not (source = ? and config = ? and split = ?)
          and conversation_id in (
            select conversation_id from {RAW_SCHEMA}.conversations
            where source = ? and config = ? and split = ? and conversation_id is not null
          )
        group by all
        order by 4 desc, 1, 2, 3
        """,
        key + key,
    ).fetchall()
    shared = tuple(SharedIds(*row) for row in rows)
    for other in shared:
        con.execute(
            f"insert into {RAW_SCHEMA}.ingest_issues "
            "values (?, ?, ?, ?, null, null, null, 'id', 'id_in_other_slice', ?)",
            [meta.load_id, *key, other.detail()],
        )
    return shared
