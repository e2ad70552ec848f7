"""`dbt build` on generated data: every model and test passes, and the marts' figures equal
what the generator put in (ground_truth.json), per config and in total.

Real DuckDB, real dbt, the real ingest; dbt builds once for the whole module.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import tracehouse
from tracehouse.warehouse import sql_path_literal

CONFIGS = ("kimi", "glm-5.1")
OUTCOMES = ("answered", "answered_after_unresolved_error", "iteration_limit", "cut_off", "empty")


@pytest.fixture(scope="module")
def built(built_warehouse: dict[str, Any], generated_dir: Path) -> Iterator[dict[str, Any]]:
    """The session's warehouse (generated sample, ingested, `dbt build` run once); yield a
    read-only connection, dbt's result and the generator's ground truth."""
    truth = json.loads((generated_dir / "ground_truth.json").read_text(encoding="utf-8"))
    con = duckdb.connect(str(built_warehouse["db"]), read_only=True)
    try:
        yield {"result": built_warehouse["result"], "con": con, "truth": truth}
    finally:
        con.close()


def query(con: duckdb.DuckDBPyConnection, sql: str, config: str | None) -> list[tuple]:
    """Run `sql`, whose `{where}` placeholder filters on config (or on nothing)."""
    if config is None:
        return con.execute(sql.format(where="true")).fetchall()
    return con.execute(sql.format(where="config = ?"), [config]).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, config: str | None) -> int:
    value = query(con, sql, config)[0][0]
    return int(value or 0)


def counts_by(con, sql: str, config: str | None) -> dict[str, int]:
    return {str(key): int(value) for key, value in query(con, sql, config)}


def mart_figures(con: duckdb.DuckDBPyConnection, config: str | None) -> dict[str, Any]:
    """The ground truth's figures, computed from the marts only."""
    conversations = "from marts.fct_conversations where {where}"
    turns = "from marts.fct_assistant_turns where {where}"
    calls = "from marts.fct_tool_calls where {where}"
    responses = "from marts.fct_tool_responses where {where}"
    roles = query(
        con,
        "select sum(system_messages), sum(human_messages), sum(assistant_turns), "
        f"sum(tool_messages) {conversations}",
        config,
    )[0]
    return {
        "conversations": scalar(con, f"select count(*) {conversations}", config),
        "messages": scalar(con, f"select sum(messages) {conversations}", config),
        "messages_by_role": dict(
            zip(("system", "human", "gpt", "tool"), (int(n or 0) for n in roles), strict=True)
        ),
        "message_chars": scalar(con, f"select sum(message_chars) {conversations}", config),
        "assistant_turns": scalar(con, f"select count(*) {turns}", config),
        "calling_turns": scalar(con, f"select count(*) {turns} and tool_calls > 0", config),
        "tool_calls": scalar(con, f"select count(*) {calls}", config),
        "malformed_tool_calls": scalar(con, f"select count(*) {calls} and is_malformed", config),
        "invalid_json_tool_calls": scalar(
            con, f"select count(*) {calls} and not is_valid_json", config
        ),
        "undeclared_tool_calls": scalar(
            con, f"select count(*) {calls} and not is_malformed and not is_declared_tool", config
        ),
        "tool_calls_by_name": counts_by(
            con,
            f"select tool_name, count(*) {calls} and not is_malformed group by 1 order by 1",
            config,
        ),
        "tool_responses": scalar(con, f"select count(*) {responses}", config),
        "failed_tool_calls": scalar(con, f"select count(*) {calls} and status = 'error'", config),
        "no_response_tool_calls": scalar(
            con, f"select count(*) {calls} and status = 'no_response'", config
        ),
        "failed_responses": scalar(
            con, f"select count(*) {responses} and status = 'error'", config
        ),
        "failed_responses_by_kind": counts_by(
            con,
            f"select error_kind, count(*) {responses} and status = 'error' group by 1",
            config,
        ),
        "legacy_errors": scalar(con, f"select count(*) {responses} and legacy_error", config),
        "parallel_turns": scalar(con, f"select count(*) {turns} and tool_calls >= 2", config),
        "parallel_width_counts": counts_by(
            con,
            "select parallel_width, sum(assistant_turns) from marts.parallel_width_distribution "
            "where {where} and parallel_width > 0 group by 1 order by 1",
            config,
        ),
        "think_blocks": scalar(con, f"select sum(think_blocks) {turns}", config),
        "empty_think_blocks": scalar(con, f"select sum(empty_think_blocks) {turns}", config),
        "unclosed_think_turns": scalar(
            con, f"select count(*) {turns} and has_unclosed_think", config
        ),
        "unopened_think_turns": scalar(
            con, f"select count(*) {turns} and has_unopened_think", config
        ),
        "think_words": scalar(con, f"select sum(think_words) {turns}", config),
        "calling_turns_with_visible_text": scalar(
            con, f"select count(*) {turns} and tool_calls > 0 and has_visible_text", config
        ),
        "assistant_turns_with_visible_text": scalar(
            con, f"select count(*) {turns} and has_visible_text", config
        ),
        "turn_kind_counts": counts_by(
            con, f"select turn_kind, count(*) {turns} group by 1", config
        ),
        "preceded_by_counts": counts_by(
            con, f"select preceded_by, count(*) {turns} group by 1", config
        ),
        "outcome_counts": counts_by(
            con, f"select outcome, count(*) {conversations} group by 1", config
        ),
        "conversations_with_failure": scalar(
            con, f"select count(*) {conversations} and failed_tool_responses > 0", config
        ),
        "duplicate_ids": scalar(
            con,
            "select sum(n) from (select count(*) - count(distinct conversation_id) as n "
            f"{conversations} group by config)",
            config,
        ),
        "categories": counts_by(
            con, f"select category, count(*) {conversations} group by 1 order by 1", config
        ),
    }


