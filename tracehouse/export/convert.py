"""One message between the Hermes/ShareGPT text and the `messages` entries, both ways.

The inverse (`messages_to_sharegpt`) defines the layout. The forward direction cuts a message
into entries from its blocks (the block index gives each block's position in the text) and
keeps them only when the inverse gives the original text back byte-exact; otherwise the
message is exported as a plain entry holding the original value, which the inverse returns
as it is. So the round trip holds by construction, message by message.

A message of an OpenAI or Anthropic source is read in the compact Hermes form the staging
view writes from its fields; its entries (with the source's call ids and `is_error`) are cut
by the same rule against that form's layout (`structured_assistant_entry`,
`structured_tool_entries`, at the end of this module).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii
from typing import NamedTuple

ROLE_TO_SHAREGPT = {"system": "system", "user": "human", "assistant": "gpt", "tool": "tool"}
SHAREGPT_TO_ROLE = {value: key for key, value in ROLE_TO_SHAREGPT.items()}


class Block(NamedTuple):
    """A block of a message, its body cut from the text (tags not included)."""

    kind: str  # think | tool_call | tool_response | text | whitespace
    body: str
    has_opening_tag: bool
    has_closing_tag: bool

    def tagged(self) -> str:
        """The block as the message holds it: its body inside the tags it has."""
        opening = f"<{self.kind}>" if self.has_opening_tag else ""
        closing = f"</{self.kind}>" if self.has_closing_tag else ""
        return opening + self.body + closing


# ---------------------------------------------------------------- messages -> ShareGPT


def assistant_value(message: dict) -> str:
    """The Hermes text of an assistant message: `<think>\\n{reasoning}\\n</think>\\n` (empty
    reasoning: `<think>\\n</think>\\n`), the content, then the calls joined by `\\n`, each
    `<tool_call>\\n{json.dumps({"name", "arguments"})}\\n</tool_call>`."""
    value = ""
    reasoning = message.get("reasoning_content")
    if reasoning is not None:
        value += "<think>\n</think>\n" if reasoning == "" else f"<think>\n{reasoning}\n</think>\n"
    value += message.get("content") or ""
    calls = []
    for call in message.get("tool_calls") or []:
        function = call["function"]
        arguments = function["arguments"]
        if isinstance(arguments, str):  # the OpenAI shape: arguments as a JSON string
            arguments = json.loads(arguments)
        body = json.dumps({"name": function["name"], "arguments": arguments})
        calls.append(f"<tool_call>\n{body}\n</tool_call>")
    return value + "\n".join(calls)


def _tool_content_is_json(content: str) -> bool:
    """Whether a tool message's content is the JSON of a result (a value that is not a
    string) rather than a string result: text that parses as such a value was one."""
    if content.lstrip(" \t\n\r")[:1] not in _JSON_VALUE_STARTS:
        return False
    try:
        value = json.loads(content, parse_constant=_reject_constant)
    except ValueError:
        return False
    return not isinstance(value, str)


_JSON_VALUE_STARTS = set("{[-0123456789tfn")


def _reject_constant(name: str):
    raise ValueError(name)


def response_text(head: dict, content: str, content_is_json: bool) -> str:
    """The JSON of one response, as `json.dumps({**head, "content": ...})` writes it (head
    being {"tool_call_id"?, "name"}), but for a result given as JSON text, which is kept as
    written; a string result goes through json.dumps."""
    text = "{"
    for key, value in head.items():
        text += f'"{key}": {_dumps(value)}, '
    return f'{text}"content": {content if content_is_json else _dumps(content)}}}'


def _dumps(value) -> str:
    """json.dumps, with its fast path for a string taken directly."""
    return encode_basestring_ascii(value) if type(value) is str else json.dumps(value)


def tool_response_block(message: dict) -> str:
    """One `<tool_response>` block: `{"tool_call_id"?, "name", "content"}` as json.dumps
    writes it, but for a result given as JSON text, which is kept as written."""
    head = {}
    if message.get("tool_call_id") is not None:
        head["tool_call_id"] = message["tool_call_id"]
    head["name"] = message["name"]
    content = message.get("content") or ""
    body = response_text(head, content, _tool_content_is_json(content))
    return f"<tool_response>\n{body}\n</tool_response>"


def messages_to_sharegpt(messages: Iterable[dict]) -> list[dict]:
    """The ShareGPT `conversations` list a `messages` example was exported from, byte-exact.

    Structured tool messages (those with a `name`) that follow each other form one ShareGPT
    tool message (one `<tool_response>` block each); a tool message without a `name` is a
    message the export could not structure and holds the original value. Keys that
    `datasets` fills with None when it unifies rows are treated as absent. For an `--openai`
    export, merge its sidecar first (`openai_to_messages`).
    """
    conversations: list[dict] = []
    structured_tool_run = False
    for message in messages:
        role = message.get("role")
        if role == "tool" and message.get("name") is not None:
            block = tool_response_block(message)
            if structured_tool_run:
                conversations[-1]["value"] += "\n" + block
            else:
                conversations.append({"from": "tool", "value": block})
            structured_tool_run = True
            continue
        structured_tool_run = False
        if role == "assistant":
            value = assistant_value(message)
        else:
            value = message.get("content")
            value = "" if value is None else value
        conversations.append({"from": ROLE_TO_SHAREGPT.get(role, role), "value": value})
    return conversations


def openai_to_messages(messages: Sequence[dict], meta: dict) -> list[dict]:
    """An `--openai` row's messages with its sidecar line (`NAME.meta.jsonl`) merged back:
    the `messages` entries `messages_to_sharegpt` turns into the original conversation.

    The sidecar gives, message by message, what the OpenAI format has no place for: an
    assistant turn's `reasoning_content`, a tool result's `name` and the `tool_call_id` the
    source had (the OpenAI row's ids are the source's where it had one, else generated),
    and, for an OpenAI or Anthropic source, a result's `is_error: true`.
    """
    merged = []
    for message, extra in zip(messages, meta["messages"], strict=True):
        message = dict(message)
        if message.get("role") == "tool" and "name" in extra:
            message.pop("tool_call_id", None)
            if extra.get("tool_call_id") is not None:
                message["tool_call_id"] = extra["tool_call_id"]
            if extra["name"] is not None:
                message["name"] = extra["name"]
            if extra.get("is_error"):
                message["is_error"] = True
        elif "reasoning_content" in extra:
            message["reasoning_content"] = extra["reasoning_content"]
        merged.append(message)
    return merged


# ---------------------------------------------------------------- ShareGPT -> messages


def plain_entry(role: str | None, text: str | None) -> dict:
    """A message the format cannot structure: its original value as `content`."""
    return {"role": SHAREGPT_TO_ROLE.get(role, role or "unknown"), "content": text}


def assistant_entry(text: str, blocks: Sequence[Block]) -> dict | None:
    """An assistant turn as one structured entry, or None when the layout would not give
    `text` back: `reasoning_content` from a leading closed think block, `content` from the
    text before the first call, `tool_calls` from calls written as `json.dumps` writes
    `{"name", "arguments": {...}}`."""
    position, reasoning = 0, None
    if blocks and blocks[0].kind == "think":
        first = blocks[0]
        if not (first.has_opening_tag and first.has_closing_tag):
            return None
        body = first.body
        if body == "\n":
            reasoning = ""
        elif len(body) >= 2 and body[0] == "\n" and body[-1] == "\n":
            reasoning = body[1:-1]
        else:
            return None
        position = 1
    content_parts = []
    calls = []
    for block in blocks[position:]:
        if block.kind in ("text", "whitespace"):
            if calls:
                if block.body != "\n":  # only the separator between two calls
                    return None
                continue
            content_parts.append(block.body)
        elif block.kind == "tool_call":
            call = _call_entry(block)
            if call is None:
                return None
            calls.append(call)
        else:
            return None
    content = "".join(content_parts)
    if reasoning is not None:
        if not content.startswith("\n"):
            if content or calls:
                return None
        else:
            content = content[1:]
    entry: dict = {"role": "assistant", "content": content}
    if reasoning is not None:
        entry["reasoning_content"] = reasoning
    if calls:
        entry["tool_calls"] = calls
    return entry if assistant_value(entry) == text else None


def _call_entry(block: Block) -> dict | None:
    body = block.body
    if not block.has_closing_tag or len(body) < 2 or body[0] != "\n" or body[-1] != "\n":
        return None
    try:
        call = json.loads(body[1:-1])
    except ValueError:
        return None
    if (
        not isinstance(call, dict)
        or list(call) != ["name", "arguments"]
        or not isinstance(call["name"], str)
        or not isinstance(call["arguments"], dict)
    ):
        return None
    return {"type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}


def tool_entries(text: str, blocks: Sequence[Block]) -> list[dict] | None:
    """A tool message as one structured entry per `<tool_response>`, or None when the layout
    (responses joined by `\\n`, each as `tool_response_block` writes it) would not give
    `text` back. `content` is the result's text: the string, or the JSON of the result as
    written."""
    entries = []
    rebuilt = []
    for index, block in enumerate(blocks):
        if index % 2:
            if block.kind != "whitespace" or block.body != "\n":
                return None
            continue
        if block.kind != "tool_response" or not block.has_closing_tag:
            return None
        response = _response_entry(block.body)
        if response is None:
            return None
        entry, body = response
        entries.append(entry)
        rebuilt.append(f"<tool_response>\n{body}\n</tool_response>")
    if not entries or len(blocks) % 2 == 0:
        return None
    return entries if "\n".join(rebuilt) == text else None


# `{"tool_call_id": "...", "name": "...", "content": ` with json.dumps' spacing
_RESPONSE_HEAD = re.compile(
    r'\{(?:"tool_call_id": ("(?:[^"\\]|\\.)*"), )?"name": ("(?:[^"\\]|\\.)*"), "content": '
)


def _json_string(literal: str) -> str:
    """A JSON string literal's value (one without escapes is its text between the quotes;
    a raw control character there is caught by the comparison with the original)."""
    return literal[1:-1] if "\\" not in literal else json.loads(literal)


def _response_entry(body: str) -> tuple[dict, str] | None:
    """A response body as its entry and the JSON `tool_response_block` writes for it, or
    None when the body is not `\\n{json}\\n` with those keys in that order."""
    if len(body) < 2 or body[0] != "\n" or body[-1] != "\n" or body[-2] != "}":
        return None
    inner = body[1:-1]
    head_match = _RESPONSE_HEAD.match(inner)
    if head_match is None:
        return None
    head = {}
    try:
        if head_match.group(1) is not None:
            head["tool_call_id"] = _json_string(head_match.group(1))
        head["name"] = _json_string(head_match.group(2))
    except ValueError:
        return None
    content = inner[head_match.end() : -1]
    content_is_json = _tool_content_is_json(content)
    if not content_is_json:
        try:
            content = json.loads(content)
        except ValueError:
            return None
        if not isinstance(content, str) or _tool_content_is_json(content):
            return None
    entry = {"role": "tool", "name": head["name"]}
    if "tool_call_id" in head:
        entry["tool_call_id"] = head["tool_call_id"]
    entry["content"] = content
    return entry, response_text(head, content, content_is_json)


# ---------------------------------------------------------------- OpenAI and Anthropic sources
#
# A message ingested as OpenAI chat or Anthropic Messages JSON (value_format `openai` or
# `anthropic`) is read in the Hermes form the staging view writes from its fields
# (dbt_project/macros/structured_messages.sql), which is compact: `<think>R</think>`, the
# text as given, then each call as `<tool_call>{"id"?, "name", "arguments"}</tool_call>` with
# nothing between them; each result `<tool_response>{"tool_call_id"?, "name"?, "content",
# "is_error"?}</tool_response>`, results written one after the other. Its entries are cut by
# the same rule as a Hermes message's: kept only when the layout below gives the form back
# byte-exact, else the message is a plain entry.

STRUCTURED_FORMATS = ("openai", "anthropic")

# The layouts an object's JSON text may have in the form: arguments given as a string are
# its text (Python's json.dumps writes `{"a": 1}`), an object (Anthropic `input`) is written
# by DuckDB (`{"a":1}`); each with non-ASCII characters as they are or escaped.
ARGUMENTS_LAYOUTS = (
    {"ensure_ascii": False},
    {"ensure_ascii": False, "separators": (",", ":")},
    {"ensure_ascii": True},
    {"ensure_ascii": True, "separators": (",", ":")},
)

_STRING = r'"(?:[^"\\]|\\.)*"'
# `{"id": "...", "name": "...", "arguments": ` (the id absent when the source had none)
_STRUCTURED_CALL_HEAD = re.compile(
    rf'\{{(?:"id": ({_STRING}), )?"name": ({_STRING}), "arguments": '
)
# `{"tool_call_id": "...", "name": "...", "content": ` (each key absent when the source had none)
_STRUCTURED_RESULT_HEAD = re.compile(
    rf'\{{(?:"tool_call_id": ({_STRING}), )?(?:"name": ({_STRING}), )?"content": '
)
_IS_ERROR_TAIL = ', "is_error": true}'


def _form_string(value: str) -> str:
    """A string as the staging view writes it: JSON, non-ASCII characters as they are."""
    return json.dumps(value, ensure_ascii=False)


def _strict_json(text: str) -> bool:
    """Whether text is one JSON value (no NaN or Infinity)."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return False
    return True


