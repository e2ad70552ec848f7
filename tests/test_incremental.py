"""The incremental models (the intermediate models and the facts): a build after an ingest
computes only the new loads, and gives exactly what a build from scratch on the same raw
data gives, the aggregates included.

Two warehouses from the same generated files: one ingested and built step by step (kimi,
build, glm-5.1, build, kimi again from other files, build), the other ingested once and
built from scratch at each step. Every mart must hold the same rows in both (floats to nine
decimal places); `load_id` (a fresh uuid per ingest), the parse's `parsed_by` and the build
stamps of report_build_info are left out of the comparison.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import tracehouse
from tracehouse.warehouse import sql_path_literal

SOURCE_NAME = "tests/incremental"
# the incremental models (dbt_project.yml: the intermediate folder and marts/facts)
INCREMENTAL = (
    "intermediate.int_blocks_parsed",
    "intermediate.int_messages_sequenced",
    "intermediate.int_tool_calls_paired",
    "intermediate.int_tools_declared",
    "marts.fct_conversations",
    "marts.fct_assistant_turns",
    "marts.fct_tool_responses",
)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    from tracehouse.sample.dataset import generate_dataset

    root = tmp_path_factory.mktemp("incremental")
    generate_dataset(root / "first", 24, seed=5)
    # a smaller, different kimi slice under the same source name: replaces the first one
    generate_dataset(root / "second", 15, seed=6, configs=("kimi",))
    return {"root": root, "first": root / "first", "second": root / "second"}


def ingest(db: Path, source: Path, *configs: str) -> None:
    args = [arg for config in configs for arg in ("--config", config)]
    tracehouse("ingest", str(source), "--db", str(db), "--source-name", SOURCE_NAME, "-q", *args)


def build(db: Path, *dbt_args: str) -> None:
    tracehouse("build", "--db", str(db), "--", "--quiet", *dbt_args)


def mart_rows_differing(incremental: Path, scratch: Path) -> dict[str, int]:
    """Rows of each intermediate and mart table in one warehouse and not the other (both ways,
    duplicates counted)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_path_literal(incremental)} as a (read_only)")
        con.execute(f"attach {sql_path_literal(scratch)} as b (read_only)")
        tables = [
            f"{schema}.{name}"
            for (schema, name) in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'a' "
                "and schema_name in ('intermediate', 'marts') order by 1, 2"
            ).fetchall()
        ]
        assert set(INCREMENTAL) <= set(tables)
        differing = {}
        for table in tables:
            columns = [
                # floating-point sums depend on the order rows arrive in: compare to 9 places
                f'round("{name}", 9)' if data_type in ("DOUBLE", "FLOAT") else f'"{name}"'
                for (name, data_type) in con.execute(
                    "select column_name, data_type from duckdb_columns() "
                    "where database_name = 'a' "
                    "and schema_name || '.' || table_name = ? "
                    "and column_name not in "
                    "('load_id', 'loaded_at', 'built_at', 'dbt_invocation_id', 'parsed_by') "
                    "order by column_index",
                    [table],
                ).fetchall()
            ]
            select = ", ".join(columns)
            count = con.execute(
                f"select (select count(*) from (select {select} from a.{table} "
                f"except all select {select} from b.{table})) + "
                f"(select count(*) from (select {select} from b.{table} "
                f"except all select {select} from a.{table}))"
            ).fetchone()[0]
            if count:
                differing[table] = count
        return differing
    finally:
        con.close()


def test_incremental_builds_equal_builds_from_scratch(data, tmp_path):
    step_by_step = tmp_path / "incremental.duckdb"
    ingest(step_by_step, data["first"], "kimi")
    build(step_by_step)

    # one more config: the incremental marts compute it and keep what they had
    ingest(step_by_step, data["first"], "glm-5.1")
    build(step_by_step)
    scratch = tmp_path / "scratch.duckdb"
    ingest(scratch, data["first"])
    build(scratch)
    assert mart_rows_differing(step_by_step, scratch) == {}

    # the kimi slice ingested again from other files (fewer rows): its old rows are gone
    ingest(step_by_step, data["second"], "kimi")
    build(step_by_step, "--exclude", "resource_type:test")
    ingest(scratch, data["second"], "kimi")
    build(scratch, "--full-refresh", "--exclude", "resource_type:test")
    assert mart_rows_differing(step_by_step, scratch) == {}

    con = duckdb.connect(str(step_by_step), read_only=True)
    try:
        loads = {row[0] for row in con.execute("select load_id from raw.loads").fetchall()}
        for table in INCREMENTAL:
            kept = {
                row[0] for row in con.execute(f"select distinct load_id from {table}").fetchall()
            }
            assert kept <= loads, table  # nothing left from a replaced load
        kimi = con.execute(
            "select count(*) from marts.fct_conversations where config = 'kimi'"
        ).fetchone()[0]
    finally:
        con.close()
    assert kimi == 15


def test_a_build_with_no_new_data_appends_nothing_twice(data, tmp_path):
    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"])
    build(db, "--exclude", "resource_type:test")
    con = duckdb.connect(str(db), read_only=True)
    before = {
        table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in INCREMENTAL
    }
    con.close()
    build(db, "--exclude", "resource_type:test")
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in INCREMENTAL:
            after = con.execute(f"select count(*) from {table}").fetchone()[0]
            assert after == before[table] > 0, table
    finally:
        con.close()


