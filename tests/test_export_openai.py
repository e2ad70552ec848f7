"""The `--openai` export against a validator written from OpenAI's published OpenAPI spec
(github.com/openai/openai-openapi, openapi.yaml; the last version that carries the training
format, FineTuneChatRequestInput, before the file was replaced by a generated one).

Schemas, by the names the spec gives them:
- FineTuneChatRequestInput, one line of the training file: `messages` (array, minItems 1,
  items oneOf the message schemas below), `tools` (array of ChatCompletionTool),
  `parallel_tool_calls` (ParallelToolCalls: boolean), `functions` (deprecated).
- ChatCompletionRequestSystemMessage and ChatCompletionRequestUserMessage: `role`
  (`system` / `user`), `content` (string, or a non-empty array of text parts), `name`;
  required: content, role.
- FineTuneChatCompletionRequestAssistantMessage: ChatCompletionRequestAssistantMessage
  (`role` `assistant`, `content` string or array or null, "required unless `tool_calls` or
  `function_call` is specified", `refusal`, `name`, `audio`, `tool_calls`, `function_call`)
  with `weight` (integer, 0 or 1); required: role.
- ChatCompletionMessageToolCalls: array of ChatCompletionMessageToolCall: `id` (string),
  `type` (`function`), `function` {`name`, `arguments`: strings, both required}; required:
  id, type, function.
- ChatCompletionRequestToolMessage: `role` (`tool`), `content` (string or array of text
  parts), `tool_call_id` (string, "Tool call that this message is responding to");
  required: role, content, tool_call_id.
- ChatCompletionTool: `type` (`function`), `function` (FunctionObject: `name` required,
  `description`, `parameters` (FunctionParameters: an object), `strict`).

The validator is strict about keys (a key a schema does not list is an error), as OpenAI's
file check and its cookbook's format checker are; and it checks what the schemas can only
say in words: a tool message names a call of the assistant turn before it, and every
example has an assistant message.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tracehouse.export import ExportOptions, export, messages_to_sharegpt, openai_to_messages

TEXT_PART = {"type", "text"}


def _content_ok(content, nullable: bool = False) -> bool:
    if content is None:
        return nullable
    if isinstance(content, str):
        return True
    return (
        isinstance(content, list)
        and len(content) >= 1
        and all(
            isinstance(part, dict)
            and set(part) <= TEXT_PART
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
            for part in content
        )
    )


def _tool_call_errors(call) -> list[str]:
    """ChatCompletionMessageToolCall."""
    if not isinstance(call, dict):
        return ["tool call is not an object"]
    errors = [f"tool call key {key!r}" for key in set(call) - {"id", "type", "function"}]
    errors += [
        f"tool call without {key!r}" for key in ("id", "type", "function") if key not in call
    ]
    if not isinstance(call.get("id"), str):
        errors.append("tool call id is not a string")
    if call.get("type") != "function":
        errors.append("tool call type is not 'function'")
    function = call.get("function")
    if not isinstance(function, dict) or set(function) != {"name", "arguments"}:
        errors.append("tool call function is not {name, arguments}")
    elif not isinstance(function["name"], str) or not isinstance(function["arguments"], str):
        errors.append("tool call name or arguments is not a string")
    return errors


def _message_errors(message) -> list[str]:
    if not isinstance(message, dict):
        return ["message is not an object"]
    role = message.get("role")
    if role in ("system", "user"):
        # ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage
        allowed, required = {"role", "content", "name"}, {"role", "content"}
    elif role == "assistant":
        # FineTuneChatCompletionRequestAssistantMessage
        allowed = {
            "role", "content", "refusal", "name", "audio", "tool_calls", "function_call", "weight"
        }  # fmt: skip
        required = {"role"}
    elif role == "tool":
        # ChatCompletionRequestToolMessage
        allowed, required = {"role", "content", "tool_call_id"}, {"role", "content", "tool_call_id"}
    else:
        return [f"unknown role {role!r}"]
    errors = [f"{role} message key {key!r}" for key in set(message) - allowed]
    errors += [f"{role} message without {key!r}" for key in required - set(message)]
    if role == "assistant":
        if "content" not in message and "tool_calls" not in message:
            errors.append("assistant message with neither content nor tool_calls")
        if not _content_ok(message.get("content"), nullable=True):
            errors.append("assistant content is not a string, text parts or null")
        if "weight" in message and message["weight"] not in (0, 1):
            errors.append("weight is not 0 or 1")
        calls = message.get("tool_calls", [])
        if not isinstance(calls, list):
            errors.append("tool_calls is not an array")
        else:
            for call in calls:
                errors += _tool_call_errors(call)
    elif "content" in message and not _content_ok(message["content"]):
        errors.append(f"{role} content is not a string or text parts")
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        errors.append("tool_call_id is not a string")
    return errors


def _tool_errors(tool) -> list[str]:
    """ChatCompletionTool with its FunctionObject."""
    if not isinstance(tool, dict) or set(tool) != {"type", "function"}:
        return ["tool is not {type, function}"]
    function = tool["function"]
    errors = [] if tool["type"] == "function" else ["tool type is not 'function'"]
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return [*errors, "tool function has no name"]
    errors += [
        f"function key {key!r}"
        for key in set(function) - {"name", "description", "parameters", "strict"}
    ]
    if "parameters" in function and not isinstance(function["parameters"], dict):
        errors.append("function parameters is not an object")
    return errors


def openai_row_errors(row) -> list[str]:
    """Every way a line breaks FineTuneChatRequestInput (and the words of its schemas)."""
    if not isinstance(row, dict):
        return ["line is not an object"]
    errors = [
        f"top-level key {key!r}"
        for key in set(row) - {"messages", "tools", "parallel_tool_calls", "functions"}
    ]
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*errors, "messages is not a non-empty array"]
    if "parallel_tool_calls" in row and not isinstance(row["parallel_tool_calls"], bool):
        errors.append("parallel_tool_calls is not a boolean")
    for tool in row.get("tools", []):
        errors += _tool_errors(tool)
    calls_before: list[str] = []
    for message in messages:
        errors += _message_errors(message)
        if not isinstance(message, dict):
            continue
        if message.get("role") == "assistant":
            calls_before = [call.get("id") for call in message.get("tool_calls", [])]
            if len(set(calls_before)) != len(calls_before):
                errors.append("two calls of a turn share an id")
        elif message.get("role") == "tool":
            if message.get("tool_call_id") not in calls_before:
                errors.append("tool_call_id names no call of the assistant turn before it")
        else:
            calls_before = []
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        errors.append("no assistant message")
    return errors


def test_the_validator_rejects_what_the_issue_found():
    """The defects of the old --openai rows, each caught."""
    call = {"type": "function", "function": {"name": "ls", "arguments": "{}"}}
    old = {
        "id": "x",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "", "reasoning_content": "r", "tool_calls": [call]},
            {"role": "tool", "name": "ls", "tool_call_id": "functions.ls:0", "content": "{}"},
        ],
    }
    errors = openai_row_errors(old)
    assert "top-level key 'id'" in errors
    assert "assistant message key 'reasoning_content'" in errors
    assert "tool call without 'id'" in errors
    assert "tool message key 'name'" in errors
    assert "tool_call_id names no call of the assistant turn before it" in errors
    assert "no assistant message" in openai_row_errors(
        {"messages": [{"role": "user", "content": "x"}]}
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def openai_export(built_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("openai") / "openai.jsonl"
    return export(
        built_warehouse["db"],
        ExportOptions(format="messages", out=out, openai=True, tools="column", weights=True),
    )


def test_every_openai_row_is_valid(openai_export):
    rows = read_jsonl(openai_export.files["all"])
    assert len(rows) > 80
    for number, row in enumerate(rows, 1):
        assert openai_row_errors(row) == [], f"line {number}"
    # the row has only the training format's keys; the metadata is in the sidecar
    assert {key for row in rows for key in row} == {"messages", "tools"}
    calls = [c for row in rows for m in row["messages"] for c in m.get("tool_calls", [])]
    assert len(calls) > 500


def test_sidecar_is_line_for_line_and_named_in_the_manifest(openai_export, built_warehouse):
    rows = read_jsonl(openai_export.files["all"])
    metas = read_jsonl(openai_export.sidecars["all"])
    assert len(metas) == len(rows)
    manifest = openai_export.manifest
    assert manifest["sidecars"]["all"]["path"] == str(openai_export.sidecars["all"])
    assert manifest["sidecars"]["all"]["rows"] == len(rows)
    for row, meta in zip(rows, metas, strict=True):
        assert set(meta) == {"id", "config", "category", "messages"}
        assert len(meta["messages"]) == len(row["messages"])
    con = duckdb.connect(str(built_warehouse["db"]), read_only=True)
    try:
        known = set(
            con.execute(
                "select conversation_id, config, category from raw.conversations"
            ).fetchall()
        )
    finally:
        con.close()
    assert {(m["id"], m["config"], m["category"]) for m in metas} <= known


def test_call_ids_come_from_the_paired_results(openai_export):
    """A tool message's id is the call's; where the source's result had an id (kept in the
    sidecar, and proven right by the round trip) it is that id on both sides, else a
    generated one that no other call of the turn has."""
    rows = read_jsonl(openai_export.files["all"])
    metas = read_jsonl(openai_export.sidecars["all"])
    from_source = generated = 0
    for row, meta in zip(rows, metas, strict=True):
        for message, extra in zip(row["messages"], meta["messages"], strict=True):
            if message["role"] != "tool":
                continue
            if extra["tool_call_id"] is not None:
                assert message["tool_call_id"] == extra["tool_call_id"]
                from_source += 1
            else:
                assert message["tool_call_id"].startswith("call_")
                generated += 1
    # the generator writes kimi ids on every result, and glm-5.1 results without one
    assert from_source > 500 and generated > 0
    counts = openai_export.manifest["counts"]
    assert counts["tool_call_ids_from_source"] >= from_source


def test_round_trip_from_the_export_and_its_sidecar(openai_export, built_warehouse):
    con = duckdb.connect(str(built_warehouse["db"]), read_only=True)
    try:
        rows = con.execute(
            "select config, conversation_id, role, value from raw.messages "
            "where conversation_id not in ("
            "  select conversation_id from raw.conversations where is_duplicate_id) "
            "order by source, config, split, row_index, message_index"
        ).fetchall()
    finally:
        con.close()
    originals: dict[tuple, list[dict]] = {}
    for config, conversation_id, role, value in rows:
        originals.setdefault((config, conversation_id), []).append({"from": role, "value": value})
    checked = 0
    for row, meta in zip(
        read_jsonl(openai_export.files["all"]),
        read_jsonl(openai_export.sidecars["all"]),
        strict=True,
    ):
        key = (meta["config"], meta["id"])
        if key in originals:
            messages = openai_to_messages(row["messages"], meta)
            for message in messages:
                message.pop("weight", None)
            assert messages_to_sharegpt(messages) == originals[key]
            checked += 1
    assert checked > 80


def test_left_out_exactly_the_conversations_whose_results_could_name_no_call(
    openai_export, built_warehouse, tmp_path
):
    """Computed from the TRL-style export instead: a run of tool messages can be written only
    when each is structured (has a `name`) and the assistant turn before it has at least as
    many structured calls."""
    trl = read_jsonl(
        export(
            built_warehouse["db"], ExportOptions(format="messages", out=tmp_path / "t.jsonl")
        ).files["all"]
    )

    def expressible(messages: list[dict]) -> bool:
        calls, run = 0, 0
        for message in messages:
            if message["role"] == "tool":
                run += 1
                if message.get("name") is None or run > calls:
                    return False
            else:
                calls = (
                    len(message.get("tool_calls") or []) if message["role"] == "assistant" else 0
                )
                run = 0
        return True

    expected = sum(not expressible(row["messages"]) for row in trl)
    assert expected > 0
    counts = openai_export.manifest["counts"]
    assert counts["excluded_by_filter"]["not_openai_representable"] == expected
    assert counts["rows_written"] == len(trl) - expected