def arguments_layout(arguments: dict, text: str) -> str | None:
    """`text` when it is `arguments` written in one of ARGUMENTS_LAYOUTS, else None."""
    for layout in ARGUMENTS_LAYOUTS:
        if json.dumps(arguments, **layout) == text:
            return text
    return None


def structured_assistant_value(entry: dict, arguments_texts: Sequence[str]) -> str:
    """The staging view's form of an assistant entry of an OpenAI or Anthropic source:
    `<think>{reasoning}</think>` (when it has reasoning), the content as it is, then each call
    `<tool_call>{"id"?, "name", "arguments"}</tool_call>`, its arguments as `arguments_texts`
    holds them (the JSON text the source gave), with nothing between the pieces."""
    value = ""
    reasoning = entry.get("reasoning_content")
    if reasoning is not None:
        value += f"<think>{reasoning}</think>"
    value += entry.get("content") or ""
    for call, arguments in zip(entry.get("tool_calls") or [], arguments_texts, strict=True):
        head = f'"id": {_form_string(call["id"])}, ' if "id" in call else ""
        name = _form_string(call["function"]["name"])
        value += f'<tool_call>{{{head}"name": {name}, "arguments": {arguments}}}</tool_call>'
    return value


def structured_tool_value(entries: Sequence[dict]) -> str:
    """The staging view's form of a tool message of an OpenAI or Anthropic source, from its
    entries: `<tool_response>{"tool_call_id"?, "name"?, "content", "is_error"?}</tool_response>`
    each, nothing between them; content that is JSON text is written as it is, other text as
    a JSON string."""
    value = ""
    for entry in entries:
        body = "{"
        if entry.get("tool_call_id") is not None:
            body += f'"tool_call_id": {_form_string(entry["tool_call_id"])}, '
        if entry.get("name") is not None:
            body += f'"name": {_form_string(entry["name"])}, '
        content = entry["content"]
        body += f'"content": {content if _strict_json(content) else _form_string(content)}'
        body += _IS_ERROR_TAIL if entry.get("is_error") else "}"
        value += f"<tool_response>{body}</tool_response>"
    return value


