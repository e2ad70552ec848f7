"""The warehouse file: where it is, and connections that say clearly when it is locked."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from tracehouse.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[1]
DB_ENV = "TRACEHOUSE_DB"
MEMORY_ENV = "TRACEHOUSE_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2GB"  # DuckDB buffer pool; Python and dbt add ~0.3-1 GB


class WarehouseError(UserError):
    """A problem with the warehouse file that the user can fix; the message says how."""


def sql_path_literal(path: Path) -> str:
    """A path, resolved, as a SQL string literal, for statements that take no parameter for
    it (COPY's target, a view's read_parquet)."""
    return "'" + str(Path(path).resolve()).replace("'", "''") + "'"


def default_db_path() -> Path:
    """`$TRACEHOUSE_DB`, else warehouse.duckdb at the repository root."""
    configured = os.environ.get(DB_ENV)
    return Path(configured) if configured else REPO_ROOT / "warehouse.duckdb"


def connect(db: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. One writer at a time: a held lock becomes a clear error."""
    db = Path(db)
    if read_only and not db.exists():
        raise WarehouseError(f"{db}: no warehouse here yet; run `tracehouse ingest` first")
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)}
    try:
        return duckdb.connect(str(db), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            holder = re.search(r"PID (\d+)", message)
            who = f" (held by PID {holder.group(1)})" if holder else ""
            raise WarehouseError(
                f"{db} is locked by another process{who}. DuckDB allows one writer at a time: "
                "close the other tracehouse command or DuckDB shell and try again."
            ) from exc
        raise WarehouseError(f"{db}: {message.splitlines()[0]}") from exc
