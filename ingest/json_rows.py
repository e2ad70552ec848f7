"""Local JSON files, read whole before anything is landed: every row parsed, and the types
of every field read from all the rows, for `datasets.load_dataset(..., features=...)`.

`datasets` (its `json` builder) reads the types from the first 10 MB of JSON lines, and
casts later rows to them. Past that chunk, a number id among strings made every id of its
chunk land as quoted JSON text, a `messages` string became one message per character, a
field null in the first rows and set later (OpenAI's `"tool_calls": null`, then a list) or a
message with keys the first rows lack stopped the ingest, and a `content` list landed as the
quoted JSON text of every message of its chunk.

`scan_json_rows` reads every row (`json.loads`) and notes, for every field, the kinds of its
values and the keys of its objects. `features_for_every_row` types each field from all the
rows. Where the rows disagree, by the rules `datasets` applies within its first 10 MB
(objects with different keys, values of more than one kind), the field is JSON text; but
ShareGPT messages (each with `from`) that differ only in their keys are typed with every
key, null where a message lacks it, as `datasets` reads them with those features. A
message's field whose values are strings and something else is read with its whole message,
so a `content` string that happens to be JSON text stays a string, which it would not if
`content` alone were typed as JSON (`datasets` keeps such a string as it is and it is read
back as the value it spells).
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import datasets

from tracehouse.ingest.errors import SourceError
from tracehouse.ingest.shapes import MESSAGE_LIST_COLUMNS

OBJECT, LIST, NUMBER, STRING, BOOLEAN = "an object", "a list", "a number", "a string", "a boolean"
SCALAR_TYPES = {STRING: "string", BOOLEAN: "bool"}
JSON_SUFFIXES = (".json", ".jsonl")
INT64 = range(-(2**63), 2**63)  # a larger integer is read by pyarrow as a double
BLANK = object()  # what _json_rows yields for a blank line
Path = tuple[str | int, ...]  # keys, and 0 for a list's elements, as `datasets` writes them
# a UTF-16 surrogate escape, with the backslashes before it (an even number escape each other)
SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")


@dataclass
class Field:
    """What the values at one path hold, over every row."""

    kinds: dict[str, str] = field(default_factory=dict)  # kind -> `FILE, line N` first seen
    keys: tuple[str, ...] | None = None  # the first object's keys, in its order
    keys_differ: bool = False  # an object with other keys, or an empty one
    all_keys: dict[str, None] = field(default_factory=dict)  # every object's, in first order
    lacks_from: bool = False  # an object without a `from` key (a ShareGPT message has one)
    has_float: bool = False  # a number that is not an integer

    def is_sharegpt_message(self, path: Path) -> bool:
        """ShareGPT messages (every one has `from`), some with keys others lack (axolotl's
        `weight` on some turns): typed with every key, a message without one gets null."""
        return (
            len(path) == 2
            and path[0] in MESSAGE_LIST_COLUMNS
            and set(self.kinds) == {OBJECT}
            and not self.lacks_from
        )


@dataclass
class JsonScan:
    """Every field of every row of a slice's JSON files."""

    columns: list[str]  # the top-level keys, in the order first seen
    fields: dict[Path, Field]
    files_with_blank_lines: list[str] = field(default_factory=list)

    def mixed_paths(self) -> list[Path]:
        """The outermost paths where the rows disagree, by `datasets`' rules: objects with
        different keys, or values of more than one kind (null aside)."""
        mixed: list[Path] = []
        pending: list[Path] = [(column,) for column in self.columns]
        while pending:
            path = pending.pop()
            found = self.fields.get(path)
            if found is None:  # only nulls
                continue
            if set(found.kinds) == {OBJECT}:
                if found.keys_differ and not found.is_sharegpt_message(path):
                    mixed.append(path)
                else:
                    pending.extend(path + (key,) for key in found.all_keys)
            elif set(found.kinds) == {LIST}:
                pending.append(path + (0,))
            elif len(found.kinds) > 1:
                mixed.append(path)
        return mixed

    def json_paths(self) -> set[Path]:
        """Where to read JSON text: each mixed path, but a field inside a message whose
        values are strings and something else is read with its whole message, so that a
        string that spells JSON stays a string."""
        paths = set()
        for path in self.mixed_paths():
            inside_message = path[0] in MESSAGE_LIST_COLUMNS and len(path) > 2
            if inside_message and STRING in self.fields[path].kinds:
                paths.add(path[:2])
            else:
                paths.add(path)
        return paths