def structured_assistant_entry(text: str, blocks: Sequence[Block]) -> tuple[dict, list[str]] | None:
    """An assistant turn of an OpenAI or Anthropic source as one entry, with the JSON text of
    each call's arguments; None when `structured_assistant_value` would not give `text` back.

    `reasoning_content` is a leading closed think block's body; `content` the text up to the
    calls, tags a model wrote in it included (an unclosed think, say); `tool_calls` the calls
    that end the turn, each with the source's `id` (when it had one), a name and arguments
    that are a JSON object. Text after the calls (an Anthropic `text` block after `tool_use`),
    a call without a name or whose arguments are not an object, or a tool result in the turn
    leave the turn plain."""
    position, reasoning = 0, None
    if (
        blocks
        and blocks[0].kind == "think"
        and blocks[0].has_opening_tag
        and blocks[0].has_closing_tag
    ):
        reasoning = blocks[0].body
        position = 1
    first_call = len(blocks)
    for index in range(position, len(blocks)):
        if blocks[index].kind == "tool_call":
            first_call = index
            break
    content_parts = []
    for block in blocks[position:first_call]:
        if block.kind not in ("text", "whitespace", "think"):
            return None
        content_parts.append(block.tagged())
    calls, arguments_texts = [], []
    for block in blocks[first_call:]:
        parsed = _structured_call(block)
        if parsed is None:
            return None
        call, arguments = parsed
        calls.append(call)
        arguments_texts.append(arguments)
    entry: dict = {"role": "assistant", "content": "".join(content_parts)}
    if reasoning is not None:
        entry["reasoning_content"] = reasoning
    if calls:
        entry["tool_calls"] = calls
    if structured_assistant_value(entry, arguments_texts) != text:
        return None
    return entry, arguments_texts


