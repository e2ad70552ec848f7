"""Lake: the raw tables of each landed slice as Parquet files, Hive-partitioned, for Spark.

    LAKE/<table>/source=<value>/config=<value>/split=<value>/part-0.parquet

for table in conversations, messages, ingest_issues and loads. The files hold the raw
table's columns less the three partition columns, which readers get back from the path
(Hive convention: Spark refuses a column present in both). One file per slice and table,
written by DuckDB's COPY inside the ingest's transaction, next to its final name, and
renamed into place once the warehouse has committed: a reader sees the old file or the new
one, never a part; a failed ingest leaves both the warehouse and the lake as they were.

Partition values are percent-encoded: every ASCII character but letters, digits and `-._`
becomes %XX, so `/`, `\\`, `=`, `%`, quotes and control characters never reach a path, and
as each directory name starts with `source=`, `config=` or `split=` it can never be `.` or
`..`. Characters beyond ASCII stay as they are (both DuckDB and Spark decode %XX, but Spark
decodes it byte by byte, which would garble UTF-8). Every path is also checked to resolve
inside the lake before anything is written.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tracehouse.ingest.errors import IngestError
from tracehouse.ingest.schema import RAW_SCHEMA, TABLE_COLUMNS
from tracehouse.warehouse import sql_literal

LAKE_TABLES = ("conversations", "messages", "ingest_issues", "loads")
PARTITION_COLUMNS = ("source", "config", "split")
PARTITION_FLAGS = {"source": "--source-name", "config": "--config", "split": "--split"}
FILE_NAME = "part-0.parquet"
ROW_GROUP_ROWS = 16_384  # ~40 MB of kimi messages: Spark splits work by row group
# A row group is buffered whole before it is written, per thread; messages of a few hundred
# kilobytes would make 16,384 rows far larger. The byte bound keeps the COPY within ingest's
# 512 MB (at 10x kimi size the row bound alone ran out of memory). DuckDB takes it only
# without insertion order, which the lake does not need: readers key by row_index.
ROW_GROUP_BYTES = "32MB"
MAX_NAME_BYTES = 255  # one path component, on every common filesystem
_KEEP = frozenset(string.ascii_letters + string.digits + "-._")


class LakeError(IngestError):
    """The lake cannot take this slice (a name too long, a path outside the lake)."""


def encode_partition_value(value: str) -> str:
    """Percent-encode every ASCII character outside [A-Za-z0-9-._]; keep the rest."""
    if not value:
        raise LakeError("an empty partition value has no directory name")
    return "".join(
        char if char in _KEEP or ord(char) > 0x7F else f"%{ord(char):02X}" for char in value
    )


def slice_dir(lake: Path, table: str, source: str, config: str, split: str) -> Path:
    """The partition directory of one slice of one table; checked to stay inside `lake`."""
    if table not in LAKE_TABLES:
        raise LakeError(f"{table!r} is not a lake table")
    parts = []
    for column, value in zip(PARTITION_COLUMNS, (source, config, split), strict=True):
        name = f"{column}={encode_partition_value(value)}"
        try:
            size = len(name.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise LakeError(f"{column} {value!r} cannot be a directory name: {exc}") from exc
        if size > MAX_NAME_BYTES:
            raise LakeError(
                f"{column} {value[:60]!r}... is too long for a directory name in the lake "
                f"({size} bytes encoded, at most {MAX_NAME_BYTES}); give a shorter "
                f"{PARTITION_FLAGS[column]}"
            )
        parts.append(name)
    root = lake.resolve()
    path = root.joinpath(table, *parts)
    if root not in path.parents:  # cannot happen with the encoding above; never rely on it
        raise LakeError(f"{path} is outside the lake {root}")
    return path


def check_slices(lake: Path, keys: Iterable[tuple[str, str, str]]) -> None:
    """Fail before the warehouse is touched if the lake cannot take one of these slices."""
    existing = next(path for path in (lake, *lake.absolute().parents) if path.exists())
    if not existing.is_dir():
        raise LakeError(f"{lake}: the lake must be a directory, and {existing} is a file")
    for source, config, split in keys:
        for table in LAKE_TABLES:
            directory = slice_dir(lake, table, source, config, split)
            nearest = next(path for path in (directory, *directory.parents) if path.exists())
            if not os.access(nearest, os.W_OK | os.X_OK):  # a read-only mount, as root too
                raise LakeError(f"{lake}: the lake cannot be written ({nearest} is not writable)")


@dataclass
class StagedSlice:
    """A slice's files written beside their final names, waiting for the commit."""

    name: str  # `source [config/split]`, for messages
    moves: list[tuple[Path, Path]]  # (staged file, final file)

    def publish(self) -> None:
        """Rename every staged file over its final name (atomic per file, same directory);
        on a failure, remove the staged files left and say which slice it was."""
        try:
            for staged, final in self.moves:
                os.replace(staged, final)
        except OSError as exc:
            self.discard()
            raise LakeError(f"{self.name}: the lake could not take its files ({exc})") from exc

    def discard(self) -> None:
        for staged, _ in self.moves:
            staged.unlink(missing_ok=True)


