"""The generated conversations in the OpenAI chat and Anthropic Messages shapes.

The builder (tracehouse.sample.conversation) keeps, beside each assistant and tool message's
Hermes text, the parts it wrote it from (`AssistantParts`, `ResultPart`). This module writes
the same parts in the two structured shapes; nothing is drawn at random here, so a seed
gives the same conversations in every shape.

Ids: a call carries the id its Hermes result names (`functions.<name>:<n>` in kimi,
`call_<24 hex>` in glm-5.1), and each result the id of the call that the Hermes rules pair
it with (by name and order, then order: tracehouse.sample.truth.pair_calls), so pairing by
id in these shapes pairs exactly as Hermes does. Where the two differ (a missing result
among calls of one name) the result's id is the pairing's, not the one its Hermes text says.

QUIRKS says what each shape does with the quirks that exist only in text (it is written into
ground_truth.json); FORMAT_FIGURES are the ground-truth figures that differ between shapes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tracehouse.sample.truth import MessageRecord, pair_calls

FORMATS = ("hermes", "openai", "anthropic")
ROLE_NAMES = {"openai": {"system": "system", "human": "user", "gpt": "assistant", "tool": "tool"}}

QUIRKS: dict[str, str] = {
    "think": "OpenAI `reasoning_content`, Anthropic a `thinking` block; an empty think is "
    "the empty string, no think no field (no block)",
    "unclosed_think, unopened_think": "kept as text with its one tag, at the start of "
    "`content` (OpenAI) or of a `text` block (Anthropic): a model writing tags in content",
    "visible text": "OpenAI `content` (null when a calling turn has none), Anthropic `text` "
    "blocks; the text that Hermes has after the calls (stray_text) is at the end of OpenAI's "
    "`content`, which comes before the calls, and in a `text` block after the `tool_use` "
    "blocks in Anthropic",
    "invalid_json_call, unclosed_call": "the tool's name and, as arguments, the truncated "
    "JSON text of its arguments: OpenAI `arguments` is that string, Anthropic `input` is that "
    "string (Anthropic's API only takes objects; a partial `input_json_delta` kept as text); "
    "no shape but Hermes can leave a call's tag unclosed",
    "non_object_call": "arguments `[name, arguments]`: OpenAI the JSON text of that list, "
    "Anthropic `input` that list",
    "nameless_call": "no `name` (OpenAI `function` has only `arguments`, Anthropic `tool_use` "
    "has no `name`)",
    "tool results": "OpenAI one `tool` message per result (`tool_call_id`, `name`, `content`: "
    "the result's JSON text, or its text when it is not JSON); Anthropic one `user` message "
    "of `tool_result` blocks per Hermes tool message (`tool_use_id`, `content` as in OpenAI, "
    "`is_error` true exactly on failed results)",
    "legacy_no_call_id": "cannot be held: results always carry the id of their call",
    "legacy_non_json": "OpenAI: a `tool` message without `name`, its content the text",
    "system prompt": "OpenAI a `system` message, Anthropic the top-level `system` (landed as "
    "message 0); the same text, which lists the tools in `<tools>` as Hermes does",
    "null values": "ingest drops keys whose value is null: Anthropic `input` objects lose "
    'an explicit `"timeout": null`, OpenAI `arguments` strings keep it',
}

# Ground-truth figures that depend on the shape (see `format_counts`); every other figure
# of ground_truth.json describes the conversations and is the same in every shape.
FORMAT_FIGURES = ("messages", "messages_by_role", "message_chars", "legacy_errors")
MESSAGE_CHARS_NOTE = (
    "message_chars is the characters of raw.messages.value as ingest lands each message; "
    "for openai and anthropic it is there only in the ground truth of a dataset written in "
    "that format"
)
SAME_IN_EVERY_FORMAT_NOTE = (
    "Every figure outside `formats` is the same for the three shapes, read with: roles "
    "system/user/assistant/tool as system/human/gpt/tool (an Anthropic user message of "
    "tool_result blocks is a tool message), the tool results that follow one assistant "
    "turn (several OpenAI tool messages) as one tool step for preceded_by, outcome and "
    "conversations_with_failure, a reasoning field or thinking block as a think block "
    "(the empty string an empty one), a call whose arguments are not a JSON object (or "
    "that has no name) malformed and not counted by name, arguments that are not JSON "
    "invalid. `formats` holds what differs: OpenAI has one message per tool result, and "
    "each format has its own message text; legacy_errors counts the legacy rule on the "
    "first result of each tool message, and OpenAI's tool messages hold one result each."
)


@dataclass(frozen=True)
class CallPart:
    """One call as written: the id its result names, and what the structured shapes hold."""

    call_id: str
    kind: str  # ok, invalid_json, unclosed, non_object, nameless
    tool: str  # the tool name the model meant (the call's name but for a nameless call)
    arguments: Any


@dataclass(frozen=True)
class AssistantParts:
    """An assistant message's parts, in the order Hermes writes them."""

    think: str | None  # the reasoning text (None: no think)
    think_style: str  # closed, unclosed, unopened (think is not None), or none
    text: str  # visible text before the calls ("" when none)
    calls: tuple[CallPart, ...] = ()
    trailing: str = ""  # text after the calls (Hermes), as written