def _structured_call(block: Block) -> tuple[dict, str] | None:
    """A call of the form as its entry and its arguments' JSON text, or None."""
    body = block.body
    if block.kind != "tool_call" or not (block.has_opening_tag and block.has_closing_tag):
        return None
    head = _STRUCTURED_CALL_HEAD.match(body)
    if head is None or not body.endswith("}"):
        return None
    arguments_text = body[head.end() : -1]
    try:
        call_id = None if head.group(1) is None else json.loads(head.group(1))
        name = json.loads(head.group(2))
        arguments = json.loads(arguments_text, parse_constant=_reject_constant)
    except ValueError:
        return None
    if not isinstance(arguments, dict) or arguments_layout(arguments, arguments_text) is None:
        return None
    call: dict = {} if call_id is None else {"id": call_id}
    call["type"] = "function"
    call["function"] = {"name": name, "arguments": arguments}
    return call, arguments_text


def structured_tool_entries(text: str, blocks: Sequence[Block]) -> list[dict] | None:
    """A tool message of an OpenAI or Anthropic source as one entry per result, or None when
    `structured_tool_value` would not give `text` back. Each entry: `name` and `tool_call_id`
    when the source had them (an Anthropic `tool_result` has no name), `content` the result's
    text (the JSON as written, or the string) and `is_error: true` when the source said so."""
    entries = []
    for block in blocks:
        if block.kind != "tool_response" or not (block.has_opening_tag and block.has_closing_tag):
            return None
        entry = _structured_result(block.body)
        if entry is None:
            return None
        entries.append(entry)
    if not entries or structured_tool_value(entries) != text:
        return None
    return entries


def _structured_result(body: str) -> dict | None:
    head = _STRUCTURED_RESULT_HEAD.match(body)
    if head is None or not body.endswith("}"):
        return None
    rest = body[head.end() :]
    is_error = rest.endswith(_IS_ERROR_TAIL) and _strict_json(rest[: -len(_IS_ERROR_TAIL)])
    content = rest[: -len(_IS_ERROR_TAIL)] if is_error else rest[:-1]
    try:
        call_id = None if head.group(1) is None else json.loads(head.group(1))
        name = None if head.group(2) is None else json.loads(head.group(2))
        value = json.loads(content, parse_constant=_reject_constant)
    except ValueError:
        return None
    entry: dict = {"role": "tool"}
    if name is not None:
        entry["name"] = name
    if call_id is not None:
        entry["tool_call_id"] = call_id
    entry["content"] = value if isinstance(value, str) else content
    if is_error:
        entry["is_error"] = True
    return entry
