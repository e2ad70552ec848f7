"""Read the report marts over a read-only connection, as plain rows.

Every figure of the page is a column of a report mart (dbt_project/models/marts/report/,
listed in sections.py): this module only selects them, whole and in a stated order. The
texts of the few conversations and calls the page quotes are read in texts.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from tracehouse.errors import UserError
from tracehouse.warehouse import connect, tracehouse_command

SCHEMA = "marts"
# mart and column names come from sections.py, never from the data; checked all the same
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
ORDER_TERM = re.compile(r"^([a-z_][a-z0-9_]*)( desc)?$")

Row = dict[str, Any]


def open_marts(db: Path, required: list[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a warehouse holding every `required` mart, else a UserError."""
    con = connect(Path(db), read_only=True)
    present = mart_tables(con)
    missing = [name for name in required if name not in present]
    if missing:
        con.close()
        shown = ", ".join(f"{SCHEMA}.{name}" for name in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise UserError(
            f"{db} lacks the report's marts ({shown}{more} missing): "
            f"run `{tracehouse_command(['build'], db)}` (dbt build) first"
        )
    return con


def mart_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables and views of the marts schema."""
    return {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
        ).fetchall()
    }


def read_mart(con: duckdb.DuckDBPyConnection, mart: str, order_by: tuple[str, ...]) -> list[Row]:
    """Every row of marts.<mart>, in the order `order_by` (column names, each maybe `desc`)."""
    if not IDENTIFIER.match(mart):
        raise ValueError(f"not a mart name: {mart!r}")
    terms = []
    for term in order_by:
        found = ORDER_TERM.match(term)
        if not found:
            raise ValueError(f"not a column to order by: {term!r}")
        terms.append(f'"{found.group(1)}"{found.group(2) or ""}')
    # then every other column, so that rows with equal keys still come in one order
    relation = f'{SCHEMA}."{mart}"'
    stated = {ORDER_TERM.match(term).group(1) for term in order_by}
    columns = [column[0] for column in con.execute(f"select * from {relation} limit 0").description]
    terms += [f'"{name}"' for name in columns if name not in stated]
    return rows(con, f"select * from {relation} order by {', '.join(terms)}")


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