def test_a_table_built_before_it_carried_load_id_fails_with_the_full_refresh_advice(data, tmp_path):
    """A warehouse built by an older tracehouse, whose intermediate tables had no load_id:
    the build stops on that table and says how to rebuild, instead of a database error."""
    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"], "kimi")
    build(db, "--exclude", "resource_type:test")
    con = duckdb.connect(str(db))
    con.execute("alter table intermediate.int_blocks_parsed drop column load_id")
    con.close()

    failed = tracehouse(
        "build", "--db", str(db), "--", "--exclude", "resource_type:test", check=False
    )
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "int_blocks_parsed has no load_id column" in output
    assert "dbt build --full-refresh --select @int_blocks_parsed" in output
    advice = f"tracehouse build --db {db} -- --full-refresh --select @int_blocks_parsed"
    assert failed.stderr.strip().splitlines()[-1].endswith(advice)
    assert "Traceback" not in failed.stderr

    build(db, "--full-refresh", "--exclude", "resource_type:test")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert (
            con.execute(
                "select count(*) from intermediate.int_blocks_parsed where load_id is null"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()


def test_a_new_version_of_the_rules_builds_every_load_again(data, tmp_path):
    """Rows written by other rules (tracehouse_rules_version) never stay beside new ones: the
    build after the version changes builds every load of every incremental model again, and
    gives the rows a build from scratch gives."""
    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"], "kimi")
    build(db, "--exclude", "resource_type:test")
    con = duckdb.connect(str(db), read_only=True)
    rows = {
        table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in INCREMENTAL
    }
    first_builds = {
        row[0]
        for row in con.execute(
            "select distinct parsed_by from intermediate.int_blocks_parsed"
        ).fetchall()
    }
    con.close()

    build(db, "--exclude", "resource_type:test", "--vars", "{tracehouse_rules_version: 999}")
    con = duckdb.connect(str(db), read_only=True)
    try:
        versions = {
            table: con.execute(f"select rules_version, count(*) from {table} group by 1").fetchall()
            for table in INCREMENTAL
        }
        reparsed = con.execute(
            "select count(*) from intermediate.int_blocks_parsed where parsed_by in "
            f"({', '.join('?' for _ in first_builds)})",
            list(first_builds),
        ).fetchone()[0]
    finally:
        con.close()
    assert versions == {table: [(999, rows[table])] for table in INCREMENTAL}
    assert all(rows.values())
    assert reparsed == 0


def test_a_partial_build_runs_the_tests_of_what_it_builds_and_no_other(data, tmp_path):
    """The staging views built alone, on a warehouse only ingested so far, build without the
    reconciliation test that reads the parse (not built yet). A build of the parse alone
    still runs it: dbt's indirect selection `buildable` (dbt_project.yml)."""
    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"], "kimi")

    def ran(*selection: str) -> set[str]:
        target = tmp_path / "target"
        build(db, "--target-path", str(target), *selection)
        results = json.loads((target / "run_results.json").read_text())["results"]
        assert all(result["status"] in ("success", "pass") for result in results)
        return {result["unique_id"].split(".")[-1] for result in results}

    staging = ran("--select", "staging")
    assert {"stg_hermes__messages", "stg_hermes__conversations"} <= staging
    assert "assert_blocks_rebuild_messages" not in staging
    assert "assert_blocks_rebuild_messages" in ran("--select", "int_blocks_parsed")


def test_a_fact_selected_without_its_incremental_parents_stops_and_names_them(data, tmp_path):
    """After an ingest, a fact built alone would take the new load from intermediate tables
    that do not hold it yet, and never build it again. The run stops instead, naming the
    parents and the selection that builds them together; what that selection writes is what
    a build from scratch writes."""
    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"], "kimi")
    build(db, "--exclude", "resource_type:test")
    ingest(db, data["first"], "glm-5.1")

    alone = tracehouse("build", "--db", str(db), "--", "--select", "fct_conversations", check=False)
    assert alone.returncode != 0
    output = alone.stdout + alone.stderr
    assert "fct_conversations is incremental by load and reads int_" in output
    assert "dbt build --select +fct_conversations" in output
    # the command to paste names this warehouse, not the default one
    advice = f"tracehouse build --db {db} -- --select +fct_conversations"
    assert alone.stderr.strip().splitlines()[-1].endswith(advice)

    build(db, "--select", "+fct_conversations", "--exclude", "resource_type:test")
    # the rest, and what the selection wrote, must now equal a build from scratch
    build(db, "--exclude", "resource_type:test")
    scratch = tmp_path / "scratch.duckdb"
    ingest(scratch, data["first"])
    build(scratch, "--exclude", "resource_type:test")
    assert mart_rows_differing(db, scratch) == {}


def test_a_model_rebuilt_from_scratch_without_its_incremental_children_stops(data, tmp_path):
    """The parse rebuilt from scratch alone would leave the models that read it with rows
    built from its old ones, for good: the run stops and names `@int_blocks_parsed`, which
    rebuilds them too. A view among the facts (fct_tool_calls) builds alone."""
    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"], "kimi")
    build(db, "--exclude", "resource_type:test")

    alone = tracehouse(
        "build",
        "--db",
        str(db),
        "--",
        "--full-refresh",
        "--select",
        "int_blocks_parsed",
        check=False,
    )
    assert alone.returncode != 0
    output = alone.stdout + alone.stderr
    assert "int_blocks_parsed is rebuilt from scratch, and int_" in output
    assert "dbt build --full-refresh --select @int_blocks_parsed" in output
    advice = f"tracehouse build --db {db} -- --full-refresh --select @int_blocks_parsed"
    assert alone.stderr.strip().splitlines()[-1].endswith(advice)

    build(db, "--full-refresh", "--select", "@int_blocks_parsed", "--exclude", "resource_type:test")
    build(db, "--select", "fct_tool_calls")
