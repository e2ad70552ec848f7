"""Whether the marts reflect the raw layer, read from the build record `meta.builds`.

The dbt project's hooks (dbt_project/macros/build_record.sql) write one row per build
(`tracehouse build`, a plain `dbt build` or `dbt run`): when it started and finished, whether
every node passed, whether it selected the whole project, and the load of every slice the raw
layer held. The marts are fresh when the last build succeeded and the last successful whole
build saw exactly the loads the raw layer holds now. `tracehouse report` and `tracehouse
export` refuse stale marts unless given `--allow-stale`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from tracehouse.errors import UserError
from tracehouse.warehouse import connect, tracehouse_command

BUILDS = "meta.builds"
SHOWN_LOADS = 3  # loads named in the message; the rest are counted


@dataclass(frozen=True)
class Load:
    """One load of one slice, as raw.loads records it."""

    load_id: str
    source: str
    config: str
    split: str
    loaded_at: datetime

    def describe(self) -> str:
        return f"{self.source} [{self.config}/{self.split}] loaded {self.loaded_at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class Freshness:
    """What the marts were built from, and why they are stale (None when they are not)."""

    problem: str | None
    built_at: datetime | None  # when the last successful whole build finished
    covered: tuple[Load, ...]  # the loads that build saw (what the marts hold, if it was last)

    @property
    def stale(self) -> bool:
        return self.problem is not None


class StaleMartsError(UserError):
    """The marts do not reflect the raw layer; the message names the build to run."""


def freshness(con: duckdb.DuckDBPyConnection) -> Freshness:
    """Compare the build record with the raw layer, on an open connection."""
    if not _has_table(con, "meta", "builds"):
        return Freshness(
            "the warehouse has no build record (it was never built, or by an older tracehouse)",
            None,
            (),
        )
    last = con.execute(
        f"select started_at, succeeded from {BUILDS} order by started_at desc limit 1"
    ).fetchone()
    whole = con.execute(
        f"select finished_at, load_ids from {BUILDS} where succeeded and whole "
        "order by started_at desc limit 1"
    ).fetchone()
    built_at, covered_ids = whole if whole is not None else (None, [])
    loads = _loads(con)
    covered = tuple(loads[load_id] for load_id in covered_ids if load_id in loads)
    problems = []
    if last is None or whole is None:
        problems.append("no build of the whole project has succeeded")
    elif last[1] is None:
        problems.append(f"the last build (started {last[0]:%Y-%m-%d %H:%M}) did not finish")
    elif not last[1]:
        problems.append(f"the last build (started {last[0]:%Y-%m-%d %H:%M}) failed")
    if whole is not None:
        new = [load for load in _current_loads(con, loads) if load.load_id not in covered_ids]
        if new:
            named = "; ".join(load.describe() for load in new[:SHOWN_LOADS])
            more = f" and {len(new) - SHOWN_LOADS} more" if len(new) > SHOWN_LOADS else ""
            problems.append(
                f"the raw layer holds {len(new)} load{'s' if len(new) != 1 else ''} the marts "
                f"were not built from ({named}{more})"
            )
    return Freshness("; ".join(problems) or None, built_at, covered)


def check_fresh(db: Path, *, allow_stale: bool = False) -> Freshness:
    """The marts' freshness; stale marts are a StaleMartsError unless `allow_stale`."""
    con = connect(db, read_only=True)
    try:
        state = freshness(con)
        has_marts = _has_table(con, "marts", "fct_conversations")
    finally:
        con.close()
    if state.stale and not allow_stale and not has_marts:  # --allow-stale would find nothing
        raise StaleMartsError(
            f"{db} has no marts yet: {state.problem}. Build them (dbt build) with: "
            f"{tracehouse_command(['build'], db)}"
        )
    if state.stale and not allow_stale:
        raise StaleMartsError(
            f"the marts of {db} are stale: {state.problem}. Rebuild them (dbt build) with: "
            f"{tracehouse_command(['build'], db)} (or pass --allow-stale to use them as they are)"
        )
    return state


def covered_loads(db: Path) -> tuple[Load, ...]:
    """The loads of the last successful whole build: what a report made with --allow-stale
    covers (when the last build failed, some marts may be newer)."""
    con = connect(db, read_only=True)
    try:
        return freshness(con).covered
    finally:
        con.close()


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return (
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        > 0
    )


def _loads(con: duckdb.DuckDBPyConnection) -> dict[str, Load]:
    """Every load raw.loads records (its history: replaced slices keep their rows)."""
    if not _has_table(con, "raw", "loads"):
        return {}
    rows = con.execute(
        "select load_id, source, config, split, finished_at from raw.loads"
    ).fetchall()
    return {row[0]: Load(*row) for row in rows}


def _current_loads(con: duckdb.DuckDBPyConnection, loads: dict[str, Load]) -> list[Load]:
    """The current load of each slice, as the build record's hook picks it."""
    if not loads:
        return []
    rows = con.execute(
        "select load_id from raw.loads qualify row_number() over ("
        "partition by source, config, split order by finished_at desc, load_id desc) = 1 "
        "order by source, config, split"
    ).fetchall()
    return [loads[load_id] for (load_id,) in rows]
