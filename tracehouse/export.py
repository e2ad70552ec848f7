"""The export writer: training data from the export marts, written by DuckDB's COPY.

The pieces of every example are built by dbt (dbt_project/models/marts/export); this module
selects them with the user's filters (bound as parameters, never formatted into SQL), joins
each conversation's messages into its example a bounded batch of conversations at a time,
writes JSONL with `COPY ... (FORMAT json)`, and writes a manifest beside the output. It also holds
`messages_to_sharegpt`, the inverse of the `messages` format, which the round-trip test uses.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tracehouse.errors import UserError
from tracehouse.progress import progress_bar
from tracehouse.warehouse import connect, sql_path_literal

FORMATS = ("messages", "sharegpt", "prompt-response")
ROLE_TO_SHAREGPT = {"system": "system", "user": "human", "assistant": "gpt", "tool": "tool"}


# ---------------------------------------------------------------- messages -> ShareGPT


def assistant_value(message: dict) -> str:
    """The Hermes text of an assistant message, in the layout export_messages checks."""
    value = ""
    reasoning = message.get("reasoning_content")
    if reasoning is not None:
        value += "<think>\n</think>\n" if reasoning == "" else f"<think>\n{reasoning}\n</think>\n"
    value += message.get("content") or ""
    calls = []
    for call in message.get("tool_calls") or []:
        function = call["function"]
        arguments = function["arguments"]
        if isinstance(arguments, str):  # the --openai variant: arguments as a JSON string
            arguments = json.loads(arguments)
        body = json.dumps({"name": function["name"], "arguments": arguments})
        calls.append(f"<tool_call>\n{body}\n</tool_call>")
    return value + "\n".join(calls)


def _tool_content(content: str):
    """A tool message's content back to the JSON value it came from: text that parses as a
    non-string JSON value was that value; anything else was a string."""
    try:
        value = json.loads(content, parse_constant=_reject_constant)
    except ValueError:
        return content
    return content if isinstance(value, str) else value


def _reject_constant(name: str):
    raise ValueError(name)


def tool_response_block(message: dict) -> str:
    response = {}
    if message.get("tool_call_id") is not None:
        response["tool_call_id"] = message["tool_call_id"]
    response["name"] = message["name"]
    response["content"] = _tool_content(message.get("content") or "")
    return f"<tool_response>\n{json.dumps(response)}\n</tool_response>"


def messages_to_sharegpt(messages: Iterable[dict]) -> list[dict]:
    """The ShareGPT `conversations` list a `messages` example was exported from, byte-exact.

    Structured tool messages (those with a `name`) that follow each other form one ShareGPT
    tool message (one `<tool_response>` block each); a tool message without a `name` is a
    message the export could not structure and holds the original value. Keys that
    `datasets` fills with None when it unifies rows are treated as absent.
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


# ---------------------------------------------------------------- the writer


@dataclass(frozen=True)
class ExportOptions:
    """What the user asked for; every filter is optional."""

    format: str
    out: Path
    configs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    exclude_failed_conversations: bool = False
    exclude_malformed: bool = False
    min_tool_calls: int | None = None
    max_chars: int | None = None
    val_fraction: float = 0.0
    openai: bool = False
    weights: bool = False
    special_tokens: bool = False


@dataclass
class ExportResult:
    files: dict[str, Path] = field(default_factory=dict)
    manifest_path: Path | None = None
    manifest: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def output_paths(out: Path, val_fraction: float) -> dict[str, Path]:
    """`--out` itself, or with a validation fraction `NAME.train.EXT` and `NAME.validation.EXT`."""
    if val_fraction <= 0:
        return {"all": out}
    suffix = out.suffix or ".jsonl"
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return {
        "train": out.with_name(f"{stem}.train{suffix}"),
        "validation": out.with_name(f"{stem}.validation{suffix}"),
    }


def manifest_path_for(out: Path) -> Path:
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.manifest.json")


