"""The warehouse file: where it is, and connections that say clearly when it is locked."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tracehouse.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[1]
DB_ENV = "TRACEHOUSE_DB"
MEMORY_ENV = "TRACEHOUSE_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1.25GB"  # DuckDB buffer pool; Python and dbt add ~0.5 GB
# Rows per row group of the tables tracehouse writes (ingest, and the build through `held` and
# profiles.yml). DuckDB scans a table one row group per thread, and the parse does all its
# work in that scan's pipeline: with the default 122,880 rows, kimi's 184,851 messages are
# two row groups, one twice the other, and one of two cores idled for a third of the parse
# (2.5 s against 2.1 s, bench/README.md). DuckDB applies it per ATTACH, not per file.
ROW_GROUP_SIZE = 16_384
# profiles.yml: dbt-duckdb opens this in-memory instance (`path`) and attaches the warehouse
# file to it under this name (`attach: alias`, `database`), as ingest's connection does. The
# name is fixed, so no path reaches SQL as a catalog name; named in-memory instances are
# shared within a process, so a connection opened here first holds the file for dbt's whole
# run (see `held`).
DBT_INSTANCE = ":memory:tracehouse"
DBT_CATALOG = "warehouse"


class WarehouseError(UserError):
    """A problem with the warehouse file that the user can fix; the message says how."""


def sql_literal(value: str) -> str:
    """A string as a SQL string literal, for the statements that take no bound parameter
    (ATTACH, COPY's target, a view's read_parquet, SET): the one quoting helper."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_path_literal(path: Path) -> str:
    """A path, resolved, as a SQL string literal."""
    return sql_literal(str(Path(path).resolve()))


def is_default_db(db: Path) -> bool:
    return Path(db).resolve() == default_db_path().resolve()


def tracehouse_command(
    words: Sequence[str], db: Path | None = None, tail: Sequence[str] = ()
) -> str:
    """`tracehouse WORDS [--db DB] TAIL` to print, shell-quoted so that it can be pasted;
    `--db` only when `db` is not the default warehouse."""
    db_args = ["--db", str(db)] if db is not None and not is_default_db(db) else []
    return shlex.join(["tracehouse", *words, *db_args, *tail])


def default_db_path() -> Path:
    """`$TRACEHOUSE_DB`, else warehouse.duckdb at the repository root."""
    configured = os.environ.get(DB_ENV)
    return Path(configured) if configured else REPO_ROOT / "warehouse.duckdb"


def connect(db: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. One writer at a time: a held lock becomes a clear error."""
    db = Path(db)
    config = {"memory_limit": os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)}
    if read_only:
        if not db.exists():
            ingest = tracehouse_command(["ingest", "SOURCE"], db)
            raise WarehouseError(f"{db}: no warehouse here yet; run `{ingest}` first")
        return _attached(db, duckdb.connect(config=config), attach_clause(db, read_only=True))
    _make_folder(db)
    # A writer attaches the file, the one way to give its tables ROW_GROUP_SIZE; spill files
    # stay where DuckDB puts them for a file it opens itself.
    con = duckdb.connect(config={**config, "temp_directory": f"{db.resolve()}.tmp"})
    return _attached(db, con, attach_clause(db))


def attach_clause(db: Path, *, read_only: bool = False) -> str:
    """What ATTACH takes to open the warehouse under its fixed catalog name. As a DuckDB file
    whatever its name: DuckDB opens a `.parquet`, `.csv` or `.json` path as an empty
    in-memory database of views over the file, where an ingest then landed nothing."""
    options = "read_only" if read_only else f"row_group_size {ROW_GROUP_SIZE}"
    return f"{sql_path_literal(db)} as {DBT_CATALOG} (type duckdb, {options})"


def _attached(db: Path, con: duckdb.DuckDBPyConnection, clause: str) -> duckdb.DuckDBPyConnection:
    """`con` with the warehouse attached (`clause`) and used as its default catalog."""
    try:
        con.execute(f"attach {clause}")
    except duckdb.IOException as exc:
        con.close()
        raise _open_error(db, exc) from exc
    con.execute(f"use {DBT_CATALOG}")
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the warehouse `con` holds, for another thread: DuckDB starts a
    cursor in the in-memory instance's own catalog, so it is pointed at the warehouse too."""
    second = con.cursor()
    second.execute(f"use {DBT_CATALOG}")
    return second


def _make_folder(db: Path) -> None:
    """The warehouse's folder, created if missing; one that cannot be is a WarehouseError."""
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise WarehouseError(f"{db}: {exc.filename} is a file, not a folder") from None
    except OSError as exc:
        raise WarehouseError(f"{db}: cannot create {exc.filename} ({exc.strerror})") from None


@contextmanager
def held(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, attached read-write as `warehouse` to dbt-duckdb's in-process instance,
    from the start of the block to its end: dbt's own connections (profiles.yml) join this
    instance instead of opening the file, so no other process can open it between dbt's
    queries, nor while dbt parses. The connection's default catalog is the warehouse."""
    # DuckDB's Python client imports pandas (about half a second) from C++ inside the first
    # query that binds a parameter, the first query below; a Ctrl-C during that import was
    # lost, and the build ran on to its end or hung with Python's import lock held. Imported
    # here, in Python, it is interrupted like any other line. (Not in `connect`: a query of
    # `tracehouse sql` binds nothing and would pay the import for nothing.)
    import pandas  # noqa: F401

    db = Path(db).resolve()
    _make_folder(db)
    con = duckdb.connect(DBT_INSTANCE)
    try:
        attached = con.execute(
            "select path from duckdb_databases() where database_name = ?", [DBT_CATALOG]
        ).fetchone()
        if attached is None:
            try:
                con.execute(f"attach {attach_clause(db)}")
            except duckdb.IOException as exc:
                raise _open_error(db, exc) from exc
        elif Path(attached[0]).resolve() != db:
            raise WarehouseError(
                f"{db}: this process already holds another warehouse ({attached[0]})"
            )
        con.execute(f"use {DBT_CATALOG}")
        yield con
    finally:
        con.close()


def _open_error(db: Path, exc: duckdb.IOException) -> WarehouseError:
    """A held lock becomes the one-writer message, naming the holder's PID."""
    message = str(exc)
    if "lock" in message.lower():
        holder = re.search(r"PID (\d+)", message)
        who = f" (held by PID {holder.group(1)})" if holder else ""
        return WarehouseError(
            f"{db} is locked by another process{who}. DuckDB allows one writer at a time: "
            "close the other tracehouse command or DuckDB shell and try again."
        )
    return WarehouseError(f"{db}: {message.splitlines()[0]}")