def scan_json_rows(files: Sequence[str]) -> JsonScan:
    """Read every row of the JSON files (JSON lines, or one array of rows).

    A line that is not JSON, a row that is not an object, or a message list column
    (`messages`, `conversations`) that holds anything but a list is a SourceError naming
    the file and the line (for an array, the line of the parse error, or the row's
    position); so are files without any row.
    """
    columns: dict[str, None] = {}
    fields: dict[Path, Field] = {}
    blank: dict[str, None] = {}
    rows = 0
    for file in files:
        for where, row in _json_rows(file):
            if row is BLANK:
                blank.setdefault(file)
                continue
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
        kinds = found.kinds if found else {}
        others = [(kind, where) for kind, where in kinds.items() if kind != LIST]
        if others:
            kind, where = others[0]  # the first seen: rows are read in order
            raise SourceError(f"{where}: column {column!r} holds {kind}, not a list of messages")
    return JsonScan(columns=list(columns), fields=fields, files_with_blank_lines=list(blank))


def is_json_file(file: str) -> bool:
    """A `.json` or `.jsonl` file, or one of them gzipped (`.jsonl.gz`), as `datasets` reads
    it: its `json` builder opens a `.gz` through gzip."""
    name = os.path.basename(file).lower()
    return name.removesuffix(".gz").endswith(JSON_SUFFIXES)


def without_blank_lines(scan: JsonScan, files: Sequence[str], folder: str) -> list[str]:
    """The files, those with blank lines (`scan.files_with_blank_lines`) copied into `folder`
    without them (and uncompressed): where a field is read as JSON text, `datasets` parses
    every line of a chunk, and a blank one stops it."""
    found = []
    for number, file in enumerate(files):
        if file not in scan.files_with_blank_lines:
            found.append(file)
            continue
        name = os.path.basename(file)
        name = name[: -len(".gz")] if name.lower().endswith(".gz") else name
        copy = os.path.join(folder, f"{number}-{name}")
        with _open_bytes(file) as source, open(copy, "wb") as target:
            target.writelines(line for line in source if line.strip())
        found.append(copy)
    return found


def features_for_every_row(scan: JsonScan) -> datasets.Features:
    """The type of every column, read from all the rows: JSON text where they disagree
    (`JsonScan.json_paths`), else what they hold (null where they hold only nulls)."""
    json_paths = scan.json_paths()
    try:
        return datasets.Features(
            {column: _feature(scan, (column,), json_paths) for column in scan.columns}
        )
    except RecursionError:
        raise SourceError("the rows are nested too deeply to read their types") from None


def _feature(scan: JsonScan, path: Path, json_paths: set[Path]) -> object:
    if path in json_paths:
        return datasets.Json()
    found = scan.fields.get(path)
    if found is None:
        return datasets.Value("null")
    (kind,) = found.kinds  # one kind: where there are more, the path is in json_paths
    if kind == OBJECT:
        return {key: _feature(scan, path + (key,), json_paths) for key in found.all_keys}
    if kind == LIST:
        return datasets.List(_feature(scan, path + (0,), json_paths))
    if kind == NUMBER:
        return datasets.Value("float64" if found.has_float else "int64")
    return datasets.Value(SCALAR_TYPES[kind])


def _open_bytes(file: str):
    """The file's bytes, through gzip for a `.gz` file."""
    return gzip.open(file, "rb") if file.lower().endswith(".gz") else open(file, "rb")


def _holds_array(handle) -> bool:
    """Whether the file's first character (after a BOM and white space) opens an array."""
    start = handle.read(4096).removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    handle.seek(0)
    return start.startswith(b"[")


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
            if found.keys is None:
                found.keys = tuple(value)
                found.all_keys = dict.fromkeys(value)
                found.lacks_from = "from" not in value
            elif not value or set(value) != set(found.keys):  # rare: only these are looked at
                found.keys_differ = True
                found.all_keys.update(dict.fromkeys(value))
                found.lacks_from = found.lacks_from or "from" not in value
            pending.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((path + (0,), item) for item in value)
        elif isinstance(value, float) or (isinstance(value, int) and value not in INT64):
            found.has_float = True