def stage_slice(
    con: duckdb.DuckDBPyConnection, lake: Path, source: str, config: str, split: str, tag: str
) -> StagedSlice:
    """COPY the slice's rows of each raw table (as this connection sees them, so inside an
    open transaction its uncommitted rows) to hidden files beside their final names."""
    staged = StagedSlice(f"{source} [{config}/{split}]", [])
    preserve_order = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("set preserve_insertion_order = false")
    try:
        for table in LAKE_TABLES:
            directory = slice_dir(lake, table, source, config, split)
            _check_inside(lake, directory)  # before mkdir: a symlink inside the lake
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # one check_slices could not foresee
                raise LakeError(
                    f"{lake}: the lake cannot be written (creating {directory}: "
                    f"{exc.strerror or exc})"
                ) from exc
            _check_inside(lake, directory)
            final = directory / FILE_NAME
            # Hidden (leading dot, no .parquet suffix): Spark, Hive and `*.parquet` globs skip it.
            temporary = directory / f".{FILE_NAME}.{tag}.tmp"
            staged.moves.append((temporary, final))
            con.execute(
                f"copy (select * exclude ({', '.join(PARTITION_COLUMNS)}) "
                f"from {RAW_SCHEMA}.{table} where source = ? and config = ? and split = ?) "
                f"to {sql_literal(str(temporary))} "
                f"(format parquet, compression zstd, row_group_size {ROW_GROUP_ROWS}, "
                f"row_group_size_bytes '{ROW_GROUP_BYTES}')",
                [source, config, split],
            )
    except BaseException:
        staged.discard()
        raise
    finally:
        con.execute(f"set preserve_insertion_order = {bool(preserve_order)}")
    return staged


def _check_inside(lake: Path, directory: Path) -> None:
    """`directory`, symlinks followed, is inside the lake (slice_dir checks the names)."""
    if lake.resolve() not in directory.resolve().parents:
        raise LakeError(f"{directory} resolves outside the lake {lake.resolve()}")


def read_sql(lake: Path, table: str) -> str:
    """A DuckDB query over one lake table: the raw table's columns, in its order, with the
    partition values typed as text (DuckDB would otherwise guess, e.g. a config `2024`).
    Files are matched by column name, so a slice written before a column was added (the
    messages' `extra_keys`) reads it as null instead of failing the query."""
    pattern = lake.resolve() / table / "*" / "*" / "*" / "*.parquet"
    return (
        f"select {', '.join(TABLE_COLUMNS[table])} "
        f"from read_parquet({sql_literal(str(pattern))}, hive_partitioning = true, "
        "union_by_name = true, "
        "hive_types = {'source': varchar, 'config': varchar, 'split': varchar})"
    )
