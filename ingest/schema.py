"""The raw layer's tables: the contract between `tracehouse ingest` and the dbt sources.

Nothing is parsed here. Keys: a conversation is one row of one slice
(source, config, split) at `row_index`; `conversation_id` is the `id` as given (or derived
from the content when the row has none) and may repeat.

`trace_format` (conversations) is the shape the row came in: `hermes`, `openai` or
`anthropic`. `value_format` (messages) says what `value` holds: `text`, the message text as
given (Hermes/ShareGPT), or `openai` / `anthropic`, the whole message object as JSON (see
tracehouse.ingest.structured for the exact serialization). `extra_keys` (messages) keeps the
keys of a Hermes message that have no column (axolotl's `weight`, ...): the JSON object of
those keys as given, serialized as `raw.conversations.extra_columns` is; null when the slice's
messages have no other keys, or the message itself is null.
"""

RAW_SCHEMA = "raw"

DDL: tuple[str, ...] = (
    f"create schema if not exists {RAW_SCHEMA}",
    f"""
    create table if not exists {RAW_SCHEMA}.conversations (
        source varchar not null,
        config varchar not null,
        split varchar not null,
        row_index bigint not null,
        conversation_id varchar,
        category varchar,
        subcategory varchar,
        task varchar,
        tools varchar,
        message_count integer not null,
        is_duplicate_id boolean not null,
        extra_columns varchar,
        load_id varchar not null,
        loaded_at timestamp not null,
        trace_format varchar not null
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.messages (
        source varchar not null,
        config varchar not null,
        split varchar not null,
        row_index bigint not null,
        conversation_id varchar,
        message_index integer not null,
        role varchar,
        value varchar,
        value_format varchar not null,
        extra_keys varchar
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.ingest_issues (
        load_id varchar not null,
        source varchar not null,
        config varchar not null,
        split varchar not null,
        row_index bigint,
        conversation_id varchar,
        message_index integer,
        field varchar not null,
        issue varchar not null,
        detail varchar
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.loads (
        load_id varchar not null,
        source varchar not null,
        config varchar not null,
        split varchar not null,
        started_at timestamp not null,
        finished_at timestamp not null,
        conversations bigint not null,
        messages bigint not null,
        message_bytes bigint not null,
        issues bigint not null
    )
    """,
)

# Columns added after the first release, at the end of their table (inserts are by position,
# so a warehouse upgraded in place and a new one have the same column order): table, column,
# the value of the rows an older ingest landed (all of them Hermes text), or None for a
# nullable column that those rows leave null. Added in this order, which is the DDL's.
ADDED_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("conversations", "trace_format", "hermes"),
    ("messages", "value_format", "text"),
    # an older ingest kept no message key beside the role and the text: null for its rows
    ("messages", "extra_keys", None),
)


def upgrade_statements(table: str, column: str, value: str | None) -> tuple[str, ...]:
    """Add a column to a table that lacks it: not null, its rows filled with `value`, or
    nullable and null in every row when `value` is None."""
    if value is None:
        return (f"alter table {RAW_SCHEMA}.{table} add column {column} varchar",)
    return (
        f"alter table {RAW_SCHEMA}.{table} add column {column} varchar default '{value}'",
        f"alter table {RAW_SCHEMA}.{table} alter column {column} set not null",
        f"alter table {RAW_SCHEMA}.{table} alter column {column} drop default",
    )


CONVERSATION_COLUMNS: tuple[str, ...] = (
    "source",
    "config",
    "split",
    "row_index",
    "conversation_id",
    "category",
    "subcategory",
    "task",
    "tools",
    "message_count",
    "is_duplicate_id",
    "extra_columns",
    "load_id",
    "loaded_at",
    "trace_format",
)

MESSAGE_COLUMNS: tuple[str, ...] = (
    "source",
    "config",
    "split",
    "row_index",
    "conversation_id",
    "message_index",
    "role",
    "value",
    "value_format",
    "extra_keys",
)

ISSUE_COLUMNS: tuple[str, ...] = (
    "load_id",
    "source",
    "config",
    "split",
    "row_index",
    "conversation_id",
    "message_index",
    "field",
    "issue",
    "detail",
)

LOAD_COLUMNS: tuple[str, ...] = (
    "load_id",
    "source",
    "config",
    "split",
    "started_at",
    "finished_at",
    "conversations",
    "messages",
    "message_bytes",
    "issues",
)

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": CONVERSATION_COLUMNS,
    "messages": MESSAGE_COLUMNS,
    "ingest_issues": ISSUE_COLUMNS,
    "loads": LOAD_COLUMNS,
}