def expected(truth_counts: dict[str, Any], key: str) -> Any:
    """The truth's figure, with zero counts dropped from open-ended dicts (marts omit them)."""
    value = truth_counts[key]
    if isinstance(value, dict):
        return {name: n for name, n in value.items() if n}
    return value


def actual(figures: dict[str, Any], key: str) -> Any:
    value = figures[key]
    if isinstance(value, dict):
        return {name: n for name, n in value.items() if n}
    return value


def test_dbt_build_passes_every_model_and_test(built):
    result = built["result"]
    assert result.exception is None, result.exception
    failures = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in result.result
        # exposures (models/_exposures.yml) have nothing to run: dbt reports them as no-op
        if str(r.status) not in ("success", "pass")
        and not (r.node.resource_type == "exposure" and str(r.status) == "no-op")
    ]
    assert result.success, failures
    assert not failures
    statuses = {type(r.node).__name__ for r in result.result}
    assert {"ModelNode", "GenericTestNode", "SingularTestNode", "UnitTestNode"} <= statuses


def test_no_table_outside_the_raw_layer_holds_trace_text(built):
    """Text lives in raw.messages: every other table holds keys, positions, numbers, enums,
    names and hashes. The longest such value is the row's `task` (a short form of the first
    user message, 8 to 100 characters in the dataset): a longer text value is a copy."""
    con = built["con"]
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "join information_schema.tables using (table_catalog, table_schema, table_name) "
        "where table_type = 'BASE TABLE' and table_schema != 'raw' "
        "and data_type in ('VARCHAR', 'JSON')"
    ).fetchall()
    assert len({(schema, table) for schema, table, _ in columns}) > 20
    too_long = {}
    for schema, table, column in columns:
        # names from this build's own catalog, checked before they are quoted
        assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in (schema, table, column))
        (longest,) = con.execute(
            f'select max(length(cast("{column}" as varchar))) from "{schema}"."{table}"'
        ).fetchone()
        if longest and longest > 100:
            too_long[f"{schema}.{table}.{column}"] = longest
    assert too_long == {}


