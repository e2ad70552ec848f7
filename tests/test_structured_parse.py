"""The parse of OpenAI and Anthropic messages, end to end on hand-written traces: every
field the trace_formats doc block lists becomes the block, fact and pairing written below by
hand (not read back from the code under test), and the text views cut the call and result
text from the Hermes form of the message.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import tracehouse

OPENAI = {
    "id": "oa",
    "messages": [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "list "}, {"type": "text", "text": "files"}],
        },
        {
            "role": "assistant",
            "reasoning_content": "two words",
            "content": "Calling.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "terminal", "arguments": '{"command": "ls"}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": {"path": "a"}},
                },
                {
                    "id": "c3",
                    "type": "function",
                    "function": {"name": "listy", "arguments": "[1, 2]"},
                },
                {
                    "id": "c4",
                    "type": "function",
                    "function": {"name": "broken", "arguments": '{"a": '},
                },
            ],
        },
        # results in another order than the calls: they pair by id
        {"role": "tool", "tool_call_id": "c2", "name": "read_file", "content": '{"content": "x"}'},
        {
            "role": "tool",
            "tool_call_id": "c1",
            "name": "terminal",
            "content": '{"output": "", "exit_code": 2}',
        },
        {"role": "tool", "tool_call_id": "c3", "content": "Error: not a list tool"},
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "and again"},
        # the deprecated single call and its `function` result: no id, paired by name
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "terminal", "arguments": "{}"},
        },
        {"role": "function", "name": "terminal", "content": "fine"},
    ],
}

ANTHROPIC = {
    "id": "an",
    "system": [{"type": "text", "text": "be brief"}],
    "messages": [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "a b c", "signature": "s"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "u1", "name": "terminal", "input": {"command": "ls"}},
                {"type": "tool_use", "id": "u2", "name": "web", "input": {"q": 1}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "u2",
                    "content": [{"type": "text", "text": '{"ok": true}'}],
                },
                {"type": "tool_result", "tool_use_id": "u1", "content": "fine", "is_error": True},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Bye."}]},
    ],
}

# tracehouse's `messages` export of an Anthropic source: its tool messages keep `is_error`
OPENAI_IS_ERROR = {
    "id": "oe",
    "messages": [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "u1",
                    "type": "function",
                    "function": {"name": "terminal", "arguments": '{"command": "ls"}'},
                },
            ],
        },  # fmt: skip
        {"role": "tool", "tool_call_id": "u1", "content": "fine", "is_error": True},
        {"role": "assistant", "content": "Bye."},
    ],
}

# hermes-function-calling-v1 style: call bodies written as Python literals, arguments first
LITERAL_CALL = "{'arguments': {'symbol': 'TSLA', 'live': True, 'cursor': None}, 'name': 'quote'}"
HERMES_LITERAL = {
    "id": "hl",
    "conversations": [
        {"from": "human", "value": "TSLA?"},
        {
            "from": "gpt",
            "value": f"<tool_call>\n{LITERAL_CALL}\n</tool_call>\n<tool_call>\n"
            "{'arguments': {'symbol': __import__('os')}, 'name': 'evil'}\n</tool_call>",
        },
        {
            "from": "tool",
            "value": '<tool_response>\n{"name": "quote", "content": {"pe": 50}}\n</tool_response>',
        },
        {"from": "gpt", "value": "Done."},
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("structured")
    db = root / "wh.duckdb"
    for name, row in (("openai", OPENAI), ("anthropic", ANTHROPIC), ("hermes", HERMES_LITERAL)):
        folder = root / name
        folder.mkdir()
        rows = [row, OPENAI_IS_ERROR] if name == "openai" else [row]
        (folder / "rows.jsonl").write_text(
            "".join(json.dumps(one) + "\n" for one in rows), encoding="utf-8"
        )
        tracehouse("ingest", str(folder), "--db", str(db), "--source-name", f"tests/{name}", "-q")
    tracehouse("build", "--db", str(db), "--", "--quiet")
    return db


def query(db: Path, sql: str, *parameters: object) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(parameters)).fetchall()
    finally:
        con.close()


def test_roles_map_to_the_four_the_marts_use(warehouse):
    rows = query(
        warehouse,
        "select conversation_id, message_index, message_role, source_role "
        "from staging.stg_hermes__messages order by 1, 2",
    )
    assert [row[2:] for row in rows if row[0] == "an"] == [
        ("system", "system"),
        ("human", "user"),
        ("gpt", "assistant"),
        ("tool", "user"),
        ("gpt", "assistant"),
    ]
    assert [row[2] for row in rows if row[0] == "oa"] == [
        "system",
        "human",
        "gpt",
        "tool",
        "tool",
        "tool",
        "gpt",
        "human",
        "gpt",
        "tool",
    ]


def test_calls_pair_by_id_and_read_name_validity_and_status_from_the_fields(warehouse):
    rows = query(
        warehouse,
        "select c.message_index, c.call_index, c.tool_name, c.is_valid_json, c.is_malformed, "
        "c.paired_by, c.response_message_index, c.status, c.error_kind "
        "from marts.fct_tool_calls as c join staging.stg_hermes__conversations as v "
        "using (conversation_key) where v.conversation_id = 'oa' order by 1, 2",
    )
    assert rows == [
        (2, 0, "terminal", True, False, "id", 4, "error", "exit_code"),
        (2, 1, "read_file", True, False, "id", 3, "ok", None),
        # arguments that are JSON but not an object: malformed, not counted by name
        (2, 2, None, True, True, "id", 5, "error", "error_text"),
        # arguments that are not JSON: the body is invalid, its id unreadable; no result left
        (2, 3, None, False, True, None, None, "no_response", None),
        (8, 0, "terminal", True, False, "name", 9, "ok", None),
    ]


def test_anthropic_blocks_thinking_and_is_error(warehouse):
    calls = query(
        warehouse,
        "select c.tool_name, c.paired_by, c.status, c.error_kind from marts.fct_tool_calls as c "
        "join staging.stg_hermes__conversations as v using (conversation_key) "
        "where v.conversation_id = 'an' order by c.call_index",
    )
    # u1's result says "fine": no strict rule holds, its is_error does
    assert calls == [("terminal", "id", "error", "is_error"), ("web", "id", "ok", None)]


def test_an_openai_tool_message_keeps_its_is_error(warehouse):
    """The `messages` export writes an Anthropic result's is_error on its tool message; read
    back as OpenAI, the result still failed (it said "fine": only is_error says otherwise)."""
    calls = query(
        warehouse,
        "select c.tool_name, c.paired_by, c.status, c.error_kind from marts.fct_tool_calls as c "
        "join staging.stg_hermes__conversations as v using (conversation_key) "
        "where v.conversation_id = 'oe'",
    )
    assert calls == [("terminal", "id", "error", "is_error")]
    thinks = query(
        warehouse,
        "select b.block_index, b.think_words from intermediate.int_blocks_parsed as b "
        "join staging.stg_hermes__conversations as v using (conversation_key) "
        "where v.conversation_id = 'an' and b.block_kind = 'think' order by 1",
    )
    assert thinks == [(0, 3), (1, 0)]
    turns = query(
        warehouse,
        "select t.message_index, t.think_words, t.tool_calls, t.turn_kind, t.preceded_by "
        "from marts.fct_assistant_turns as t join staging.stg_hermes__conversations as v "
        "using (conversation_key) where v.conversation_id = 'an' order by 1",
    )
    assert [row[:4] for row in turns] == [(2, 3, 2, "reasoning_and_tool"), (4, 0, 0, "neither")]
    assert turns[1][4] == "tool_error"


def test_the_openai_tool_step_spans_its_tool_messages(warehouse):
    turns = query(
        warehouse,
        "select t.message_index, t.preceded_by from marts.fct_assistant_turns as t "
        "join staging.stg_hermes__conversations as v using (conversation_key) "
        "where v.conversation_id = 'oa' order by 1",
    )
    # message 6 follows three tool messages, two of which failed
    assert turns == [(2, "human"), (6, "tool_error"), (8, "human")]


def test_text_views_cut_call_and_result_text_from_the_hermes_form(warehouse):
    rows = query(
        warehouse,
        "select t.call_index, t.arguments, t.result_text from marts.tool_call_texts as t "
        "where t.conversation_id = ? order by t.message_index, t.call_index",
        "an",
    )
    assert [(index, json.loads(arguments)) for index, arguments, _ in rows] == [
        (0, {"command": "ls"}),
        (1, {"q": 1}),
    ]
    assert [json.loads(result) for _, _, result in rows] == [
        {"tool_call_id": "u1", "content": "fine", "is_error": True},
        {"tool_call_id": "u2", "content": {"ok": True}},
    ]


def test_python_literal_call_bodies_are_read_without_running_code(warehouse):
    rows = query(
        warehouse,
        "select c.call_index, c.tool_name, c.is_valid_json, c.is_python_literal, c.is_malformed, "
        "c.arguments_hash, c.status from marts.fct_tool_calls as c "
        "join staging.stg_hermes__conversations as v using (conversation_key) "
        "where v.conversation_id = 'hl' order by 1",
    )
    arguments = {"symbol": "TSLA", "live": True, "cursor": None}
    minified = json.dumps(arguments, separators=(",", ":"))
    assert rows == [
        (0, "quote", False, True, False, hashlib.md5(minified.encode()).hexdigest(), "ok"),
        # a call, not a literal: never evaluated, the call stays malformed
        (1, None, False, False, True, None, "no_response"),
    ]
