"""Explode: one Arrow batch of dataset rows -> raw conversation rows, message rows and issues.

Hermes text is vectorised with pyarrow compute (`list_flatten`, `list_parent_indices`,
`struct_field`); Python only touches the rare rows that have a problem worth recording.
OpenAI and Anthropic messages are serialized one by one in Python
(tracehouse.ingest.structured says how). Hermes message keys beside the role and the text
(axolotl's `weight`, ...) land per message in `extra_keys`, a JSON object serialized as a
row's `extra_columns` is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracehouse.ingest.schema import CONVERSATION_COLUMNS, ISSUE_COLUMNS, MESSAGE_COLUMNS
from tracehouse.ingest.shapes import (
    ANTHROPIC,
    HERMES,
    OPENAI,
    Sample,
    Shape,
    is_text_type,
    recognize,
)
from tracehouse.ingest.structured import drop_nulls, dumps, is_json_type, python_values

# Roles each shape's messages take; others are kept as given and recorded. Text messages also
# take user/assistant, the ShareGPT variants' names for human/gpt.
KNOWN_ROLES = {
    HERMES: ("system", "human", "gpt", "tool", "user", "assistant"),
    OPENAI: ("system", "developer", "user", "assistant", "tool", "function"),
    ANTHROPIC: ("system", "user", "assistant"),
}
VALUE_FORMATS = {HERMES: "text", OPENAI: OPENAI, ANTHROPIC: ANTHROPIC}
CONVERSATION_FIELDS = ("id", "tools", "category", "subcategory", "task")
SURROGATE = re.compile("[\ud800-\udfff]")
DERIVED_ID_PREFIX = "sha256:"
DERIVED_ID_HEX_DIGITS = 32


@dataclass(frozen=True)
class SliceMeta:
    source: str
    config: str
    split: str
    load_id: str
    loaded_at: datetime


@dataclass(frozen=True)
class SchemaPlan:
    """How the dataset's columns map onto the raw layer, decided once per slice."""

    shape: Shape
    missing_columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    value_type: pa.DataType | None = None  # hermes: the Arrow type of the messages' text

    @property
    def trace_format(self) -> str:
        return self.shape.trace_format

    @property
    def messages_column(self) -> str:
        return self.shape.messages_column

    @property
    def extra_message_keys(self) -> tuple[str, ...]:
        """Hermes message keys beside the role and the text: kept in `extra_keys`."""
        used = (self.shape.role_key, self.shape.value_key)
        return tuple(key for key in self.shape.message_keys if key not in used)

    def slice_issues(self) -> list[tuple[str, str, str]]:
        """(field, issue, detail) for problems that concern the whole slice."""
        found = []
        for name in self.missing_columns:
            found.append((name, "missing_column", f"column {name!r} is absent; landed as null"))
        if self.trace_format != HERMES:
            return found
        shape = self.shape
        if shape.messages_column != "conversations":
            found.append(
                (shape.messages_column, "mapped_column", "read 'messages' as 'conversations'")
            )
        if shape.role_key == "role" or shape.value_key == "content":
            found.append(
                (
                    shape.messages_column,
                    "mapped_message_keys",
                    f"read message keys {shape.role_key!r}/{shape.value_key!r} as 'from'/'value'",
                )
            )
        for key, name in ((shape.role_key, "from"), (shape.value_key, "value")):
            if key is None:
                found.append(
                    (name, "missing_message_key", f"messages have no {name!r} key; landed as null")
                )
        if self.value_type is not None and not _is_text_value(self.value_type):
            how = (
                "landed as their JSON text"
                if _is_nested(self.value_type)
                else "landed cast to text (as Arrow casts: 1.0 as '1', true as 'true')"
            )
            found.append(
                (
                    "value",
                    "cast_message_value",
                    f"message values are {self.value_type}, not text; {how}",
                )
            )
        for name in self.extra_message_keys:
            found.append(
                (
                    name,
                    "unlanded_message_key",
                    f"message key {name!r} has no column in raw.messages; "
                    "kept per message in raw.messages.extra_keys",
                )
            )
        return found


def _is_text_value(kind: pa.DataType) -> bool:
    """Message text that lands as given (a dictionary of text decodes to it): no cast."""
    return is_text_type(kind.value_type if pa.types.is_dictionary(kind) else kind)


