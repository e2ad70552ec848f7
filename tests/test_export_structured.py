"""Export of OpenAI chat and Anthropic Messages sources: their messages come out structured.

The staging view reads such a message in a compact Hermes form written from its fields
(dbt_project/macros/structured_messages.sql); the export cuts its entries from that form
and keeps them when re-rendering gives the form back. Checked end to end against the
generator's own files: real `tracehouse generate --format openai|anthropic`, `ingest`,
`build` and `export` (the warehouses of tests/test_trace_formats.py), every exported message
compared with the message it was generated as (reasoning, content, calls with their ids,
names and arguments, results with their call ids), and the `--openai` export of an OpenAI
source, with its sidecar merged back, equal to the input messages.

Normalisation the comparison applies (documented in README, Export): a null `content` is an
empty one (`--openai` leaves it out of a turn with calls), ingest drops null keys (an
Anthropic `input` of `{"timeout": null}` lands as `{}`), and a turn the form cannot hold
structured is a plain entry holding the form's text: a call without a name or whose
arguments are not a JSON object (the generator's malformed calls), or Anthropic text after
the `tool_use` blocks, which an entry (content before its calls) has no place for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import tracehouse
from tests.test_trace_formats import Warehouses, ingest_and_build
from tracehouse.export import openai_to_messages
from tracehouse.export.convert import (
    Block,
    structured_assistant_entry,
    structured_assistant_value,
    structured_tool_entries,
)

KEEP_ALL = "--keep-without-assistant"


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> Warehouses:
    return Warehouses(tmp_path_factory.mktemp("export-structured"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def export(db: Path, out: Path, *options: str) -> tuple[list[dict], dict]:
    tracehouse("export", "--db", str(db), "--out", str(out), "-q", *options)
    manifest = json.loads(out.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    return read_jsonl(out), manifest


def generated_rows(data: Path) -> dict[str, dict]:
    """id -> the generated row, as written (the ground truth)."""
    rows = {}
    for path in sorted((data / "data").glob("*/train.jsonl")):
        for row in read_jsonl(path):
            rows[row["id"]] = row
    return rows


def drop_nulls(value: Any) -> Any:
    """Ingest's rule: keys whose value is null are dropped, at every depth."""
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value]
    return value


def json_object(text: Any) -> dict | None:
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- the generator's messages as the `messages` export should write them --------------------
# None stands for a turn the export keeps as a plain entry (see the module docstring).


def openai_expected(row: dict) -> list[dict | None]:
    expected: list[dict | None] = []
    for message in row["messages"]:
        role = message["role"]
        if role == "assistant":
            calls = message.get("tool_calls") or []
            if any(
                "name" not in call["function"] or json_object(call["function"]["arguments"]) is None
                for call in calls
            ):
                expected.append(None)
                continue
            entry: dict = {"role": "assistant", "content": message.get("content") or ""}
            if "reasoning_content" in message:
                entry["reasoning_content"] = message["reasoning_content"]
            if calls:
                entry["tool_calls"] = [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {
                            "name": call["function"]["name"],
                            "arguments": json.loads(call["function"]["arguments"]),
                        },
                    }
                    for call in calls
                ]
            expected.append(entry)
        elif role == "tool":
            entry = {"role": "tool"}
            if "name" in message:
                entry["name"] = message["name"]
            entry["tool_call_id"] = message["tool_call_id"]
            entry["content"] = message["content"]
            expected.append(entry)
        else:
            expected.append({"role": role, "content": message["content"]})
    return expected


def anthropic_expected(row: dict) -> list[dict | None]:
    expected: list[dict | None] = []
    if row.get("system") is not None:
        expected.append({"role": "system", "content": row["system"]})
    for message in drop_nulls(row["messages"]):
        content = message["content"]
        if isinstance(content, str):
            expected.append({"role": message["role"], "content": content})
        elif message["role"] == "user":  # tool_result blocks: one tool entry each
            for block in content:
                entry = {
                    "role": "tool",
                    "tool_call_id": block["tool_use_id"],
                    "content": block["content"],
                }
                if block.get("is_error"):
                    entry["is_error"] = True
                expected.append(entry)
        else:
            expected.append(anthropic_assistant(content))
    return expected


def anthropic_assistant(blocks: list[dict]) -> dict | None:
    entry: dict = {"role": "assistant", "content": ""}
    calls = []
    for block in blocks:
        if block["type"] == "thinking":
            entry["reasoning_content"] = block["thinking"]
        elif block["type"] == "text":
            if calls:
                return None  # text after the calls
            entry["content"] += block["text"]
        elif block["type"] == "tool_use":
            if "name" not in block or not isinstance(block["input"], dict):
                return None
            calls.append(
                {
                    "id": block["id"],
                    "type": "function",
                    "function": {"name": block["name"], "arguments": block["input"]},
                }
            )
    if calls:
        entry["tool_calls"] = calls
    return entry


