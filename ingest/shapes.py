"""Which trace shape a source is, decided once per slice from its columns and message keys.

- `hermes`: a `conversations` column, a list of `{from, value}` (or `{role, content}`)
  string pairs; or a `messages` column of such string pairs (no OpenAI keys, no `system`
  column). Messages land as text.
- `openai`: a `messages` column whose messages have `role` and any of `content` (a string,
  null or a list of parts), `tool_calls`, `tool_call_id`, `reasoning_content`/`reasoning`,
  `name`.
- `anthropic`: a `messages` column whose `content` is a string or a list of blocks (`text`,
  `thinking`, `redacted_thinking`, `tool_use`, `tool_result`), optionally with a top-level
  `system` column.

The Arrow schema decides when its types say enough. When a message (or its `content`) is
the `arrow.json` extension type (JSON lines whose messages differ in keys or types), the
schema cannot tell OpenAI from Anthropic: then the first rows are read (`sample`) and their
keys and block types decide. Messages that show neither (plain text, text parts only) are
Anthropic beside a `system` column, else OpenAI. A `system` column of a structured shape
lands as message 0. Anything else is refused, naming the columns found and the shapes
accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow as pa

from tracehouse.ingest.errors import SchemaError
from tracehouse.ingest.structured import is_json_type, is_list_type, python_values

HERMES, OPENAI, ANTHROPIC = "hermes", "openai", "anthropic"
TRACE_FORMATS = (HERMES, OPENAI, ANTHROPIC)
MESSAGE_LIST_COLUMNS = ("conversations", "messages")
ROLE_KEYS = ("from", "role")
VALUE_KEYS = ("value", "content")
SYSTEM_COLUMN = "system"

# Message keys only OpenAI chat messages have (beside role and content).
OPENAI_MESSAGE_KEYS = frozenset(
    {
        "tool_calls",
        "tool_call_id",
        "reasoning_content",
        "reasoning",
        "name",
        "function_call",
        "refusal",
        "audio",
    }
)
OPENAI_ROLES = frozenset({"tool", "developer", "function"})
# Content part types only OpenAI has, and block types only Anthropic has.
OPENAI_PART_TYPES = frozenset({"image_url", "input_audio", "refusal", "file"})
ANTHROPIC_BLOCK_TYPES = frozenset(
    {
        "thinking",
        "redacted_thinking",
        "tool_use",
        "tool_result",
        "server_tool_use",
        "web_search_tool_result",
        "image",
        "document",
    }
)
# Content block fields only Anthropic blocks have (OpenAI parts: type, text, image_url, ...).
ANTHROPIC_BLOCK_FIELDS = frozenset(
    {
        "thinking",
        "signature",
        "data",
        "id",
        "name",
        "input",
        "tool_use_id",
        "content",
        "is_error",
        "source",
        "citations",
        "cache_control",
    }
)
SAMPLE_ROWS = 200
SAMPLE = "sample"  # the schema cannot tell: read the first SAMPLE_ROWS rows

ACCEPTED = (
    "hermes ('conversations': a list of {from, value}), "
    "openai ('messages': a list of {role, content, tool_calls, tool_call_id, "
    "reasoning_content, name}), "
    "anthropic ('messages': a list of {role, content: text or blocks}, optional 'system')"
)


@dataclass(frozen=True)
class Shape:
    """What the slice is: its trace format and where its messages are."""

    trace_format: str
    messages_column: str
    role_key: str | None = None  # hermes: the key holding the role
    value_key: str | None = None  # hermes: the key holding the text
    message_keys: tuple[str, ...] = ()  # hermes: every key of the message struct
    system_column: str | None = None  # a top-level system prompt column: landed as message 0


Sample = Callable[[], pa.Table]


def recognize(schema: pa.Schema, sample: Sample | None = None) -> Shape:
    """The slice's shape, from the schema and, only when that cannot tell, the first rows."""
    names = schema.names
    column = next((name for name in MESSAGE_LIST_COLUMNS if name in names), None)
    if column is None:
        raise refused(names, "no 'conversations' or 'messages' column")
    list_type = schema.field(column).type
    if not is_list_type(list_type):
        raise refused(names, f"column {column!r} has type {list_type}, not a list of messages")
    item = list_type.value_type
    system = SYSTEM_COLUMN if SYSTEM_COLUMN in names else None
    if pa.types.is_struct(item):
        keys = tuple(item.field(i).name for i in range(item.num_fields))
        if column == "messages" and not set(ROLE_KEYS) & set(keys):
            raise refused(names, f"the messages of 'messages' have no 'role' (keys: {_list(keys)})")
        text_pair = _text_pair(item, keys)
        if text_pair is not None and (
            column == "conversations" or system is None or text_pair[0] == "from"
        ):
            return Shape(HERMES, column, *text_pair, message_keys=keys)
        if column == "conversations":
            raise refused(
                names, f"column 'conversations' has type {list_type}, not {{from, value}} pairs"
            )
        decided = _from_struct(item, keys)
        if decided != SAMPLE:
            fallback = ANTHROPIC if system is not None else OPENAI
            return Shape(decided or fallback, column, system_column=system)
    elif not is_json_type(item) or column == "conversations":
        raise refused(names, f"column {column!r} has type {list_type}, not a list of messages")
    decided = _from_rows(_sample_messages(sample, column)) if sample is not None else None
    fallback = ANTHROPIC if system is not None else OPENAI
    return Shape(decided or fallback, column, system_column=system)