def plan_schema(schema: pa.Schema, sample: Sample | None = None) -> SchemaPlan:
    """Check the columns once, before the warehouse is touched. `sample` gives the first rows
    when the schema alone cannot tell OpenAI from Anthropic (see tracehouse.ingest.shapes)."""
    shape = recognize(schema, sample)
    names = schema.names
    landed = {*CONVERSATION_FIELDS, shape.messages_column, shape.system_column}
    value_type = None
    if shape.trace_format == HERMES and shape.value_key is not None:
        value_type = schema.field(shape.messages_column).type.value_type.field(shape.value_key).type
    return SchemaPlan(
        shape=shape,
        # a row without an id gets one derived from its content (a `derived_id` issue)
        missing_columns=tuple(
            name for name in CONVERSATION_FIELDS if name not in names and name != "id"
        ),
        extra_columns=tuple(name for name in names if name not in landed),
        value_type=value_type,
    )


@dataclass
class Exploded:
    conversations: pa.Table
    messages: pa.Table
    issues: pa.Table
    message_bytes: int
    derived_ids: int = 0  # rows without an id that got one derived from their content


@dataclass
class _Issues:
    meta: SliceMeta
    rows: list[dict] = field(default_factory=list)

    def add(self, row_index, conversation_id, message_index, field_name, issue, detail) -> None:
        self.rows.append(
            {
                "load_id": self.meta.load_id,
                "source": self.meta.source,
                "config": self.meta.config,
                "split": self.meta.split,
                "row_index": row_index,
                "conversation_id": conversation_id,
                "message_index": message_index,
                "field": field_name,
                "issue": issue,
                "detail": detail,
            }
        )

    def fill_ids(self, ids: dict[int, str]) -> None:
        """Give the issues of rows whose id was derived after they were recorded that id."""
        for row in self.rows:
            if row["conversation_id"] is None and row["row_index"] in ids:
                row["conversation_id"] = ids[row["row_index"]]

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=ISSUE_SCHEMA)


ISSUE_SCHEMA = pa.schema(
    [
        (
            name,
            pa.int64()
            if name == "row_index"
            else pa.int32()
            if name == "message_index"
            else pa.string(),
        )
        for name in ISSUE_COLUMNS
    ]
)


@dataclass
class _Messages:
    """A batch's messages, flat, with the conversation each belongs to."""

    counts: np.ndarray  # messages landed per row (int64)
    parents: np.ndarray  # row position of each message in the batch
    roles: pa.Array
    values: pa.Array
    ids: pa.Array  # the conversation id of each message, as given
    extra_keys: pa.Array  # the message's other keys as a JSON object (text), or null


def explode_batch(batch: pa.Table, plan: SchemaPlan, meta: SliceMeta, first_row: int) -> Exploded:
    """Turn `batch` (rows first_row.. of the slice) into raw rows."""
    issues = _Issues(meta)
    n_rows = batch.num_rows
    row_index = np.arange(first_row, first_row + n_rows, dtype=np.int64)

    ids = _string_column(batch, "id", n_rows, plan, row_index, None, issues)
    lists = _combine(batch.column(plan.messages_column))
    _record_empty(lists, plan, row_index, ids, issues)
    if plan.trace_format == HERMES:
        messages = _text_messages(lists, plan, row_index, ids, issues)
    else:
        messages = _structured_messages(batch, lists, plan, row_index, ids, issues)
    ids, derived = _derive_missing_ids(ids, messages)
    issues.fill_ids({int(row_index[position]): value for position, value in derived.items()})
    n_messages = len(messages.values)
    message_rows = row_index[messages.parents]
    message_index = _positions(messages.counts, messages.parents)
    message_ids = messages.ids
    if derived:
        message_ids = pc.take(ids, pa.array(messages.parents))

    conversations = pa.table(
        {
            "source": pa.array([meta.source] * n_rows, pa.string()),
            "config": pa.array([meta.config] * n_rows, pa.string()),
            "split": pa.array([meta.split] * n_rows, pa.string()),
            "row_index": pa.array(row_index),
            "conversation_id": ids,
            "category": _string_column(batch, "category", n_rows, plan, row_index, ids, issues),
            "subcategory": _string_column(
                batch, "subcategory", n_rows, plan, row_index, ids, issues
            ),
            "task": _string_column(batch, "task", n_rows, plan, row_index, ids, issues),
            "tools": _string_column(batch, "tools", n_rows, plan, row_index, ids, issues),
            "message_count": pa.array(messages.counts.astype(np.int32)),
            "is_duplicate_id": pa.array(np.zeros(n_rows, dtype=bool)),
            "extra_columns": _extra_columns(batch, plan.extra_columns),
            "load_id": pa.array([meta.load_id] * n_rows, pa.string()),
            "loaded_at": pa.array([meta.loaded_at] * n_rows, pa.timestamp("us")),
            "trace_format": pa.array([plan.trace_format] * n_rows, pa.string()),
        }
    ).select(list(CONVERSATION_COLUMNS))

    value_format = VALUE_FORMATS[plan.trace_format]
    messages_table = pa.table(
        {
            "source": pa.array([meta.source] * n_messages, pa.string()),
            "config": pa.array([meta.config] * n_messages, pa.string()),
            "split": pa.array([meta.split] * n_messages, pa.string()),
            "row_index": pa.array(message_rows),
            "conversation_id": message_ids,
            "message_index": pa.array(message_index),
            "role": messages.roles,
            "value": messages.values,
            "value_format": pa.array([value_format] * n_messages, pa.string()),
            "extra_keys": messages.extra_keys,
        }
    ).select(list(MESSAGE_COLUMNS))
    message_bytes = int(pc.sum(pc.binary_length(messages.values)).as_py() or 0)
    return Exploded(conversations, messages_table, issues.table(), message_bytes, len(derived))