def test_generated_sample_has_both_configs_and_every_quirk(built):
    truth = built["truth"]["total"]
    assert set(built["truth"]["configs"]) == set(CONFIGS)
    for key in (
        "malformed_tool_calls",
        "invalid_json_tool_calls",
        "undeclared_tool_calls",
        "no_response_tool_calls",
        "empty_think_blocks",
        "unclosed_think_turns",
        "unopened_think_turns",
        "legacy_errors",
        "duplicate_ids",
    ):
        assert truth[key] > 0, key
    assert all(truth["failed_responses_by_kind"].values())
    assert all(truth["outcome_counts"].values())


TRUTH_KEYS = (
    "conversations",
    "messages",
    "messages_by_role",
    "message_chars",
    "assistant_turns",
    "calling_turns",
    "tool_calls",
    "malformed_tool_calls",
    "invalid_json_tool_calls",
    "undeclared_tool_calls",
    "tool_calls_by_name",
    "tool_responses",
    "failed_tool_calls",
    "no_response_tool_calls",
    "failed_responses",
    "failed_responses_by_kind",
    "legacy_errors",
    "parallel_turns",
    "parallel_width_counts",
    "think_blocks",
    "empty_think_blocks",
    "unclosed_think_turns",
    "unopened_think_turns",
    "think_words",
    "calling_turns_with_visible_text",
    "assistant_turns_with_visible_text",
    "turn_kind_counts",
    "preceded_by_counts",
    "outcome_counts",
    "conversations_with_failure",
    "duplicate_ids",
    "categories",
)


@pytest.mark.parametrize("config", [*CONFIGS, None], ids=[*CONFIGS, "total"])
def test_mart_figures_equal_the_generators_ground_truth(built, config):
    truth = built["truth"]["total"] if config is None else built["truth"]["configs"][config]
    figures = mart_figures(built["con"], config)
    mismatches = {
        key: {"marts": actual(figures, key), "truth": expected(truth, key)}
        for key in TRUTH_KEYS
        if actual(figures, key) != expected(truth, key)
    }
    assert not mismatches, json.dumps(mismatches, indent=1, sort_keys=True)


@pytest.mark.parametrize("config", CONFIGS)
def test_each_conversation_equals_its_ground_truth_row(built, config):
    rows = built["truth"]["configs"][config]["per_conversation"]
    marts = {
        row_index: (conversation_id, outcome, tool_calls, failed, messages)
        for row_index, conversation_id, outcome, tool_calls, failed, messages in query(
            built["con"],
            "select row_index, conversation_id, outcome, tool_calls, failed_tool_calls, messages "
            "from marts.fct_conversations where {where}",
            config,
        )
    }
    wrong = [
        (row, marts.get(row["row_index"]))
        for row in rows
        if marts.get(row["row_index"])
        != (row["id"], row["outcome"], row["tool_calls"], row["failed_tool_calls"], row["messages"])
    ]
    assert len(marts) == len(rows)
    assert not wrong, wrong[:5]