def check_options(options: ExportOptions) -> None:
    """Bad requests fail here, before any work: unknown format, bad numbers, unwritable path."""
    if options.format not in FORMATS:
        raise UserError(
            f"unknown export format {options.format!r}; choose one of: {', '.join(FORMATS)}"
        )
    if not 0 <= options.val_fraction < 1:
        raise UserError(f"--val-fraction must be in [0, 1), got {options.val_fraction}")
    if options.min_tool_calls is not None and options.min_tool_calls < 0:
        raise UserError("--min-tool-calls must be 0 or more")
    if options.max_chars is not None and options.max_chars <= 0:
        raise UserError("--max-chars must be a positive number of characters")
    if options.openai and options.format != "messages":
        raise UserError("--openai applies to --format messages only")
    if options.special_tokens and options.format != "prompt-response":
        raise UserError("--special-tokens applies to --format prompt-response only")
    out = options.out
    if out.exists() and out.is_dir():
        raise UserError(
            f"--out {out} is a directory; give a file path such as {out / 'train.jsonl'}"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"--out {out}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"--out {out}: the folder {parent} is not writable")
    for path in [*output_paths(out, options.val_fraction).values(), manifest_path_for(out)]:
        if path.exists() and not os.access(path, os.W_OK):
            raise UserError(f"--out {out}: {path} exists and is not writable")


def _where(named: list[tuple[str, str, list]]) -> tuple[str, list]:
    """Named filters as one SQL condition (`true` when there is none) and its parameters."""
    return (
        " and ".join(sql for _, sql, _ in named) or "true",
        [p for _, _, params in named for p in params],
    )


def _named_filters(options: ExportOptions, a: str) -> list[tuple[str, str, list]]:
    filters: list[tuple[str, str, list]] = []
    if options.configs:
        filters.append(
            ("config", f"{a}config in (select unnest(?::varchar[]))", [list(options.configs)])
        )
    if options.categories:
        filters.append(
            (
                "category",
                f"{a}category in (select unnest(?::varchar[]))",
                [list(options.categories)],
            )
        )
    if options.exclude_failed_conversations:
        filters.append(("exclude_failed_conversations", f"{a}failed_tool_calls = 0", []))
    if options.exclude_malformed:
        column = (
            "non_representable_messages" if options.format == "messages" else "malformed_tool_calls"
        )
        filters.append(
            ("exclude_malformed", f"{a}malformed_tool_calls = 0 and {a}{column} = 0", [])
        )
    if options.min_tool_calls is not None:
        filters.append(("min_tool_calls", f"{a}tool_calls >= ?", [options.min_tool_calls]))
    if options.max_chars is not None:
        column = "example_chars" if options.format == "prompt-response" else "conversation_chars"
        filters.append(("max_chars", f"{a}{column} <= ?", [options.max_chars]))
    return filters


CONVERSATIONS = "marts.export_conversations"
# The rows of export_prompt_response without their prompts, for the manifest's counts: DuckDB
# keeps the prompts' window in a query of the view that does not read them, and rendering
# every prompt at once does not fit in memory on kimi-sized data. Same grain (gpt messages),
# same filter columns, and example_chars as the view computes it.
PROMPT_RESPONSE_TURNS = """(
    select c.*, m.message_index, m.prompt_chars + m.message_chars as example_chars
    from marts.export_messages m
    inner join marts.export_conversations c on m.conversation_key = c.conversation_key
    where m.message_role = 'gpt'
)"""

# Message text per batch of conversations the writer assembles in one query. Each batch's
# ordered aggregate holds the batch in memory, so memory stays bounded whatever the size of
# the export (one aggregate over a whole kimi-sized export ran out of memory at 6 GB).
BATCH_TEXT_CHARS = 64_000_000


def _batch_sql(options: ExportOptions, where_sql: str, split_sql: str) -> str:
    """The query of one batch's examples, in key order.

    Its parameters: the batch's first and last conversation key, the filters' and the split's
    parameters, then (messages and sharegpt) the batch's keys again; see _batch_params.
    """
    if options.format == "prompt-response":
        response = "c.response_special_tokens" if options.special_tokens else "c.response"
        weight = ", c.weight" if options.weights else ""
        return (
            "select c.conversation_id as id, c.config, c.category, c.message_index, "
            f"c.prompt as prompt, {response} as response{weight} "
            "from marts.export_prompt_response c "
            f"where c.conversation_key between ? and ? and ({where_sql}) and ({split_sql}) "
            "order by c.conversation_key, c.message_index"
        )
    if options.format == "messages":
        # export_messages holds each message's entries as a minified JSON array; the
        # conversation's array is their elements joined in message order. An assistant
        # message is one entry (an object): its weight goes in before the closing brace.
        entries = (
            "cast(coalesce(m.messages_openai_json, m.messages_json) as varchar)"
            if options.openai
            else "cast(m.messages_json as varchar)"
        )
        element = f"{entries}[2:-2]"
        if options.weights:
            element = (
                f"case when m.weight is null then {entries}[2:-2] "
                f"else {entries}[2:-3] || ',\"weight\":' || m.weight || '}}' end"
            )
        columns = "c.conversation_id as id, c.config, c.category"
        name = "messages"
    else:
        entry = "cast(json_object('from', m.message_role, 'value', m.message_text) as varchar)"
        element = entry
        if options.weights:
            element = (
                f"case when m.weight is null then {entry} "
                f"else {entry}[1:-2] || ',\"weight\":' || m.weight || '}}' end"
            )
        columns = "c.conversation_id as id, c.config, c.category, c.subcategory, c.task"
        name = "conversations"
    return f"""
        with selected as (
            select * from marts.export_conversations c
            where c.conversation_key between ? and ? and ({where_sql}) and ({split_sql})
        ),
        examples as (
            select
                m.conversation_key,
                '[' || coalesce(
                    string_agg(nullif({element}, ''), ',' order by m.message_index), ''
                ) || ']' as example
            from marts.export_messages m
            where m.conversation_key between ? and ?
                and m.conversation_key in (select s.conversation_key from selected s)
            group by m.conversation_key
        )
        select {columns}, cast(coalesce(e.example, '[]') as json) as {name}, c.tools_json as tools
        from selected c
        left join examples e on c.conversation_key = e.conversation_key
        order by c.conversation_key
    """


def _batch_params(options: ExportOptions, first: str, last: str, params: list) -> list:
    if options.format == "prompt-response":
        return [first, last, *params]
    return [first, last, *params, first, last]


def _plan_batches(con, options: ExportOptions, split_sql: str, split_params: list) -> list:
    """Consecutive key ranges of the selected conversations, each about BATCH_TEXT_CHARS of
    output (prompt-response repeats each conversation's text in every turn's prompt)."""
    where_sql, params = _where(_named_filters(_conversation_level(options), "c."))
    size = "c.conversation_chars"
    if options.format == "prompt-response":
        size = "c.conversation_chars * (c.assistant_turns + 1) // 2"
    rows = con.execute(
        f"select c.conversation_key, {size} from marts.export_conversations c "
        f"where ({where_sql}) and ({split_sql}) order by c.conversation_key",
        params + split_params,
    ).fetchall()
    batches: list[tuple[str, str]] = []
    first, chars = None, 0
    for key, key_chars in rows:
        first = key if first is None else first
        chars += key_chars or 0
        if chars >= BATCH_TEXT_CHARS:
            batches.append((first, key))
            first, chars = None, 0
    if first is not None:
        batches.append((first, rows[-1][0]))
    return batches


def _conversation_level(options: ExportOptions) -> ExportOptions:
    """The options whose filters export_conversations can evaluate (prompt-response's
    --max-chars is per turn)."""
    if options.format == "prompt-response":
        return ExportOptions(**{**asdict(options), "max_chars": None})
    return options


def _split_filter(part: str, val_fraction: float) -> tuple[str, list]:
    if part == "train":
        return "c.validation_fraction >= ?", [val_fraction]
    if part == "validation":
        return "c.validation_fraction < ?", [val_fraction]
    return "true", []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_marts(con, db: Path, options: ExportOptions) -> None:
    found = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    needed = ["export_messages", "export_conversations"]
    if options.format == "prompt-response":
        needed.append("export_prompt_response")
    missing = [name for name in needed if name not in found]
    if missing:
        raise UserError(
            f"{db} has no export marts ({', '.join(missing)}): "
            f"run `tracehouse build --db {db}` first"
        )


def export(db: Path, options: ExportOptions, quiet: bool = True) -> ExportResult:
    """Write the examples the options select, and the manifest; return what was written."""
    check_options(options)
    started = time.perf_counter()
    con = connect(db, read_only=True)
    try:
        _check_marts(con, db, options)
        return _export(con, options, started, quiet)
    finally:
        con.close()


def _export(con, options: ExportOptions, started: float, quiet: bool) -> ExportResult:
    result = ExportResult()
    table = PROMPT_RESPONSE_TURNS if options.format == "prompt-response" else CONVERSATIONS
    named = _named_filters(options, "c.")
    where_sql, params = _where(named)
    paths = output_paths(options.out, options.val_fraction)
    splits = {part: _split_filter(part, options.val_fraction) for part in paths}
    batches = {
        part: _plan_batches(con, options, split_sql, split_params)
        for part, (split_sql, split_params) in splits.items()
    }
    written: dict[str, Path] = {}
    try:
        total = sum(len(part_batches) for part_batches in batches.values())
        with progress_bar(total, "export", "batch", quiet) as bar:
            for part, (split_sql, split_params) in splits.items():
                written[part] = _write_batches(
                    con,
                    _batch_sql(options, where_sql, split_sql),
                    [
                        _batch_params(options, first, last, params + split_params)
                        for first, last in batches[part]
                    ],
                    paths[part],
                    bar.update,
                )
        result.manifest = _manifest(con, options, table, named, written, started)
        # the outputs appear together, and only once everything (manifest included) worked
        for part, tmp in written.items():
            os.replace(tmp, paths[part])
            result.files[part] = paths[part]
    finally:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)
    for part, path in result.files.items():
        result.manifest["files"][part]["path"] = str(path)
    if result.manifest["counts"]["rows_written"] == 0:
        result.warnings.append(
            "the filters match no example: wrote an empty file "
            f"({', '.join(str(p) for p in result.files.values())})"
        )
    result.manifest_path = manifest_path_for(options.out)
    result.manifest["warnings"] = result.warnings
    tmp = result.manifest_path.with_name(result.manifest_path.name + ".tmp")
    tmp.write_text(json.dumps(result.manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, result.manifest_path)
    return result


def _write_batches(con, sql: str, batch_params: list[list], path: Path, done) -> Path:
    """COPY each batch to a part file and append it to PATH.tmp; return PATH.tmp."""
    tmp = path.with_name(path.name + ".tmp")
    part = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as out:
            for params in batch_params:
                con.execute(f"copy ({sql}) to {sql_path_literal(part)} (format json)", params)
                with open(part, "rb") as piece:
                    shutil.copyfileobj(piece, out, 1 << 20)
                done(1)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        part.unlink(missing_ok=True)
    return tmp


def _manifest(con, options, table, named, files, started) -> dict:
    conversation_table = CONVERSATIONS
    per_filter = {}
    conversation_named = _named_filters(_conversation_level(options), "")
    for name, sql, ps in conversation_named:
        per_filter[name] = con.execute(
            f"select count(*) from {conversation_table} where not ({sql})", ps
        ).fetchone()[0]
    if options.format == "prompt-response" and options.max_chars is not None:
        per_filter["max_chars"] = con.execute(
            f"select count(*) from {table} where example_chars > ?", [options.max_chars]
        ).fetchone()[0]
    where_sql, params = _where(named)
    selected = con.execute(
        f"""
        select
            count(distinct c.conversation_key),
            count(*),
            count(*) filter (where c.validation_fraction < ?)
        from {table} c where {where_sql}
        """,
        [options.val_fraction, *params],
    ).fetchone()
    conv_stats = con.execute(
        f"""
        select
            count(*),
            coalesce(sum(assistant_turns), 0),
            coalesce(sum(non_representable_messages), 0),
            coalesce(sum(non_representable_assistant_turns), 0),
            coalesce(sum(malformed_tool_calls), 0),
            coalesce(sum(failed_tool_calls), 0),
            count(*) filter (where non_representable_messages > 0)
        from {conversation_table} c
        where c.conversation_key in (select c.conversation_key from {table} c where {where_sql})
        """,
        params,
    ).fetchone()
    totals = con.execute(
        f"select count(*), coalesce(sum(assistant_turns), 0) from {conversation_table}"
    ).fetchone()
    sources = con.execute(
        f"""
        select source, config, split, count(*) from {conversation_table}
        group by all order by all
        """
    ).fetchall()
    return {
        "format": options.format,
        "files": {
            part: {"path": str(path), "sha256": _sha256(path), "bytes": path.stat().st_size}
            for part, path in files.items()
        },
        "filters": {
            "config": list(options.configs),
            "category": list(options.categories),
            "exclude_failed_conversations": options.exclude_failed_conversations,
            "exclude_malformed": options.exclude_malformed,
            "min_tool_calls": options.min_tool_calls,
            "max_chars": options.max_chars,
        },
        "options": {
            "val_fraction": options.val_fraction,
            "split_rule": "validation when int(md5(id).hexdigest()[:8], 16) / 2**32 < val_fraction "
            "(id = conversation id, else the conversation key)",
            "openai": options.openai,
            "weights": options.weights,
            "special_tokens": options.special_tokens,
        },
        "counts": {
            "conversations_in_warehouse": totals[0],
            "assistant_turns_in_warehouse": totals[1],
            "conversations_written": selected[0],
            "rows_written": selected[1],
            "rows_validation": selected[2] if options.val_fraction > 0 else 0,
            "rows_train": selected[1] - selected[2] if options.val_fraction > 0 else selected[1],
            "assistant_turns_written": conv_stats[1],
            "non_representable_messages_written": conv_stats[2],
            "non_representable_assistant_turns_written": conv_stats[3],
            "conversations_with_non_representable_messages_written": conv_stats[6],
            "malformed_tool_calls_written": conv_stats[4],
            "failed_tool_calls_written": conv_stats[5],
            "excluded_by_filter": per_filter,
        },
        "source_configs": [
            {"source": s, "config": c, "split": sp, "conversations": n} for s, c, sp, n in sources
        ],
        "seconds": round(time.perf_counter() - started, 3),
    }