def _positions(counts: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Each message's zero-based position in its conversation."""
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    return (np.arange(len(parents), dtype=np.int64) - starts[parents]).astype(np.int32)


def _record_empty(lists: pa.Array, plan: SchemaPlan, row_index, ids, issues: _Issues) -> None:
    """Rows whose message list is null or empty (an Anthropic `system` alone still lands)."""
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    column = plan.messages_column
    for position in np.flatnonzero(lengths == 0):
        position = int(position)
        issues.add(
            int(row_index[position]),
            ids[position].as_py(),
            None,
            column,
            "empty_conversation",
            f"{column} is null" if not lists[position].is_valid else f"{column} is empty",
        )


def _text_messages(lists: pa.Array, plan: SchemaPlan, row_index, ids, issues) -> _Messages:
    """Hermes: the role and the text of every message, as given (vectorised)."""
    counts = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    counts = counts.astype(np.int64)
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    message_index = _positions(counts, parents)
    message_rows = row_index[parents]
    message_ids = pc.take(ids, pa.array(parents)) if len(flat) else pa.array([], pa.string())

    roles = _message_field(flat, plan.shape.role_key)
    values = _message_field(flat, plan.shape.value_key)
    roles = _valid_utf8(roles, "from", message_rows, message_ids, message_index, issues)
    values = _valid_utf8(values, "value", message_rows, message_ids, message_index, issues)
    _record_message_problems(
        flat, roles, values, message_rows, message_ids, message_index, issues, HERMES
    )
    extra_keys = _extra_message_keys(flat, plan.extra_message_keys)
    return _Messages(counts, parents, roles, values, message_ids, extra_keys)


def _structured_messages(batch, lists, plan: SchemaPlan, row_index, ids, issues) -> _Messages:
    """OpenAI / Anthropic: every message object as JSON text, the role as given.

    A row's top-level `system` (Anthropic's: a string or text blocks) lands first, as the
    message `{"role": "system", "content": <system>}`; its `messages` follow.
    """
    rows = python_values(lists)
    system_column = plan.shape.system_column
    systems = (
        python_values(_combine(batch.column(system_column)))
        if system_column is not None
        else [None] * len(rows)
    )
    counts = np.zeros(len(rows), dtype=np.int64)
    parents: list[int] = []
    roles: list[str | None] = []
    values: list[str | None] = []
    for position, (row, system) in enumerate(zip(rows, systems, strict=True)):
        landed = [] if system is None else [{"role": "system", "content": system}]
        landed += row or []
        counts[position] = len(landed)
        for message in landed:
            parents.append(position)
            if message is None:
                roles.append(None)
                values.append(None)
                continue
            message = drop_nulls(message)
            role = message.get("role") if isinstance(message, dict) else None
            roles.append(role if isinstance(role, str) else None)
            values.append(dumps(message))
    parents_array = np.array(parents, dtype=np.int64)
    message_rows = row_index[parents_array]
    message_index = _positions(counts, parents_array)
    message_ids = pc.take(ids, pa.array(parents_array)) if parents else pa.array([], pa.string())
    role_array = _strings(roles, "role", message_rows, message_ids, message_index, issues)
    value_array = _strings(values, "value", message_rows, message_ids, message_index, issues)
    _record_message_problems(
        None,
        role_array,
        None,
        message_rows,
        message_ids,
        message_index,
        issues,
        plan.trace_format,
        null_messages=pc.is_null(value_array),
    )
    extra_keys = pa.nulls(len(value_array), pa.string())  # the whole message is the value
    return _Messages(counts, parents_array, role_array, value_array, message_ids, extra_keys)


def _strings(values: list, field_name, rows, ids, message_index, issues: _Issues) -> pa.Array:
    """Python strings as Arrow; lone surrogates (JSON escapes such as \\ud800 that no UTF-8
    can hold) become U+FFFD, recorded."""
    try:
        return pa.array(values, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        pass
    repaired = []
    for position, value in enumerate(values):
        if value is None:
            repaired.append(None)
            continue
        try:
            value.encode("utf-8")
            repaired.append(value)
        except UnicodeEncodeError as exc:
            repaired.append(SURROGATE.sub("\ufffd", value))
            issues.add(
                int(rows[position]),
                ids[position].as_py(),
                int(message_index[position]),
                field_name,
                "invalid_utf8",
                f"lone surrogate at character {exc.start}; replaced by U+FFFD",
            )
    return pa.array(repaired, pa.string())


def _derive_missing_ids(ids: pa.Array, messages: _Messages) -> tuple[pa.Array, dict[int, str]]:
    """Ids for the rows that have none, derived from what they landed.

    `sha256:` and the first 32 hex digits of the SHA-256 of the UTF-8 bytes of
    `json.dumps([[role, value], ...], ensure_ascii=False, separators=(",", ":"))` over the
    row's landed messages in order (roles as given, values as landed). The same content gives
    the same id in every slice and on every ingest; rows with the same messages share an id,
    and are flagged duplicates within a slice.
    """
    missing = np.flatnonzero(pc.is_null(ids).to_numpy(zero_copy_only=False))
    if not len(missing):
        return ids, {}
    starts = np.concatenate(([0], np.cumsum(messages.counts)[:-1])).astype(np.int64)
    derived: dict[int, str] = {}
    for position in missing:
        position = int(position)
        start, count = int(starts[position]), int(messages.counts[position])
        roles = messages.roles.slice(start, count).to_pylist()
        values = messages.values.slice(start, count).to_pylist()
        derived[position] = derive_id(list(zip(roles, values, strict=True)))
    filled = ids.to_pylist()
    for position, value in derived.items():
        filled[position] = value
    return pa.array(filled, pa.string()), derived


def derive_id(messages: list[tuple[str | None, str | None]]) -> str:
    """The id of a conversation that has none (see `_derive_missing_ids`)."""
    canonical = json.dumps(
        [[role, value] for role, value in messages], ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()
    return DERIVED_ID_PREFIX + digest[:DERIVED_ID_HEX_DIGITS]


def _combine(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _message_field(flat: pa.Array, key: str | None) -> pa.Array:
    if key is None:
        return pa.nulls(len(flat), pa.string())
    field = pc.struct_field(flat, key)
    return _json_text(field) if _is_nested(field.type) else _as_string(field)


def _as_string(array: pa.Array) -> pa.Array:
    """Strings stay strings; binary is viewed as string (checked by _valid_utf8); others cast."""
    kind = array.type
    if pa.types.is_string(kind):
        return array
    if pa.types.is_large_string(kind):
        return array.cast(pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return array.cast(pa.binary()).view(pa.string())
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    return pc.cast(array, pa.string())


def _valid_utf8(values, field_name, rows, ids, message_index, issues: _Issues) -> pa.Array:
    """Repair invalid UTF-8 (U+FFFD) and record the original bytes, base64, in the issue."""
    try:
        values.validate(full=True)
        return values
    except pa.ArrowInvalid:
        pass
    repaired = []
    for position, raw in enumerate(values.view(pa.binary()).to_pylist()):
        if raw is None:
            repaired.append(None)
            continue
        try:
            repaired.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            repaired.append(raw.decode("utf-8", errors="replace"))
            issues.add(
                int(rows[position]),
                ids[position].as_py() if ids is not None else None,
                int(message_index[position]) if message_index is not None else None,
                field_name,
                "invalid_utf8",
                f"{exc.reason} at byte {exc.start}; replaced by U+FFFD; original base64: "
                + base64.b64encode(raw).decode("ascii"),
            )
    return pa.array(repaired, pa.string())


def _record_message_problems(
    flat, roles, values, rows, ids, message_index, issues, trace_format, null_messages=None
) -> None:
    """Null messages, missing and unknown roles, and (text) missing values and NULs.

    `flat` is the Hermes message structs (None for structured messages, whose nulls are
    `null_messages` and whose values, JSON text, can neither be missing nor hold a NUL).
    """
    if not len(roles):
        return
    if null_messages is None:
        null_messages = pc.is_null(flat)
    present = pc.invert(null_messages)
    role_key = "from" if trace_format == HERMES else "role"
    checks = [
        ("message", "null_message", "the message itself is null", null_messages),
        (
            role_key,
            "missing_role",
            f"message has no {role_key!r}",
            pc.and_(present, pc.is_null(roles)),
        ),
        (
            role_key,
            "unknown_role",
            None,
            pc.and_(
                pc.is_valid(roles),
                pc.invert(pc.is_in(roles, value_set=pa.array(KNOWN_ROLES[trace_format]))),
            ),
        ),
    ]
    if values is not None:
        checks.insert(
            2,
            (
                "value",
                "missing_value",
                "message has no 'value'",
                pc.and_(present, pc.is_null(values)),
            ),
        )
        checks.append(
            (
                "value",
                "nul_character",
                "value holds NUL characters (landed as given)",
                _holds_nul(values),
            )
        )
    for field_name, issue, detail, mask in checks:
        if mask is None:
            continue
        for position in np.flatnonzero(mask.to_numpy(zero_copy_only=False)):
            position = int(position)
            text = (
                detail if detail is not None else f"role {roles[position].as_py()!r} kept as given"
            )
            issues.add(
                int(rows[position]),
                ids[position].as_py(),
                int(message_index[position]),
                field_name,
                issue,
                text,
            )


def _holds_nul(values: pa.Array) -> pa.Array | None:
    """Which values hold a NUL character; None when none does (the usual case, found fast).

    `match_substring` scans value by value (about 1 s per 500 MB of text); one memchr over
    the batch's character data answers the common case for a tenth of that.
    """
    _, offsets, data = values.buffers()  # a pa.string() array: int32 offsets
    if data is None or not len(values):
        return None
    bounds = np.frombuffer(offsets, dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    begin, end = int(bounds[0]), int(bounds[-1])
    if data.slice(begin, end - begin).to_pybytes().find(b"\x00") < 0:
        return None
    return pc.fill_null(pc.match_substring(values, "\x00"), False)


def _string_column(batch, name, n_rows, plan: SchemaPlan, rows, ids, issues) -> pa.Array:
    """A conversation column as text: strings as given, numbers cast, and a list or an object
    (a `tools` list, a JSON value) as its JSON text (tracehouse.ingest.structured)."""
    if name not in batch.column_names:
        return pa.nulls(n_rows, pa.string())
    column = _combine(batch.column(name))
    if _is_nested(column.type):
        return _json_text(column)
    values = _as_string(column)
    return _valid_utf8(values, name, rows, ids, None, issues)


def _json_text(column: pa.Array) -> pa.Array:
    """A list or an object per row as its JSON text (a string stays itself)."""
    return pa.array(
        [
            value if value is None or isinstance(value, str) else dumps(drop_nulls(value))
            for value in python_values(column)
        ],
        pa.string(),
    )


def _is_nested(kind: pa.DataType) -> bool:
    return is_json_type(kind) or pa.types.is_nested(kind) or pa.types.is_union(kind)


def _extra_columns(batch: pa.Table, names: tuple[str, ...]) -> pa.Array:
    """Columns the raw layer has no place for, kept per row as JSON text."""
    if not names:
        return pa.nulls(batch.num_rows, pa.string())
    columns = {name: python_values(batch.column(name)) for name in names}
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    return pa.array([json.dumps(row, ensure_ascii=False, default=str) for row in rows], pa.string())


def _extra_message_keys(flat: pa.Array, names: tuple[str, ...]) -> pa.Array:
    """Message keys the raw layer has no column for, kept per message as JSON text, as
    `_extra_columns` keeps a row's (null when there are none, or the message is null)."""
    if not names or not len(flat):
        return pa.nulls(len(flat), pa.string())
    columns = [python_values(pc.struct_field(flat, name)) for name in names]
    present = pc.is_valid(flat).to_numpy(zero_copy_only=False)
    return pa.array(
        [
            json.dumps(dict(zip(names, values, strict=True)), ensure_ascii=False, default=str)
            if valid
            else None
            for valid, *values in zip(present, *columns, strict=True)
        ],
        pa.string(),
    )
