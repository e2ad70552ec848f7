"""tracehouse's `--openai` export, read back with its sidecar.

OpenAI's fine-tuning format has no place for a row's id, config and category, an assistant
turn's reasoning or a tool result's name, so `tracehouse export --openai` writes them to
`NAME.meta.jsonl` beside `NAME.jsonl`, one line per row. Ingesting `NAME.jsonl` with its
sidecar beside it merges the two, line by line, into the `messages` export the file was made
from (tracehouse.export.convert.openai_to_messages), written to the ingest's scratch folder
and loaded from there. So the re-ingested export builds to the marts of its source, think
words included; without the sidecar the file is read as the plain OpenAI chat it is.
"""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import zip_longest
from pathlib import Path

from tracehouse.export.convert import openai_to_messages
from tracehouse.export.options import sidecar_path
from tracehouse.ingest.errors import SourceError
from tracehouse.ingest.json_rows import json_error
from tracehouse.ingest.load import SourceSpec


def with_sidecar_merged(spec: SourceSpec, scratch: Path) -> SourceSpec:
    """`spec` reading the merged file instead of a single `.jsonl` file that has a sidecar;
    `spec` as it is otherwise. The source keeps its name (raw.*.source)."""
    if spec.kind != "files" or len(spec.data_files) != 1:
        return spec
    data = Path(spec.data_files[0])
    sidecar = sidecar_path(data)
    if data.suffix.lower() != ".jsonl" or data == sidecar or not sidecar.is_file():
        return spec
    merged = scratch / f"{data.stem}.merged.jsonl"
    merge(data, sidecar, merged)
    return replace(spec, data_files=(str(merged),))


def merge(data: Path, sidecar: Path, out: Path) -> None:
    """Write each row of `data` merged with its sidecar line to `out`; a line that is not
    JSON, a row whose messages do not match its sidecar line, or files of different lengths
    is a SourceError naming the file and the line."""
    with (
        data.open(encoding="utf-8") as rows,
        sidecar.open(encoding="utf-8") as metas,
        out.open("w", encoding="utf-8") as merged,
    ):
        for number, (row_line, meta_line) in enumerate(zip_longest(rows, metas), start=1):
            if row_line is None or meta_line is None:
                raise SourceError(
                    f"{data if row_line is None else sidecar}, line {number}: the export and "
                    f"its sidecar ({data.name}, {sidecar.name}) have different numbers of lines"
                )
            row = _json_line(data, number, row_line)
            meta = _json_line(sidecar, number, meta_line)
            merged.write(json.dumps(_merged_row(row, meta, sidecar, number)) + "\n")


def _merged_row(row: object, meta: object, sidecar: Path, number: int) -> dict:
    if not isinstance(row, dict) or not isinstance(meta, dict):
        raise SourceError(f"{sidecar}, line {number}: a row and its sidecar line must be objects")
    messages, extras = row.get("messages"), meta.get("messages")
    if not isinstance(messages, list) or not isinstance(extras, list):
        raise SourceError(f"{sidecar}, line {number}: no `messages` list to merge")
    shaped = all(isinstance(item, dict) for item in [*messages, *extras])
    if len(messages) != len(extras) or not shaped:
        raise SourceError(
            f"{sidecar}, line {number}: {len(extras)} message extras for "
            f"{len(messages)} messages: the sidecar is not this export's"
        )
    merged = {key: value for key, value in meta.items() if key != "messages"}
    merged.update({key: value for key, value in row.items() if key != "messages"})
    merged["messages"] = openai_to_messages(messages, meta)
    return merged


def _json_line(path: Path, number: int, line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}, line {number}: invalid JSON ({json_error(exc)})") from None
