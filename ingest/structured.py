"""Structured values (OpenAI and Anthropic messages, tool lists): Arrow -> Python -> JSON text.

`datasets` gives a nested value either as Arrow structs and lists (parquet, and JSON whose
rows agree on the types) or, where the rows disagree, as the `arrow.json` extension type:
the value's JSON text. `decoder(type)` turns either into the same Python value.

Serialization, the raw layer's contract for every value stored as JSON text
(`raw.messages.value` when `value_format` is `openai`/`anthropic`, `raw.conversations.tools`
when the source had a list):

- `json.dumps(value, ensure_ascii=False)`, default separators (`", "`, `": "`);
- keys in the order Arrow holds them: the source's order for a value read as JSON text, the
  struct's field order (the first row's order, then keys first seen later) for a struct;
- keys whose value is null are dropped, at every depth: in a struct Arrow cannot tell an
  absent key from a null one (every message of a column has every key any message has), so
  a null is dropped wherever it came from, and a message lands the same from parquet or
  JSON lines. Elements of lists are kept as they are, nulls included;
- everything else as given: a string stays a string (an `arguments` string is not parsed),
  an object an object, numbers as Python reads them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa

JSON_EXTENSION = "arrow.json"

Decoder = Callable[[Any], Any]


def is_json_type(kind: pa.DataType) -> bool:
    """The `arrow.json` extension type (what `datasets` reads a mixed-type JSON value as)."""
    return isinstance(kind, pa.BaseExtensionType) and kind.extension_name == JSON_EXTENSION


def is_list_type(kind: pa.DataType) -> bool:
    return (
        pa.types.is_list(kind)
        or pa.types.is_large_list(kind)
        or pa.types.is_fixed_size_list(kind)
        or pa.types.is_list_view(kind)
        or pa.types.is_large_list_view(kind)
    )


def decoder(kind: pa.DataType) -> Decoder | None:
    """A function from `to_pylist()` values of `kind` to plain Python values (JSON text parsed,
    maps as dicts, bytes as text), or None when `to_pylist()` gives them already."""
    if is_json_type(kind):
        return _load_json
    if isinstance(kind, pa.BaseExtensionType):
        return decoder(kind.storage_type)
    if pa.types.is_struct(kind):
        fields = [(kind.field(i).name, decoder(kind.field(i).type)) for i in range(kind.num_fields)]
        active = [(name, child) for name, child in fields if child is not None]
        if not active:
            return None
        return lambda value: _decode_struct(value, active)
    if is_list_type(kind):
        child = decoder(kind.value_type)
        if child is None:
            return None
        return lambda value: None if value is None else [child(item) for item in value]
    if pa.types.is_map(kind):
        item = decoder(kind.item_type)
        return lambda value: _decode_map(value, item)
    if pa.types.is_dictionary(kind):
        return decoder(kind.value_type)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return _decode_bytes
    return None


def python_values(array: pa.Array | pa.ChunkedArray) -> list[Any]:
    """The array's values as plain Python values (see `decoder`)."""
    values = array.to_pylist()
    decode = decoder(array.type)
    return values if decode is None else [decode(value) for value in values]


def drop_nulls(value: Any) -> Any:
    """`value` without the keys whose value is null, at every depth (list elements kept)."""
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value]
    return value


def dumps(value: Any) -> str:
    """The contract's JSON text of a structured value (nulls already dropped)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _load_json(text: Any) -> Any:
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # a string `datasets` kept as it was, because ujson reads it as JSON (`00123`)
        return text


def _decode_struct(value: dict | None, active: list[tuple[str, Decoder]]) -> dict | None:
    if value is None:
        return None
    decoded = dict(value)
    for name, child in active:
        decoded[name] = child(decoded.get(name))
    return decoded


def _decode_map(value: list | None, item: Decoder | None) -> dict | None:
    if value is None:
        return None
    return {str(key): (item(entry) if item is not None else entry) for key, entry in value}


def _decode_bytes(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", errors="replace")