def test_aggregates_add_up_to_the_facts(built):
    con, truth = built["con"], built["truth"]
    for config in CONFIGS:
        counts = truth["configs"][config]
        outcomes = query(
            con,
            "select answered, answered_after_unresolved_error, iteration_limit, cut_off, empty "
            "from marts.completion_by_category "
            "where {where} and category = '(all)' and subcategory = '(all)'",
            config,
        )[0]
        assert dict(zip(OUTCOMES, outcomes, strict=True)) == counts["outcome_counts"]
        usage = counts_by(
            con,
            "select tool_name, sum(calls) from marts.tool_usage_by_category "
            "where {where} and tool_name != '(unnamed)' group by 1",
            config,
        )
        assert (
            sum(usage.values())
            + scalar(
                con,
                "select sum(calls) from marts.tool_usage_by_category "
                "where {where} and tool_name = '(unnamed)'",
                config,
            )
            == counts["tool_calls"]
        )
        depth = query(
            con,
            "select think_words, assistant_turns, conversations "
            "from marts.reasoning_depth_by_category "
            "where {where} and category = '(all)' and subcategory = '(all)'",
            config,
        )[0]
        assert depth == (counts["think_words"], counts["assistant_turns"], counts["conversations"])
        (around,) = query(
            con,
            "select assistant_turns from marts.reasoning_around_tools "
            "where {where} and preceded_by = '(any)' and turn_action = '(any)'",
            config,
        )[0]
        assert around == counts["assistant_turns"]
        transitions = scalar(
            con, "select sum(transitions) from marts.tool_transitions where {where}", config
        )
        calling_conversations = scalar(
            con,
            "select count(*) from marts.fct_conversations where {where} and tool_calls > 0",
            config,
        )
        assert transitions == counts["tool_calls"] - calling_conversations
        steps_at_one = scalar(
            con,
            "select sum(steps) from marts.step_sequences where {where} and step_position = 1",
            config,
        )
        assert steps_at_one == scalar(
            con,
            "select count(*) from marts.fct_conversations where {where} and assistant_turns > 0",
            config,
        )


