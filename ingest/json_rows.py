"""Local JSON files, read whole before anything is landed: every row parsed, and the types
that make `datasets` read every row as it reads the rows of its first 10 MB.

`datasets` (its `json` builder) reads the types of the columns from the first 10 MB of JSON
lines. Where the rows disagree there (a number among string ids, messages with different
keys, a `content` that is a string in one message and a list in another) it types the field
as JSON text. Later rows are cast to those first types: a number id after the first 10 MB
made every id of its chunk land as quoted JSON text, a `messages` string became one message
per character, and a message with a key the first rows lack stopped the ingest.

`scan_json_rows` reads every row (`json.loads`) and notes, for every field, the kinds of its
values and whether its objects share one set of keys. `features_for_every_row` finds the
fields where the rows disagree by the rules `datasets` applies to its first 10 MB
(`find_mixed_struct_types_field_paths`, and a field whose values are of two kinds), over all
rows, and types them as JSON with `datasets`' own `set_json_types_in_feature`; a column the
first rows lack is typed as JSON too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import datasets
import pyarrow as pa
import pyarrow.json as paj
from datasets.utils.json import json_encode_field, set_json_types_in_feature

from tracehouse.ingest.errors import SourceError
from tracehouse.ingest.shapes import MESSAGE_LIST_COLUMNS

OBJECT, LIST = "an object", "a list"
Path = tuple[str | int, ...]  # keys, and 0 for a list's elements, as `datasets` writes them


@dataclass
class Field:
    """What the values at one path hold, over every row."""

    kinds: dict[str, str] = field(default_factory=dict)  # kind -> `FILE, line N` first seen
    keys: frozenset[str] | None = None  # the first object's keys
    keys_differ: bool = False  # an object with other keys, or an empty one


@dataclass
class JsonScan:
    """Every field of every row of a slice's JSON files."""

    columns: list[str]  # the top-level keys, in the order first seen
    fields: dict[Path, Field]

    def mixed_paths(self) -> list[list[str | int]]:
        """The outermost paths where the rows disagree, by `datasets`' rules: objects with
        different keys, or values of more than one kind (null aside)."""
        mixed: list[list[str | int]] = []
        pending: list[Path] = [(column,) for column in self.columns]
        while pending:
            path = pending.pop()
            found = self.fields.get(path)
            if found is None:  # only nulls
                continue
            if set(found.kinds) == {OBJECT}:
                if found.keys_differ:
                    mixed.append(list(path))
                else:
                    pending.extend(path + (key,) for key in sorted(found.keys or ()))
            elif set(found.kinds) == {LIST}:
                pending.append(path + (0,))
            elif len(found.kinds) > 1:
                mixed.append(list(path))
        return mixed


def scan_json_rows(files: Sequence[str]) -> JsonScan:
    """Read every row of the JSON files (JSON lines, or one array of rows).

    A line that is not JSON, a row that is not an object, or a message list column
    (`messages`, `conversations`) that holds anything but a list is a SourceError naming
    the file and the line (for an array, the line of the parse error, or the row's
    position); so are files without any row.
    """
    columns: dict[str, None] = {}
    fields: dict[Path, Field] = {}
    rows = 0
    for file in files:
        for where, row in _json_rows(file):
            if not isinstance(row, dict):
                raise SourceError(f"{where}: a row must be a JSON object, not {_kind(row)}")
            rows += 1
            for column, value in row.items():
                columns.setdefault(column)
                _note(fields, (column,), value, where)
    if files and not rows:
        raise SourceError(f"{', '.join(files)}: no rows")
    for column in MESSAGE_LIST_COLUMNS:
        found = fields.get((column,))
        others = [(kind, where) for kind, where in (found.kinds if found else {}).items()]
        others = [(kind, where) for kind, where in others if kind != LIST]
        if others:
            kind, where = others[0]  # the first seen: rows are read in order
            raise SourceError(f"{where}: column {column!r} holds {kind}, not a list of messages")
    return JsonScan(columns=list(columns), fields=fields)


def features_for_every_row(features: datasets.Features, scan: JsonScan) -> datasets.Features | None:
    """`features` (read by `datasets` from the first 10 MB) with the fields where the rows
    disagree typed as JSON, and the columns they lack added as JSON; None when they already
    fit every row."""
    typed = set_json_types_in_feature(features.copy(), scan.mixed_paths())
    for column in scan.columns:
        if column not in typed:
            typed[column] = datasets.Json()
    return None if typed == features else typed


def json_features(files: Sequence[str], scan: JsonScan) -> datasets.Features:
    """The columns of JSON files that hold arrays of rows (`datasets` reads such a file whole,
    and only when iterating), read from all rows as `datasets` reads them: the fields where
    the rows disagree are written as JSON text first, and typed as JSON."""
    mixed = scan.mixed_paths()
    lines = []
    for file in files:
        for _, row in _json_rows(file):
            for path in mixed:
                row = json_encode_field(row, path)
            lines.append(json.dumps(row))
    try:
        table = paj.read_json(io.BytesIO("\n".join(lines).encode()))
    except pa.ArrowException as exc:
        text = str(exc).strip().splitlines()[0]
        raise SourceError(f"{', '.join(files)}: cannot read the rows: {text}") from exc
    return set_json_types_in_feature(datasets.Features.from_arrow_schema(table.schema), mixed)


def holds_array(handle: io.TextIOBase) -> bool:
    """Whether the file's first character (after a BOM and white space) opens an array."""
    start = handle.read(4096).lstrip("\ufeff \t\r\n")
    handle.seek(0)
    return start.startswith("[")


def _note(fields: dict[Path, Field], path: Path, value: object, where: str) -> None:
    """Note the kinds and keys of `value` and everything in it (iteratively: any depth)."""
    pending = [(path, value)]
    while pending:
        path, value = pending.pop()
        if value is None:
            continue
        kind = _kind(value)
        found = fields.get(path)
        if found is None:
            found = fields[path] = Field()
        found.kinds.setdefault(kind, where)
        if isinstance(value, dict):
            keys = frozenset(value)
            if found.keys is None:
                found.keys = keys
            found.keys_differ = found.keys_differ or keys != found.keys or not keys
            pending.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((path + (0,), item) for item in value)


def _json_rows(file: str) -> Iterator[tuple[str, object]]:
    """(`FILE, line N` or `FILE, row N`, row) for each row of a JSON file."""
    with open(file, encoding="utf-8", errors="replace") as handle:
        if holds_array(handle):
            try:
                rows = json.load(handle)
            except json.JSONDecodeError as exc:
                raise SourceError(_invalid(file, exc.lineno, exc)) from None
            except RecursionError:
                raise SourceError(f"{file}: nested too deeply to read") from None
            for number, row in enumerate(rows if isinstance(rows, list) else [rows], start=1):
                yield f"{file}, row {number}", row
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                raise SourceError(_invalid(file, number, exc)) from None
            except RecursionError:
                raise SourceError(f"{file}, line {number}: nested too deeply to read") from None
            yield f"{file}, line {number}", row


def _kind(value: object) -> str:
    """A JSON value's kind, as an error message names it (integers and floats are one)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return LIST
    if isinstance(value, dict):
        return OBJECT
    return "null"


def _invalid(file: str, line: int, exc: json.JSONDecodeError) -> str:
    return f"{file}, line {line}: invalid JSON ({exc.msg} at column {exc.colno})"