def refused(names: Iterable[str], reason: str) -> SchemaError:
    columns = ", ".join(names) or "none"
    return SchemaError(
        f"not a trace shape tracehouse reads: {reason} (columns: {columns}); accepted: {ACCEPTED}"
    )


def _list(keys: Iterable[str]) -> str:
    return ", ".join(keys) or "none"


def is_text_type(kind: pa.DataType) -> bool:
    """A string or binary type (or null): text as it stands, no cast needed."""
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_null(kind)
    )


def _text_pair(item: pa.StructType, keys: tuple[str, ...]) -> tuple[str | None, str | None] | None:
    """(role key, value key) when the messages are Hermes/ShareGPT text, else None.

    `from` makes it ShareGPT whatever else the messages hold (other keys are recorded as not
    landed); `role` with a text `content` does when no OpenAI key is there.
    """
    role_key = next((key for key in ROLE_KEYS if key in keys), None)
    value_key = next((key for key in VALUE_KEYS if key in keys), None)
    if role_key == "from" or role_key is None:
        return role_key, value_key
    if OPENAI_MESSAGE_KEYS & set(keys):
        return None
    if value_key is None or is_text_type(item.field(value_key).type):
        return role_key, value_key
    return None


def _from_struct(item: pa.StructType, keys: tuple[str, ...]) -> str | None:
    """The format a message struct shows: OPENAI, ANTHROPIC, None when it shows neither, or
    SAMPLE when its `content` is JSON text (the rows must tell)."""
    if OPENAI_MESSAGE_KEYS & set(keys):
        return OPENAI
    content = item.field("content").type if "content" in keys else pa.null()
    if is_json_type(content):
        return SAMPLE
    if is_list_type(content):
        block = content.value_type
        if is_json_type(block):
            return SAMPLE
        if pa.types.is_struct(block):
            fields = {block.field(i).name for i in range(block.num_fields)}
            return ANTHROPIC if fields & ANTHROPIC_BLOCK_FIELDS else None
    return None


def _sample_messages(sample: Sample, column: str) -> list:
    table = sample()
    if column not in table.column_names:
        return []
    return [message for row in python_values(table.column(column)) or [] for message in row or []]


def _from_rows(messages: list) -> str | None:
    """OpenAI or Anthropic from the keys and block types of some messages (None: no sign)."""
    openai: set[str] = set()
    anthropic: set[str] = set()
    for message in messages:
        if not isinstance(message, dict):
            continue
        openai.update(f"key {key!r}" for key in OPENAI_MESSAGE_KEYS & message.keys())
        if message.get("role") in OPENAI_ROLES:
            openai.add(f"role {message['role']!r}")
        content = message.get("content")
        for block in content if isinstance(content, list) else ():
            kind = block.get("type") if isinstance(block, dict) else None
            if kind in ANTHROPIC_BLOCK_TYPES:
                anthropic.add(f"block {kind!r}")
            elif kind in OPENAI_PART_TYPES:
                openai.add(f"part {kind!r}")
    if openai and anthropic:
        raise SchemaError(
            "not a trace shape tracehouse reads: the messages mix OpenAI "
            f"({', '.join(sorted(openai))}) and Anthropic ({', '.join(sorted(anthropic))}) "
            f"keys; accepted: {ACCEPTED}"
        )
    if anthropic:
        return ANTHROPIC
    return OPENAI if openai else None
