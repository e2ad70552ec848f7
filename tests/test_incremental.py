"""Incremental marts: a build after an ingest computes only the new loads, and gives exactly
what a build from scratch on the same raw data gives.

Two warehouses from the same generated files: one ingested and built step by step (kimi,
build, glm-5.1, build, kimi again from other files, build), the other ingested once and
built from scratch at each step. Every mart must hold the same rows in both (floats to nine
decimal places); `load_id` (a fresh uuid per ingest) and the build stamps of
report_build_info are left out of the comparison.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import tracehouse

SOURCE_NAME = "tests/incremental"
# the one key test scoped by slice (meta tested_by: slice)
SEGMENTS_KEY_TEST = (
    "primary_key_stg_hermes__segments_conversation_key__message_index__segment_index"
)
INCREMENTAL = (
    "intermediate.int_blocks_parsed",
    "intermediate.int_tool_calls_parsed",
    "intermediate.int_tool_responses_classified",
    "intermediate.int_tool_calls_paired",
    "intermediate.int_turns_sequenced",
    "intermediate.int_assistant_turns_classified",
    "intermediate.int_assistant_turns_rebuilt",
    "intermediate.int_turn_calls_gathered",
    "intermediate.int_tool_messages_rebuilt",
    "marts.fct_conversations",
    "marts.fct_assistant_turns",
    "marts.fct_tool_calls",
    "marts.repeated_calls",
    "marts.fct_tool_responses",
    "marts.report_trace_steps",
    "marts.export_messages",
    "marts.export_conversations",
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
        con.execute(f"attach '{incremental}' as a (read_only)")
        con.execute(f"attach '{scratch}' as b (read_only)")
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
                    "('load_id', 'loaded_at', 'built_at', 'dbt_invocation_id') "
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
    assert "--full-refresh" in output

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


def loads_passed(db: Path) -> dict[str, set[str]]:
    """audit.tested_loads: the loads each data test has passed on, by test name."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select test_id, load_id from audit.tested_loads").fetchall()
    finally:
        con.close()
    passed: dict[str, set[str]] = {}
    for test_id, load_id in rows:
        passed.setdefault(test_id.split(".")[2], set()).add(load_id)
    return passed


def failing_rows(result, test_name: str) -> int | None:
    """The rows a failing data test returned, from dbt's summary; None if it did not fail."""
    import re

    output = result.stdout + result.stderr
    if f"Failure in test {test_name} " not in output:
        return None
    found = re.search(
        rf"Failure in test {test_name} .*?Got (\d+) results?", output, flags=re.DOTALL
    )
    assert found, output
    return int(found.group(1))