EXPECTED = {"openai": openai_expected, "anthropic": anthropic_expected}


@pytest.mark.parametrize("shape", ["openai", "anthropic"])
def test_each_exported_message_is_the_generated_message_structured(warehouses, tmp_path, shape):
    built = warehouses.shape(shape)
    truth = generated_rows(built["data"])
    rows, manifest = export(built["db"], tmp_path / "m.jsonl", "--format", "messages", KEEP_ALL)
    assert len(rows) == len(truth) == manifest["counts"]["rows_written"]
    plain = structured = 0
    for row in rows:
        expected = EXPECTED[shape](truth[row["id"]])
        assert len(row["messages"]) == len(expected), row["id"]
        for found, wanted in zip(row["messages"], expected, strict=True):
            if wanted is None:  # kept as the form's text: the call tags are in it
                assert set(found) == {"role", "content"} and "<tool_call>" in found["content"]
                plain += 1
            else:
                assert found == wanted, row["id"]
                structured += 1
    assert manifest["counts"]["non_representable_messages_written"] == plain
    # before the fix every assistant and tool message of these sources was plain text
    assert structured > 20 * plain > 0


@pytest.mark.parametrize("shape", ["openai", "anthropic"])
def test_no_message_is_plain_text_in_a_conversation_without_a_malformed_call(
    warehouses, tmp_path, shape
):
    """The conversations the marts count no malformed call in export with no plain message
    at all; for Anthropic, but the turns with text after their `tool_use` blocks."""
    built = warehouses.shape(shape)
    truth = generated_rows(built["data"])
    with duckdb.connect(str(built["db"]), read_only=True) as con:
        clean = {
            conversation_id
            for (conversation_id,) in con.execute(
                "select conversation_id from marts.fct_conversations where malformed_tool_calls = 0"
            ).fetchall()
        }
    rows, _ = export(built["db"], tmp_path / "m.jsonl", "--format", "messages", KEEP_ALL)
    clean_rows = [row for row in rows if row["id"] in clean]
    assert len(clean_rows) > len(rows) // 2
    plain = [
        (row["id"], index)
        for row in clean_rows
        for index, message in enumerate(row["messages"])
        if message["role"] == "tool"
        and "tool_call_id" not in message
        or message["role"] == "assistant"
        and "<tool_call>" in message["content"]
    ]
    text_after_calls = [
        (row["id"], index)
        for row in clean_rows
        for index, wanted in enumerate(EXPECTED[shape](truth[row["id"]]))
        if wanted is None
    ]
    assert plain == (text_after_calls if shape == "anthropic" else [])
    if shape == "openai":
        assert text_after_calls == []


def openai_representable(expected: list[dict | None]) -> bool:
    """Whether each tool result names a call of the structured turn before it."""
    ids: set[str] = set()
    for entry in expected:
        if entry is None:
            ids = set()
        elif entry["role"] == "assistant":
            ids = {call["id"] for call in entry.get("tool_calls", [])}
        elif entry["role"] == "tool" and entry["tool_call_id"] not in ids:
            return False
    return True


def test_openai_round_trip_gives_back_the_input_messages(warehouses, tmp_path):
    """OpenAI file -> ingest -> build -> export --openai, the sidecar merged back
    (openai_to_messages): the input messages, ids and arguments strings as given."""
    built = warehouses.shape("openai")
    truth = generated_rows(built["data"])
    out = tmp_path / "o.jsonl"
    rows, manifest = export(built["db"], out, "--format", "messages", "--openai")
    metas = read_jsonl(out.with_suffix(".meta.jsonl"))
    written = {meta["id"] for meta in metas}
    with_turn = {
        key for key, row in truth.items() if any(m["role"] == "assistant" for m in row["messages"])
    }
    representable = {key for key in with_turn if openai_representable(openai_expected(truth[key]))}
    assert written == representable and len(written) > len(with_turn) // 2
    assert manifest["counts"]["excluded_by_filter"]["not_openai_representable"] == len(
        with_turn - representable
    )
    assert manifest["counts"]["tool_call_ids_generated"] == 0
    assert manifest["counts"]["tool_call_ids_from_source"] > 0
    compared = 0
    for row, meta in zip(rows, metas, strict=True):
        merged = openai_to_messages(row["messages"], meta)
        source = drop_nulls(truth[meta["id"]]["messages"])
        assert len(merged) == len(source)
        for found, message, wanted in zip(
            merged, source, openai_expected(truth[meta["id"]]), strict=True
        ):
            if wanted is None:  # a plain turn with no result after it
                assert "tool_calls" not in found
                continue
            assert found == message, meta["id"]
            compared += 1
    assert compared > 100