@dataclass(frozen=True)
class ResultPart:
    """One tool result as written."""

    name: str
    content: Any  # a JSON object, or text
    style: str  # standard, no_call_id, non_json
    failed: bool


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def arguments_text(call: CallPart) -> str:
    """The structured shapes' arguments string (OpenAI `arguments`)."""
    full = _dump(call.arguments)
    if call.kind == "invalid_json":
        return full[:-1]
    if call.kind == "unclosed":
        return full[: max(1, len(full) // 2)]
    if call.kind == "non_object":
        return _dump([call.tool, call.arguments])
    return full


def _tool_input(call: CallPart) -> Any:
    """Anthropic's `input`: the arguments object, or what stands for a malformed one."""
    if call.kind in ("invalid_json", "unclosed"):
        return arguments_text(call)
    if call.kind == "non_object":
        return [call.tool, call.arguments]
    return call.arguments


def _think_prefix(parts: AssistantParts) -> str:
    """The text a think that no field can hold leaves at the start of the content."""
    if parts.think_style == "unclosed":
        return f"<think>\n{parts.think}\n"
    if parts.think_style == "unopened":
        return f"{(parts.think or '').lstrip()}\n</think>\n"
    return ""


def _has_reasoning(parts: AssistantParts) -> bool:
    return parts.think is not None and parts.think_style == "closed"


def _result_text(result: ResultPart) -> str:
    if isinstance(result.content, str):
        return result.content
    return _dump(result.content)


def _result_ids(messages: list[MessageRecord]) -> dict[tuple[int, int], str]:
    """(tool message index, result index) -> the id of the call Hermes pairs it with."""
    ids: dict[tuple[int, int], str] = {}
    for index, message in enumerate(messages):
        parts = message.detail
        if not isinstance(parts, AssistantParts) or not parts.calls:
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        if following is None or following.role != "tool":
            continue
        pairs = pair_calls(
            [call.name for call in message.calls], [r.name for r in following.responses]
        )
        for call, result in zip(parts.calls, pairs, strict=True):
            if result is not None:
                ids[(index + 1, result)] = call.call_id
        for result in range(len(following.responses)):  # unpaired: an id no call has
            ids.setdefault((index + 1, result), f"unpaired_{index + 1}_{result}")
    return ids


# --- OpenAI ---------------------------------------------------------------------------------


def openai_messages(messages: list[MessageRecord]) -> list[dict[str, Any]]:
    """The conversation as OpenAI chat messages."""
    ids = _result_ids(messages)
    out: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if message.role == "gpt":
            out.append(_openai_assistant(message))
        elif message.role == "tool":
            for number, result in enumerate(message.detail):
                tool: dict[str, Any] = {"role": "tool", "tool_call_id": ids[(index, number)]}
                if result.style != "non_json":
                    tool["name"] = result.name
                tool["content"] = _result_text(result)
                out.append(tool)
        else:
            out.append({"role": ROLE_NAMES["openai"][message.role], "content": message.value})
    return out


def _openai_assistant(message: MessageRecord) -> dict[str, Any]:
    parts: AssistantParts = message.detail
    content = _think_prefix(parts) + parts.text + parts.trailing
    assistant: dict[str, Any] = {"role": "assistant", "content": content or None}
    if _has_reasoning(parts):
        assistant["reasoning_content"] = parts.think
    if parts.calls:
        assistant["tool_calls"] = [_openai_call(call) for call in parts.calls]
    return assistant


def _openai_call(call: CallPart) -> dict[str, Any]:
    function: dict[str, Any] = {} if call.kind == "nameless" else {"name": call.tool}
    function["arguments"] = arguments_text(call)
    return {"id": call.call_id, "type": "function", "function": function}


def openai_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI's `tools`: the Hermes declarations as they are."""
    return tools


# --- Anthropic ------------------------------------------------------------------------------


def anthropic_messages(messages: list[MessageRecord]) -> tuple[str | None, list[dict[str, Any]]]:
    """The conversation as Anthropic's `system` and `messages`."""
    ids = _result_ids(messages)
    system = None
    out: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if message.role == "system" and index == 0:
            system = message.value
        elif message.role == "gpt":
            out.append({"role": "assistant", "content": _anthropic_blocks(message.detail)})
        elif message.role == "tool":
            blocks = [
                {
                    "type": "tool_result",
                    "tool_use_id": ids[(index, number)],
                    "content": _result_text(result),
                    "is_error": result.failed,
                }
                for number, result in enumerate(message.detail)
            ]
            out.append({"role": "user", "content": blocks})
        else:
            out.append({"role": "user", "content": message.value})
    return system, out


def _anthropic_blocks(parts: AssistantParts) -> str | list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if _has_reasoning(parts):
        thinking = parts.think or ""
        signature = hashlib.sha256(thinking.encode("utf-8")).hexdigest()[:32]
        blocks.append({"type": "thinking", "thinking": thinking, "signature": signature})
    text = _think_prefix(parts) + parts.text
    if text:
        blocks.append({"type": "text", "text": text})
    for call in parts.calls:
        use: dict[str, Any] = {"type": "tool_use", "id": call.call_id}
        if call.kind != "nameless":
            use["name"] = call.tool
        use["input"] = _tool_input(call)
        blocks.append(use)
    if parts.trailing:
        blocks.append({"type": "text", "text": parts.trailing})
    if len(blocks) == 1 and blocks[0]["type"] == "text":
        return blocks[0]["text"]  # a plain answer: content as a string
    return blocks


def anthropic_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic's `tools`: name, description and the parameters as `input_schema`."""
    return [
        {
            "name": tool["function"]["name"],
            "description": tool["function"]["description"],
            "input_schema": tool["function"]["parameters"],
        }
        for tool in tools
    ]


# --- what each shape lands ------------------------------------------------------------------


def _drop_nulls(value: Any) -> Any:
    """Ingest's rule: keys whose value is null are dropped, at every depth."""
    if isinstance(value, dict):
        return {key: _drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_drop_nulls(item) for item in value]
    return value


def landed_chars(message: dict[str, Any]) -> int:
    """Characters of `raw.messages.value` for a structured message (the ingest contract)."""
    return len(_dump(_drop_nulls(message)))


def format_counts(
    messages: list[MessageRecord], written: dict[str, list[dict[str, Any]]] | None = None
) -> dict[str, dict[str, Any]]:
    """The figures that depend on the shape (FORMAT_FIGURES), for each of FORMATS.

    `written`: the landed messages of the structured shape written ({format: messages}, an
    Anthropic `system` as its message 0). Its `message_chars` is counted from them; a
    structured shape not written has no `message_chars` (serializing every message of a
    shape that is not written would double the generator's time).
    """
    written = written or {}
    hermes_roles = {role: 0 for role in ("system", "human", "gpt", "tool")}
    for message in messages:
        hermes_roles[message.role] += 1
    tool_messages = [m for m in messages if m.role == "tool"]
    first_legacy = sum(bool(m.responses and m.responses[0].legacy) for m in tool_messages)
    results = sum(len(m.responses) for m in tool_messages)
    counts: dict[str, dict[str, Any]] = {
        "hermes": {
            "messages": len(messages),
            "messages_by_role": hermes_roles,
            "message_chars": sum(len(m.value) for m in messages),
            "legacy_errors": first_legacy,
        },
        "openai": {
            "messages": len(messages) - len(tool_messages) + results,
            "messages_by_role": {**hermes_roles, "tool": results},
            "legacy_errors": sum(r.legacy for m in tool_messages for r in m.responses),
        },
        "anthropic": {
            "messages": len(messages),
            "messages_by_role": dict(hermes_roles),
            "legacy_errors": first_legacy,
        },
    }
    for name, landed in written.items():
        counts[name]["message_chars"] = sum(landed_chars(m) for m in landed)
    return counts


def landed_messages(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages a structured row lands as (an Anthropic `system` first, as ingest does)."""
    system = record.get("system")
    head = [{"role": "system", "content": system}] if system is not None else []
    return head + record["messages"]


def add_format_counts(total: dict[str, Any], part: dict[str, Any]) -> None:
    """total += part for `format_counts` results (nested by format, then figure)."""
    for name, figures in part.items():
        target = total.setdefault(name, {})
        for key, value in figures.items():
            if isinstance(value, dict):
                inner = target.setdefault(key, {})
                for role, n in value.items():
                    inner[role] = inner.get(role, 0) + n
            else:
                target[key] = target.get(key, 0) + value
