"""What the export reads from the warehouse: the conversations the filters select, then, a
batch of conversations at a time, their message text, block index and call pairing.

Every filter value is a bound parameter. Text is read only for the batch at hand, from
`staging.stg_hermes__messages` filtered on the raw key columns (source, config, split,
row_index), which DuckDB pushes into the scan of `raw.messages`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tracehouse.errors import UserError
from tracehouse.export.options import ExportOptions
from tracehouse.warehouse import tracehouse_command

NEEDED = (
    ("marts", "fct_conversations"),
    ("staging", "stg_hermes__conversations"),
    ("staging", "stg_hermes__messages"),
    ("intermediate", "int_blocks_parsed"),
    ("intermediate", "int_tool_calls_paired"),
)

# Characters per batch of conversations: the batch's text, blocks and rows are in memory at
# once, so memory stays bounded whatever the size of the export. Counted as what the batch
# writes: its text, or for prompt-response its prompts (each turn repeats the conversation
# before it, about half the conversation's text per turn).
BATCH_TEXT_CHARS = 64_000_000


@dataclass(frozen=True, slots=True)
class Conversation:
    """One selected conversation: its keys and the facts the rows and counts need."""

    key: str
    id: str | None
    source: str
    config: str
    split: str
    row_index: int
    category: str | None
    subcategory: str | None
    task: str | None
    assistant_turns: int
    tool_calls: int
    malformed_tool_calls: int
    failed_tool_calls: int
    message_chars: int


@dataclass(slots=True)
class Call:
    """A call of an assistant turn with its pairing (int_tool_calls_paired)."""

    call_index: int
    response_message_index: int | None
    response_index: int | None
    tool_call_id: str | None
    status: str
    is_malformed: bool


@dataclass(slots=True)
class ConversationText:
    """A selected conversation's messages, the blocks of its gpt and tool messages (by
    message index, in block order: kind, 1-based offset, length, opening tag, closing tag),
    its calls (by message index, in call order) and its `tools` column. `value_formats` gives
    the raw value_format of each message that is not Hermes text (`openai`, `anthropic`):
    its text is the compact Hermes form the staging view writes from its fields."""

    messages: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    value_formats: dict[int, str] = field(default_factory=dict)
    blocks: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    calls: dict[int, list[Call]] = field(default_factory=lambda: defaultdict(list))
    tools_json: str | None = None


def check_relations(con, db: Path) -> None:
    found = set(
        con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    )
    missing = [f"{schema}.{name}" for schema, name in NEEDED if (schema, name) not in found]
    if missing:
        raise UserError(
            f"{db} has no built models to export from ({', '.join(missing)}): "
            f"run `{tracehouse_command(['build'], db)}` first"
        )


def sql_filters(options: ExportOptions) -> list[tuple[str, str, list]]:
    """The filters SQL evaluates on `marts.fct_conversations` (alias c), in order: (name,
    condition a kept conversation meets, parameters)."""
    filters: list[tuple[str, str, list]] = []
    if options.configs:
        filters.append(("config", "list_contains(?::varchar[], c.config)", [list(options.configs)]))
    if options.categories:
        filters.append(
            ("category", "list_contains(?::varchar[], c.category)", [list(options.categories)])
        )
    if options.format != "prompt-response" and not options.keep_without_assistant:
        filters.append(("no_assistant_turn", "c.assistant_turns > 0", []))
    if options.exclude_failed_conversations:
        filters.append(("exclude_failed_conversations", "c.failed_tool_calls = 0", []))
    if options.exclude_malformed:
        filters.append(("exclude_malformed", "c.malformed_tool_calls = 0", []))
    if options.min_tool_calls is not None:
        filters.append(("min_tool_calls", "c.tool_calls >= ?", [options.min_tool_calls]))
    if options.max_chars is not None and options.format != "prompt-response":
        filters.append(("max_chars", "c.message_chars <= ?", [options.max_chars]))
    if options.format == "messages":
        filters.append(("unknown_role", UNKNOWN_ROLE_ABSENT, []))
    return filters


# The roles as sources give them that the marts map to system, human, gpt or tool (the
# mart_role macro, dbt_project/macros/structured_messages.sql); any other role, or none, is
# one the `messages` format has no place for (OpenAI and chat templates reject it).
KNOWN_SOURCE_ROLES = (
    "system",
    "human",
    "gpt",
    "tool",
    "user",
    "assistant",
    "function",
    "developer",
)
_KNOWN = ", ".join(f"'{role}'" for role in KNOWN_SOURCE_ROLES)
UNKNOWN_ROLE_ABSENT = f"""not exists (
    select 1 from staging.stg_hermes__messages as m
    where m.source = c.source and m.config = c.config and m.split = c.split
        and m.row_index = c.row_index
        and (m.source_role is null or m.source_role not in ({_KNOWN}))
)"""


def select_conversations(con, options: ExportOptions) -> tuple[list[Conversation], dict]:
    """The conversations every SQL filter keeps, in source order, and for each filter the
    conversations it excluded among those the filters before it kept."""
    filters = sql_filters(options)
    cases = " ".join(f"when not coalesce({sql}, false) then '{name}'" for name, sql, _ in filters)
    excluded_by = f"case {cases} end" if filters else "null"
    rows = con.execute(
        f"""
        select
            c.conversation_key, c.conversation_id, c.source, c.config, c.split, c.row_index,
            c.category, c.subcategory, c.task, c.assistant_turns, c.tool_calls,
            c.malformed_tool_calls, c.failed_tool_calls, c.message_chars,
            {excluded_by} as excluded_by
        from marts.fct_conversations as c
        order by c.source, c.config, c.split, c.row_index
        """,
        [param for _, _, params in filters for param in params],
    ).fetchall()
    excluded = {name: 0 for name, _, _ in filters}
    kept = []
    for row in rows:
        if row[-1] is not None:
            excluded[row[-1]] += 1
        else:
            kept.append(Conversation(*row[:-1]))
    return kept, excluded


def warehouse_totals(con) -> tuple[int, int, list[tuple]]:
    conversations, assistant_turns = con.execute(
        "select count(*), coalesce(sum(assistant_turns), 0) from marts.fct_conversations"
    ).fetchone()
    sources = con.execute(
        "select source, config, split, count(*) from marts.fct_conversations "
        "group by all order by all"
    ).fetchall()
    return conversations, assistant_turns, sources


def unmatched_filter_values(con, options: ExportOptions) -> list[str]:
    """A warning for each `--config` or `--category` that names nothing in the warehouse (a
    typo exports the other names' conversations, or none), with the values that exist."""
    warnings = []
    for flag, column, plural, asked in (
        ("--config", "config", "configs", options.configs),
        ("--category", "category", "categories", options.categories),
    ):
        if not asked:
            continue
        held = [
            value
            for (value,) in con.execute(
                f"select distinct {column} from marts.fct_conversations "  # column: a constant
                f"where {column} is not null order by 1"
            ).fetchall()
        ]
        for value in asked:
            if value not in held:
                warnings.append(
                    f"{flag} {value} matches no conversation of the warehouse "
                    f"({plural} held: {', '.join(held) or 'none'})"
                )
    return warnings


def written_chars(conversation: Conversation, export_format: str) -> int:
    chars = conversation.message_chars or 0
    if export_format == "prompt-response":
        return chars * (conversation.assistant_turns + 1) // 2
    return chars


def plan_batches(
    conversations: list[Conversation], export_format: str = "messages"
) -> list[list[Conversation]]:
    """Consecutive conversations of one slice, each batch writing about BATCH_TEXT_CHARS."""
    batches: list[list[Conversation]] = []
    current: list[Conversation] = []
    chars = 0
    for conversation in conversations:
        if current and (
            chars >= BATCH_TEXT_CHARS
            or (conversation.source, conversation.config, conversation.split)
            != (current[0].source, current[0].config, current[0].split)
        ):
            batches.append(current)
            current, chars = [], 0
        current.append(conversation)
        chars += written_chars(conversation, export_format)
    if current:
        batches.append(current)
    return batches


def read_batch(
    con, batch: list[Conversation], *, blocks: bool, calls: bool, tools: bool
) -> dict[str, ConversationText]:
    """The text (and, as asked, blocks, calls and tools) of a batch of one slice."""
    first = batch[0]
    slice_params = [first.source, first.config, first.split]
    row_indexes = [conversation.row_index for conversation in batch]
    keys = [conversation.key for conversation in batch]
    key_of_row = dict(zip(row_indexes, keys, strict=True))
    texts = {key: ConversationText() for key in keys}
    for row_index, message_index, role, text, value_format in con.execute(
        """
        select m.row_index, m.message_index, m.message_role, m.message_text, m.value_format
        from staging.stg_hermes__messages as m
        where m.source = ? and m.config = ? and m.split = ?
            and m.row_index between ? and ?
            and m.row_index in (select unnest(?::bigint[]))
        order by m.row_index, m.message_index
        """,
        [*slice_params, min(row_indexes), max(row_indexes), row_indexes],
    ).fetchall():
        conversation_text = texts[key_of_row[row_index]]
        conversation_text.messages.append((message_index, role, text))
        if value_format != "text":
            conversation_text.value_formats[message_index] = value_format
    if blocks:
        for key, message_index, *block in con.execute(
            """
            select
                b.conversation_key, b.message_index, b.block_kind, b.body_offset,
                b.body_length, b.has_opening_tag, b.has_closing_tag
            from intermediate.int_blocks_parsed as b
            where b.message_role in ('gpt', 'tool')
                and b.conversation_key in (select unnest(?::varchar[]))
            order by b.conversation_key, b.message_index, b.block_index
            """,
            [keys],
        ).fetchall():
            texts[key].blocks[message_index].append(tuple(block))
    if calls:
        for key, message_index, *call in con.execute(
            """
            select
                p.conversation_key, p.message_index, p.call_index, p.response_message_index,
                p.response_index, p.tool_call_id, p.status, p.is_malformed
            from intermediate.int_tool_calls_paired as p
            where p.conversation_key in (select unnest(?::varchar[]))
            order by p.conversation_key, p.message_index, p.call_index
            """,
            [keys],
        ).fetchall():
            texts[key].calls[message_index].append(Call(*call))
    if tools:
        for row_index, tools_json in con.execute(
            """
            select s.row_index, s.tools_json
            from staging.stg_hermes__conversations as s
            where s.source = ? and s.config = ? and s.split = ?
                and s.row_index in (select unnest(?::bigint[]))
            """,
            [*slice_params, row_indexes],
        ).fetchall():
            texts[key_of_row[row_index]].tools_json = tools_json
    return texts