def _json_rows(file: str) -> Iterator[tuple[str, object]]:
    """(`FILE, line N` or `FILE, row N`, row) for each row of a JSON file."""
    try:
        with _open_bytes(file) as handle:
            yield from _rows_of(file, handle)
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise SourceError(f"{file}: cannot read the file ({exc})") from None


def _rows_of(file: str, handle) -> Iterator[tuple[str, object]]:
    if _holds_array(handle):
        data = handle.read().removeprefix(codecs.BOM_UTF8)  # a BOM is no row
        text = _decoded(file, data, None)
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(_invalid(file, exc.lineno, exc)) from None
        except RecursionError:
            raise SourceError(f"{file}: nested too deeply to read") from None
        _no_lone_surrogate(file, text, None)
        for number, row in enumerate(rows if isinstance(rows, list) else [rows], start=1):
            yield f"{file}, row {number}", row
        return
    for number, raw in enumerate(handle, start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        line = _decoded(file, raw, number)
        if not line.strip():
            yield f"{file}, line {number}", BLANK
            continue
        try:
            row = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            raise SourceError(_invalid(file, number, exc)) from None
        except RecursionError:
            raise SourceError(f"{file}, line {number}: nested too deeply to read") from None
        _no_lone_surrogate(file, line, number)
        yield f"{file}, line {number}", row


def _decoded(file: str, data: bytes, line: int | None) -> str:
    """`data` as text; bytes that are not UTF-8 are a SourceError naming the line and
    column (`datasets` reads JSON as UTF-8 and stops at them, naming neither)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        if line is None:  # a whole array: the line of the bad byte
            line = before.count(b"\n") + 1
            before = before[before.rfind(b"\n") + 1 :]
        column = len(before.decode("utf-8", errors="replace")) + 1
        raise SourceError(
            f"{file}, line {line}, column {column}: invalid UTF-8 ({exc.reason}, byte "
            f"0x{data[exc.start]:02x}); JSON files must be UTF-8: re-encode the file"
        ) from None


def _no_lone_surrogate(file: str, text: str, line: int | None) -> None:
    """A `\\ud800` escape without its pair is valid JSON to Python but no text: `datasets`
    (pyarrow) stops at it naming neither line nor column, so it is a SourceError here."""
    if "\\ud" not in text and "\\uD" not in text:
        return
    paired_at = -1  # where the low half of the last pair starts
    for match in SURROGATE_ESCAPE.finditer(text):
        slashes, code = match.group(1), int(match.group(2), 16)
        escape = match.end(1) - 1  # the escape's own backslash
        if len(slashes) % 2 == 0 or escape == paired_at:
            continue  # a literal backslash before "u", or the low half of a pair
        low = SURROGATE_ESCAPE.match(text, match.end())
        if code < 0xDC00 and low and len(low.group(1)) == 1 and int(low.group(2), 16) >= 0xDC00:
            paired_at = match.end()
            continue
        before = text[:escape]
        if line is None:  # a whole array: the line of the escape
            line = before.count("\n") + 1
        column = escape - (before.rfind("\n") + 1) + 1
        raise SourceError(
            f"{file}, line {line}, column {column}: a lone UTF-16 surrogate escape "
            f"(\\u{match.group(2)}) is not text; write the character, or its pair of escapes"
        )


def _kind(value: object) -> str:
    """A JSON value's kind, as an error message names it (integers and floats are one)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return LIST
    if isinstance(value, dict):
        return OBJECT
    return "null"


def _invalid(file: str, line: int, exc: json.JSONDecodeError) -> str:
    """`FILE, line N: invalid JSON (Expecting value at column C)`; a message that already
    ends in "at" (`Unterminated string starting at`) is not given a second one."""
    return f"{file}, line {line}: invalid JSON ({json_error(exc)})"


def json_error(exc: json.JSONDecodeError) -> str:
    """The parser's message with the column, worded once: `Expecting value at column 5`,
    `Unterminated string starting at column 91`."""
    at = "" if exc.msg.endswith(" at") else " at"
    return f"{exc.msg}{at} column {exc.colno}"