def test_data_tests_read_only_the_loads_they_have_not_passed_on(data, tmp_path):
    """A load-scoped data test records the loads it passed on and does not read them again; a
    test that fails records nothing, so it fails again until fixed; retest_all_loads (or
    --full-refresh of everything) makes every test read every load again, and --full-refresh
    of one model only its tests."""
    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"], "kimi")
    build(db)
    con = duckdb.connect(str(db), read_only=True)
    (kimi,) = con.execute("select load_id from raw.loads").fetchone()
    con.close()
    passed = loads_passed(db)
    assert passed["assert_blocks_rebuild_messages"] == {kimi}
    assert passed["assert_tag_openings_match_parsed_blocks"] == {kimi}
    assert passed["not_null_int_blocks_parsed_block_kind"] == {kimi}
    # tests of keys read every row (a new load's key can collide with an old one's), and
    # tests of the aggregates (rebuilt whole) and of sources are not scoped by load
    for name in passed:
        # (the staging views' key tests opt in to reading by slice: meta tested_by: slice)
        assert not name.startswith(("unique_", "primary_key_")) or name.startswith(
            "primary_key_stg_hermes__"
        ), name
        assert "tool_usage_by_category" not in name, name
    assert "assert_every_raw_message_is_staged" not in passed
    assert passed[SEGMENTS_KEY_TEST] == {kimi}
    assert passed["primary_key_stg_hermes__tool_definitions_conversation_key__tool_index"] == {kimi}
    assert "unique_stg_hermes__conversations_conversation_key" not in passed

    # --full-refresh of one model forgets only what its tests passed on
    build(db, "--select", "fct_tool_calls", "--full-refresh", "--exclude", "resource_type:test")
    kept = loads_passed(db)
    assert "not_null_fct_tool_calls_status" in passed
    assert "not_null_fct_tool_calls_status" not in kept
    assert not [name for name in kept if "fct_tool_calls" in name]
    assert kept["assert_blocks_rebuild_messages"] == {kimi}
    assert kept["not_null_fct_tool_responses_status"] == {kimi}

    # a second load, built without its tests; then one block of each load changed
    ingest(db, data["first"], "glm-5.1")
    build(db, "--exclude", "resource_type:test")
    con = duckdb.connect(str(db))
    (glm,) = con.execute("select load_id from raw.loads where load_id != ?", [kimi]).fetchone()
    for load_id in (kimi, glm):
        con.execute(
            "update intermediate.int_blocks_parsed set block_body = block_body || 'x' "
            "where (conversation_key, message_index, block_index) = ("
            "  select (conversation_key, message_index, block_index) "
            "  from intermediate.int_blocks_parsed "
            "  where load_id = ? and block_kind = 'think' "
            "  order by conversation_key, message_index, block_index limit 1)",
            [load_id],
        )
    con.close()

    def test_blocks(*dbt_args: str):
        return tracehouse(
            "build", "--db", str(db), "--", "--select", "int_blocks_parsed+", *dbt_args,
            check=False,
        )  # fmt: skip

    # only the glm load is read: the kimi load passed this test before
    first = test_blocks()
    assert first.returncode != 0
    assert failing_rows(first, "assert_blocks_rebuild_messages") == 1
    passed = loads_passed(db)
    assert passed["assert_blocks_rebuild_messages"] == {kimi}  # the failure recorded nothing
    assert passed["not_null_int_blocks_parsed_block_kind"] == {kimi, glm}

    # the failing test fails again on a build with no new data
    again = test_blocks()
    assert failing_rows(again, "assert_blocks_rebuild_messages") == 1

    # every load read again: both changed blocks are found
    everything = test_blocks("--vars", "{retest_all_loads: true}")
    assert failing_rows(everything, "assert_blocks_rebuild_messages") == 2

    # --full-refresh rebuilds the blocks from the raw layer and tests every load
    build(db, "--full-refresh")
    passed = loads_passed(db)
    assert passed["assert_blocks_rebuild_messages"] == {kimi, glm}


def test_a_view_test_tested_by_slice_reads_only_the_slices_it_has_not_passed_on(data, tmp_path):
    """The lexer view's key test (meta tested_by: slice) records the current load of each
    slice it passed on, reads only the other slices, and records nothing when it fails."""
    import re

    db = tmp_path / "wh.duckdb"
    ingest(db, data["first"], "kimi")
    build(db, "--select", "staging", "--indirect-selection", "cautious")
    con = duckdb.connect(str(db), read_only=True)
    (kimi,) = con.execute("select load_id from raw.loads").fetchone()
    con.close()
    assert loads_passed(db)[SEGMENTS_KEY_TEST] == {kimi}

    # a second slice; then one message of each slice landed twice by hand, which gives
    # every segment of that message a duplicate key
    ingest(db, data["first"], "glm-5.1")
    con = duckdb.connect(str(db))
    (glm,) = con.execute("select load_id from raw.loads where load_id != ?", [kimi]).fetchone()
    segments = {}
    for config in ("kimi", "glm-5.1"):
        (value,) = con.execute(
            "insert into raw.messages select * from raw.messages "
            "where config = ? and row_index = 0 and message_index = 1 returning value",
            [config],
        ).fetchone()
        # n tag tokens cut a message into n + 1 segments
        segments[config] = len(re.findall(r"</?(?:think|tool_call|tool_response)>", value)) + 1
    con.close()

    def test_segments(*dbt_args: str):
        return tracehouse(
            "build", "--db", str(db), "--", "--select", "stg_hermes__segments",
            "--indirect-selection", "cautious", *dbt_args,
            check=False,
        )  # fmt: skip

    # the kimi slice passed before: only the glm slice is read
    first = test_segments()
    assert first.returncode != 0
    assert failing_rows(first, SEGMENTS_KEY_TEST) == segments["glm-5.1"]
    assert loads_passed(db)[SEGMENTS_KEY_TEST] == {kimi}  # the failure recorded nothing

    # every slice read again: both duplicated messages are found
    everything = test_segments("--vars", "{retest_all_loads: true}")
    assert failing_rows(everything, SEGMENTS_KEY_TEST) == segments["kimi"] + segments["glm-5.1"]

    # without the duplicates both slices pass, and both current loads are recorded
    con = duckdb.connect(str(db))
    con.execute(
        "delete from raw.messages where rowid in (select max(rowid) from raw.messages "
        "where row_index = 0 and message_index = 1 group by config)"
    )
    con.close()
    assert test_segments().returncode == 0
    assert loads_passed(db)[SEGMENTS_KEY_TEST] == {kimi, glm}
