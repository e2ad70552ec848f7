"""Run dbt in-process (dbt's Python runner) against the warehouse, then release the file."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import duckdb
import yaml

from tracehouse.errors import UserError, is_interruption
from tracehouse.spark import LAKE_ENV, WAREHOUSE_ENV
from tracehouse.warehouse import (
    DB_ENV,
    DBT_CATALOG,
    DEFAULT_MEMORY_LIMIT,
    MEMORY_ENV,
    REPO_ROOT,
    held,
    tracehouse_command,
)

# profiles.yml: `target: duckdb`, and `path: env_var('TRACEHOUSE_DB', 'warehouse.duckdb')`
PROFILE_DEFAULT_TARGET = "duckdb"
PROFILE_DEFAULT_DB = "warehouse.duckdb"
TARGET_ENV = "DBT_TARGET"  # dbt's environment variable for --target
COLOR_ENV = "DBT_USE_COLORS"  # dbt's environment variable for --use-colors/--no-use-colors
COLOR_FLAGS = ("--use-colors", "--no-use-colors")
# dbt's flags that tracehouse passes itself (invoke_dbt, target_args). dbt takes the last of a
# repeated flag, and tracehouse's come last: the same flag after `--` was silently replaced
# (or, for --target, bypassed the checks and the Spark settings of tracehouse's --target).
PROJECT_FLAGS = ("--project-dir", "--profiles-dir")
TARGET_FLAGS = ("--target", "-t")
# what dbt says when an incremental model's columns changed (`on_schema_change: fail`)
SCHEMA_CHANGE_MESSAGE = "schemas on this incremental model are out of sync"
# what DuckDB says when a query needs more memory than its memory_limit allows
OUT_OF_MEMORY_MESSAGE = "Out of Memory Error"
# the stops of macros/incremental.sql, whose messages name dbt's command only: a table an
# older tracehouse built without a column of incremental by load, a model selected without
# its incremental parents, a model rebuilt from scratch without its incremental children
OLD_TABLE_MESSAGE = "column: an older tracehouse built it"
PARENTS_UNSELECTED_MESSAGE = "is incremental by load and reads"
CHILDREN_UNSELECTED_MESSAGE = "is rebuilt from scratch, and"


def is_spark(target: str) -> bool:
    """Every output of profiles.yml but `duckdb` is a Spark one (session, thrift, http)."""
    return target != PROFILE_DEFAULT_TARGET


def check_target(target: str) -> None:
    """A name that is no output of profiles.yml is a UserError that lists them."""
    targets = profile_targets()
    if target not in targets:
        raise UserError(
            f"--target {target}: profiles.yml has no such output (outputs: {', '.join(targets)})"
        )


def profile_targets() -> list[str]:
    """The outputs of profiles.yml at the repository root (not its commented ones)."""
    profiles = yaml.safe_load((REPO_ROOT / "profiles.yml").read_text(encoding="utf-8"))
    return [
        name
        for profile in profiles.values()
        if isinstance(profile, dict)
        for name in profile.get("outputs") or {}
    ]


def profile_finds(db: Path) -> bool:
    """True when profiles.yml, as a plain `dbt build` in this shell renders it, already points
    at `db`. Then $TRACEHOUSE_DB is left as it is: dbt parses the whole project again whenever
    the rendered profile changes (about twice the time of a partial parse), so `tracehouse
    build` and a plain `dbt build` on the same warehouse keep sharing one parse."""
    rendered = os.environ.get(DB_ENV, PROFILE_DEFAULT_DB)
    return Path(rendered).resolve() == Path(db).resolve()


def flag_in(dbt_args: Sequence[str], flags: Sequence[str]) -> str | None:
    """The first of `flags` among dbt's arguments, written alone or with its value attached
    (`--flag=VALUE`, `-tVALUE`); None when none is."""
    for arg in dbt_args:
        for flag in flags:
            attached = "=" if flag.startswith("--") else ""
            if arg == flag or (len(arg) > len(flag) and arg.startswith(flag + attached)):
                return flag
    return None


def refuse_flags_tracehouse_sets(dbt_args: Sequence[str], command: str = "build") -> None:
    """A UserError, before dbt runs, for a dbt argument that tracehouse passes itself."""
    flag = flag_in(dbt_args, PROJECT_FLAGS)
    if flag is not None:
        raise UserError(
            f"dbt's {flag} cannot go after `--`: tracehouse sets it to the repository root "
            f"({REPO_ROOT}), where the project and profiles.yml are. For another profile or "
            f"project, run plain `dbt {command}` from the repository root"
        )
    flag = flag_in(dbt_args, TARGET_FLAGS)
    if flag is not None:
        raise UserError(
            f"dbt's {flag} cannot go after `--`: tracehouse sets it from its own --target; "
            f"give that before `--` (`tracehouse {command} --target TARGET`)"
        )


def target_args(target: str) -> list[str]:
    """`--target TARGET`, left out for the profile's default target (unless $DBT_TARGET
    would choose another): dbt keeps the flag in its partial-parse state, so passing the
    default explicitly would make every switch between `tracehouse build` and a plain
    `dbt build` parse the whole project again."""
    if target == PROFILE_DEFAULT_TARGET and TARGET_ENV not in os.environ:
        return []
    return ["--target", target]


def run_dbt(
    db: Path,
    dbt_args: Sequence[str],
    target: str = PROFILE_DEFAULT_TARGET,
    *,
    lake: Path | None = None,
    spark_warehouse: Path | None = None,
) -> bool:
    """`dbt <dbt_args>` on the project at the repository root; True when dbt succeeded."""
    return bool(
        invoke_dbt(db, dbt_args, target, lake=lake, spark_warehouse=spark_warehouse).success
    )


def invoke_dbt(
    db: Path,
    dbt_args: Sequence[str],
    target: str = PROFILE_DEFAULT_TARGET,
    *,
    lake: Path | None = None,
    spark_warehouse: Path | None = None,
    before=None,
):
    """`dbt <dbt_args>` on the project at the repository root; dbt's result.

    On the DuckDB target the warehouse is held (`tracehouse.warehouse.held`) from before dbt
    starts parsing until its connections are closed, and `before(con)`, when given, runs on
    that connection first. Without a terminal dbt prints no colour codes. On a Spark target,
    `lake` and `spark_warehouse` (when given) go to the profile through $TRACEHOUSE_LAKE and
    $TRACEHOUSE_SPARK_WAREHOUSE."""
    from dbt.cli.main import dbtRunner

    db = Path(db).resolve()
    settings = {} if profile_finds(db) else {DB_ENV: str(db)}
    if lake is not None:
        settings[LAKE_ENV] = str(Path(lake).resolve())
    if spark_warehouse is not None:
        settings[WAREHOUSE_ENV] = str(Path(spark_warehouse).resolve())
    with nullcontext() if is_spark(target) else held(db) as con:
        if before is not None and con is not None:
            before(con)
        with environment(settings):
            try:
                result = dbtRunner().invoke(
                    [
                        *dbt_args,
                        *color_args(dbt_args),
                        "--project-dir",
                        str(REPO_ROOT),
                        "--profiles-dir",
                        str(REPO_ROOT),
                        *target_args(target),
                    ]
                )
            finally:
                close_dbt_connections()
    if is_interruption(result.exception):
        raise KeyboardInterrupt from result.exception
    if result.exception is not None:
        raise UserError(f"dbt {dbt_args[0]} failed: {result.exception}")
    changed = schema_changed_models(result.result)
    if changed:
        raise UserError(schema_change_advice(db, changed, command=dbt_args[0]))
    unselected = selection_advice(db, result.result, command=dbt_args[0])
    if unselected:
        raise UserError(unselected)
    exhausted = nodes_failing_with(result.result, OUT_OF_MEMORY_MESSAGE)
    if exhausted and not is_spark(target):
        raise UserError(memory_advice(db, exhausted, command=dbt_args[0]))
    return result


@contextmanager
def environment(settings: dict[str, str]) -> Iterator[None]:
    """Environment variables set for the block (dbt renders the profile from them)."""
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def color_args(dbt_args: Sequence[str]) -> list[str]:
    """`--no-use-colors` when stdout (where dbt logs) is not a terminal, unless the user chose
    (a flag after `--`, or $DBT_USE_COLORS)."""
    if sys.stdout.isatty() or COLOR_ENV in os.environ:
        return []
    if any(arg in COLOR_FLAGS for arg in dbt_args):
        return []
    return ["--no-use-colors"]


def schema_changed_models(run_result: object) -> list[str]:
    """The incremental models dbt refused to build because their columns changed, or that
    have no column of incremental by load: a warehouse built by an older tracehouse (every
    incremental model fails on a schema change rather than append rows of another shape)."""
    return sorted(
        {
            *nodes_failing_with(run_result, SCHEMA_CHANGE_MESSAGE),
            *nodes_failing_with(run_result, OLD_TABLE_MESSAGE),
        }
    )


def nodes_failing_with(run_result: object, message: str) -> list[str]:
    """The names of the nodes whose result message holds `message`."""
    names = {
        node_result.node.name
        for node_result in getattr(run_result, "results", None) or []
        if message in str(getattr(node_result, "message", "") or "")
    }
    return sorted(names)


def memory_advice(db: Path, nodes: Sequence[str], command: str) -> str:
    """What to do when DuckDB ran out of its memory_limit: name the nodes and the setting."""
    limit = os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)
    larger = f"{max(4, 2 * _gigabytes(limit)):g}GB"
    return (
        f"dbt {command} ran out of memory in {', '.join(nodes)}: DuckDB's memory_limit is {limit} "
        f"(${MEMORY_ENV}, default {DEFAULT_MEMORY_LIMIT}). Give it more, e.g. "
        f"{MEMORY_ENV}={larger} " + tracehouse_command([command], db)
    )


def schema_change_advice(db: Path, models: Sequence[str], command: str) -> str:
    """What to run: rebuild those models from scratch, with everything that reads them and
    everything those read (dbt's `@`: an incremental model runs only beside its incremental
    parents, macros/incremental.sql)."""
    selectors = [f"@{name}" for name in models]
    them = "it" if len(models) == 1 else "them"
    return (
        f"dbt {command} failed: the columns of {', '.join(models)} changed since this warehouse "
        f"was built (by an older tracehouse). Rebuild {them} and the models that read {them} "
        "from the raw layer: "
        + tracehouse_command(["build"], db, ["--", "--full-refresh", "--select", *selectors])
    )


def selection_advice(db: Path, run_result: object, command: str) -> str | None:
    """The selection to run when macros/incremental.sql stopped a model for its incremental
    neighbours (dbt's log has the message, which names the plain dbt command): the same
    selection as a tracehouse command for this warehouse. None when it did not stop one."""
    parents = nodes_failing_with(run_result, PARENTS_UNSELECTED_MESSAGE)
    if parents:
        return (
            f"dbt {command} stopped: {', '.join(parents)} read incremental models this run "
            "does not build. Build them together: "
            + tracehouse_command(["build"], db, ["--", "--select", *(f"+{n}" for n in parents)])
        )
    children = nodes_failing_with(run_result, CHILDREN_UNSELECTED_MESSAGE)
    if children:
        return (
            f"dbt {command} stopped: incremental models this run does not rebuild read "
            f"{', '.join(children)}. Rebuild them together: "
            + tracehouse_command(
                ["build"], db, ["--", "--full-refresh", "--select", *(f"@{n}" for n in children)]
            )
        )
    return None


def _gigabytes(limit: str) -> float:
    """A DuckDB memory_limit such as `2GB`, `512MB` or `1.5GiB` in GB (0 when unreadable)."""
    found = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT])I?B\s*", limit.upper())
    if not found:
        return 0
    scale = {"K": 1e-6, "M": 1e-3, "G": 1, "T": 1e3}[found.group(2)]
    return round(float(found.group(1)) * scale, 1)


def check_raw_layer(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Fail early, with the fix, when there is nothing to build from (`con`: the held
    warehouse)."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_catalog = ? "
        "and table_schema = 'raw' and table_name in ('conversations', 'messages')",
        [DBT_CATALOG],
    ).fetchone()[0]
    if found < 2:
        raise UserError(
            f"{db} has no raw layer: run `{tracehouse_command(['ingest', 'SOURCE'], db)}` first"
        )


def close_dbt_connections() -> None:
    """dbt-duckdb keeps its DuckDB instance on the connection manager; close it so the
    file is not left locked for the next writer in this process."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