def test_anthropic_calls_keep_their_ids_and_arguments_in_the_openai_export(warehouses, tmp_path):
    built = warehouses.shape("anthropic")
    truth = generated_rows(built["data"])
    out = tmp_path / "o.jsonl"
    rows, manifest = export(built["db"], out, "--format", "messages", "--openai")
    metas = read_jsonl(out.with_suffix(".meta.jsonl"))
    assert len(rows) > len(truth) // 2
    assert manifest["counts"]["tool_call_ids_generated"] == 0
    failed = 0
    for row, meta in zip(rows, metas, strict=True):
        expected = anthropic_expected(truth[meta["id"]])
        for found, extra, wanted in zip(row["messages"], meta["messages"], expected, strict=True):
            if wanted is None:
                continue
            if wanted["role"] == "assistant":
                calls = [
                    (
                        call["id"],
                        call["function"]["name"],
                        json.loads(call["function"]["arguments"]),
                    )
                    for call in found.get("tool_calls", [])
                ]
                assert calls == [
                    (call["id"], call["function"]["name"], call["function"]["arguments"])
                    for call in wanted.get("tool_calls", [])
                ]
                assert extra.get("reasoning_content") == wanted.get("reasoning_content")
            elif wanted["role"] == "tool":
                assert found == {
                    "role": "tool",
                    "content": wanted["content"],
                    "tool_call_id": wanted["tool_call_id"],
                }
                assert extra == {
                    "name": None,
                    "tool_call_id": wanted["tool_call_id"],
                    **({"is_error": True} if wanted.get("is_error") else {}),
                }
                failed += extra.get("is_error", False)
            else:
                assert found == wanted
    assert failed > 0


# --- roles the messages format has no place for ---------------------------------------------


def test_a_conversation_with_a_role_the_marts_do_not_know_is_left_out_and_counted(tmp_path):
    rows = [
        {
            "id": "known",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
            ],
        },
        {
            "id": "robot",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "robot", "content": "beep"},
                {"role": "assistant", "content": "hello"},
            ],
        },
    ]
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    db = ingest_and_build(source, tmp_path / "roles.duckdb")
    written, manifest = export(db, tmp_path / "m.jsonl", "--format", "messages")
    assert [row["id"] for row in written] == ["known"]
    assert manifest["counts"]["excluded_by_filter"]["unknown_role"] == 1
    openai_rows, openai_manifest = export(
        db, tmp_path / "o.jsonl", "--format", "messages", "--openai"
    )
    assert len(openai_rows) == 1
    assert openai_manifest["counts"]["excluded_by_filter"]["unknown_role"] == 1
    assert openai_manifest["counts"]["excluded_by_filter"]["not_openai_representable"] == 0
    # sharegpt keeps every message as ingested, the role included
    sharegpt, _ = export(db, tmp_path / "s.jsonl", "--format", "sharegpt")
    assert len(sharegpt) == 2


# --- the layout, on hand-written forms ------------------------------------------------------


def test_a_form_that_the_layout_would_not_give_back_stays_plain():
    call = '{"id": "c1", "name": "ls", "arguments": {"path":"."}}'
    text = f"<think>why</think>look<tool_call>{call}</tool_call>"
    blocks = [
        Block("think", "why", True, True),
        Block("text", "look", False, False),
        Block("tool_call", call, True, True),
    ]
    entry, arguments = structured_assistant_entry(text, blocks)
    assert entry == {
        "role": "assistant",
        "content": "look",
        "reasoning_content": "why",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "ls", "arguments": {"path": "."}}}
        ],
    }
    assert arguments == ['{"path":"."}'] and structured_assistant_value(entry, arguments) == text
    # text after the call, arguments that are not an object, odd spacing: plain
    assert (
        structured_assistant_entry(text + "x", [*blocks, Block("text", "x", False, False)]) is None
    )
    for bad in (
        '{"id": "c1", "name": "ls", "arguments": [1]}',
        '{"id": "c1", "name": "ls", "arguments": {"a" : 1}}',
    ):
        wrong = [*blocks[:2], Block("tool_call", bad, True, True)]
        assert (
            structured_assistant_entry(f"<think>why</think>look<tool_call>{bad}</tool_call>", wrong)
            is None
        )


def test_tool_results_keep_call_id_content_and_is_error():
    bodies = [
        '{"tool_call_id": "c1", "content": {"ok": false}, "is_error": true}',
        '{"tool_call_id": "c2", "name": "ls", "content": "plain text"}',
    ]
    text = "".join(f"<tool_response>{body}</tool_response>" for body in bodies)
    blocks = [Block("tool_response", body, True, True) for body in bodies]
    assert structured_tool_entries(text, blocks) == [
        {"role": "tool", "tool_call_id": "c1", "content": '{"ok": false}', "is_error": True},
        {"role": "tool", "name": "ls", "tool_call_id": "c2", "content": "plain text"},
    ]
    # a string that is JSON text would be written as JSON: the form cannot hold it quoted
    quoted = '{"tool_call_id": "c3", "content": "[1]"}'
    assert (
        structured_tool_entries(
            f"<tool_response>{quoted}</tool_response>", [Block("tool_response", quoted, True, True)]
        )
        is None
    )