def failing_test_rows(db: Path, test: str, tmp_path: Path, columns: str = "*") -> list[tuple]:
    """Run the project's data test `test` on `db` (`tracehouse build -- --select TEST`), which
    must fail, and return `columns` of the rows its compiled SQL returns: what it reports."""
    target = tmp_path / "target"
    result = tracehouse(
        "build", "--db", str(db), "--",
        "--select", test, "--target-path", str(target),
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    compiled = next((target / "compiled").rglob(f"{test}.sql"))
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select {columns} from ({compiled.read_text()})").fetchall()


def test_the_rebuild_reconciliation_fails_on_blocks_that_do_not_rebuild_their_message(
    built_warehouse: dict[str, Any], tmp_path: Path
):
    """assert_blocks_rebuild_messages returns exactly the messages whose blocks were changed:
    one block one character longer (the blocks no longer tile the text), and one whose kind
    was renamed to another of the same length (the tiling holds, but the tags it claims are
    not in the text). A build's blocks are checked until a build passes, so the changed
    messages are marked as parsed by a build that has not passed yet."""
    db = tmp_path / built_warehouse["db"].name
    shutil.copyfile(built_warehouse["db"], db)
    with duckdb.connect(str(db)) as con:
        # the first think block and the last tool call: two different messages
        picked = [
            con.execute(
                "select block_kind, conversation_key, message_index, block_index "
                "from intermediate.int_blocks_parsed where block_kind = ? "
                f"order by conversation_key {order}, message_index {order}, block_index limit 1",
                [kind],
            ).fetchone()
            for kind, order in (("think", "asc"), ("tool_call", "desc"))
        ]
        assert picked[0][1:3] != picked[1][1:3]
        changes = {
            "think": "body_length = body_length + 1",
            "tool_call": "block_kind = 'tool_xall'",
        }
        for kind, key, message_index, block_index in picked:
            con.execute(
                f"update intermediate.int_blocks_parsed set {changes[kind]} "
                "where conversation_key = ? and message_index = ? and block_index = ?",
                [key, message_index, block_index],
            )
            # as a build that has not passed its tests yet writes them: the test reads only
            # the blocks no successful build has checked
            con.execute(
                "update intermediate.int_blocks_parsed set parsed_by = 'unchecked' "
                "where conversation_key = ? and message_index = ?",
                [key, message_index],
            )
    failing = failing_test_rows(
        db, "assert_blocks_rebuild_messages", tmp_path, "distinct conversation_key, message_index"
    )
    assert sorted(failing) == sorted((key, index) for _, key, index, _ in picked)


def test_the_staging_reconciliation_fails_on_a_message_or_conversation_left_out(
    built_warehouse: dict[str, Any], tmp_path: Path
):
    """assert_every_raw_message_is_staged returns the raw message the staging view leaves out
    (and the count that then differs), and the raw conversation fct_conversations lacks."""
    db = tmp_path / built_warehouse["db"].name
    shutil.copyfile(built_warehouse["db"], db)
    with duckdb.connect(str(db)) as con:
        message = con.execute(
            "select source, config, split, row_index, message_index from raw.messages "
            "order by all limit 1"
        ).fetchone()
        conversation = con.execute(
            "select source, config, split, row_index from raw.conversations "
            "order by all desc limit 1"
        ).fetchone()
        assert message is not None and conversation is not None
        # the view as dbt wrote it, under another name, and in its place that view but for one
        # message
        con.execute("alter view staging.stg_hermes__messages rename to stg_hermes__left_out")
        con.execute(
            "create table staging.left_out as "
            "select ? as source, ? as config, ? as split, ? as row_index, ? as message_index",
            list(message),
        )
        con.execute(
            "create or replace view staging.stg_hermes__messages as "
            "select * from staging.stg_hermes__left_out "
            "where (source, config, split, row_index, message_index) not in "
            "(select (source, config, split, row_index, message_index) from staging.left_out)"
        )
        con.execute(
            "delete from marts.fct_conversations "
            "where (source, config, split, row_index) = (?, ?, ?, ?)",
            list(conversation),
        )
    missing = failing_test_rows(db, "assert_every_raw_message_is_staged", tmp_path)
    assert sorted(missing, key=repr) == sorted(
        [
            ("message", *message),
            ("conversation", *conversation, None),
            ("message_count", None, None, None, None, None),
        ],
        key=repr,
    )


def test_a_warehouse_built_by_an_older_version_is_rebuilt_to_the_same_rows(
    built_warehouse: dict[str, Any], tmp_path: Path
):
    """A warehouse built by an older tracehouse: the parse's table had other columns, and a
    mart of that version is no longer in the project. The build stops with the parse named and
    the command that rebuilds it; that command gives back exactly the rows of a build from
    scratch, and the old mart is gone."""
    db = tmp_path / built_warehouse["db"].name
    shutil.copyfile(built_warehouse["db"], db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "alter table intermediate.int_blocks_parsed rename column body_length to block_chars"
        )
        con.execute("create table marts.export_messages as select 1 as left_by_an_old_version")
    target = ["--target-path", str(tmp_path / "target")]
    failed = tracehouse("build", "--db", str(db), "--", *target, check=False)
    assert failed.returncode != 0
    advice = f"tracehouse build --db {db} -- --full-refresh --select @int_blocks_parsed"
    assert "the columns of int_blocks_parsed changed" in failed.stderr
    assert advice in failed.stderr

    advised = advice.split()[1:]  # the command as printed, without the program name
    tracehouse(*advised, *target)
    tracehouse("build", "--db", str(db), "--", *target)
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"attach {sql_path_literal(built_warehouse['db'])} as fresh (read_only)")
        for table in ("intermediate.int_blocks_parsed", "marts.fct_tool_responses"):
            for left, right in ((table, f"fresh.{table}"), (f"fresh.{table}", table)):
                # every column but parsed_by, the build that wrote the row
                extra = con.execute(
                    f"select count(*) from (select * exclude (parsed_by) from {left} "
                    f"except all select * exclude (parsed_by) from {right})"
                    if table.endswith("int_blocks_parsed")
                    else f"select count(*) from (select * from {left} "
                    f"except all select * from {right})"
                ).fetchone()[0]
                assert extra == 0, (left, right)
        left_over = con.execute(
            "select count(*) from information_schema.tables where table_name = 'export_messages'"
        ).fetchone()[0]
        assert left_over == 0
