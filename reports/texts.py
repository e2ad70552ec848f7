"""The trace text the page quotes, cut from the messages when the report is written.

The trace replay shows a few conversations step by step, and the tools table one failed
result per common failure rule: those blocks and calls are named by report marts
(report_replay_steps, report_error_examples), and their text is read here, through the text
views marts.block_texts and marts.tool_call_texts, one conversation or call at a time: a
filter by equality on the conversation reaches the scan of raw.messages, where a list of
keys (`in (...)`) did not and read every message.

No text is stored for the report: nothing here is a copy, and everything it returns reaches
the page only through Jinja's autoescape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from tracehouse.reports.queries import SCHEMA

TEXT_VIEWS = ("block_texts", "tool_call_texts")
# a block's text is read up to this many characters: enough to parse the JSON of any
# ordinary tool result, and a bound on what one huge message costs the report
READ_CHARS = 100_000


@dataclass(frozen=True)
class Text:
    """What the page shows of a block or result: the readable text, and its full length."""

    text: str
    chars: int


def available(tables: set[str]) -> bool:
    """The text views are there (on the Spark target's marts they are not: Spark keeps views
    in its metastore, not as Parquet tables the report can read)."""
    return all(view in tables for view in TEXT_VIEWS)


def conversation_blocks(
    con: duckdb.DuckDBPyConnection, conversation_key: str, last_message_index: int
) -> dict[tuple[int, int], tuple[str, int]]:
    """{(message_index, block_index): (text read, full length)} of one conversation's blocks
    up to `last_message_index`."""
    found = con.execute(
        f"""
        select message_index, block_index, left(block_text, ?), length(block_text)
        from {SCHEMA}.block_texts
        where conversation_key = ? and message_index <= ?
        """,
        [READ_CHARS, conversation_key, last_message_index],
    ).fetchall()
    return {(message, block): (text or "", chars or 0) for message, block, text, chars in found}


def call_result(
    con: duckdb.DuckDBPyConnection, conversation_key: str, message_index: int, call_index: int
) -> Text | None:
    """The readable result of one tool call (see `readable_result`); None without a response."""
    found = con.execute(
        f"""
        select left(result_text, ?), length(result_text)
        from {SCHEMA}.tool_call_texts
        where conversation_key = ? and message_index = ? and call_index = ?
        """,
        [READ_CHARS, conversation_key, message_index, call_index],
    ).fetchone()
    if found is None or found[0] is None:
        return None
    return readable_result(found[0], found[1])


def step_text(step_kind: str, text: str, chars: int) -> Text:
    """What the replay shows of a step: a response's readable result, else its text without
    the white space around it."""
    if step_kind == "response":
        return readable_result(text, chars)
    return _stripped(text, chars)


def readable_result(body: str, chars: int) -> Text:
    """The part of a `<tool_response>` body a reader wants: `content.error` when set, else
    `content.output` when it is text, else `content` (text as is, other JSON minified); the
    whole body, stripped, when it is not a JSON object (or was too long to read whole)."""
    if len(body) < chars:
        return _stripped(body, chars)
    try:
        value = json.loads(body)
    except ValueError:
        return _stripped(body, chars)
    if not isinstance(value, dict) or "content" not in value:
        return _stripped(body, chars)
    content = value["content"]
    if isinstance(content, dict):
        error = content.get("error")
        if isinstance(error, str) and error.strip():
            return _whole(error)
        if error is not None and not isinstance(error, str):
            return _whole(_minified(error))
        output = content.get("output")
        if isinstance(output, str):
            return _whole(output)
    if isinstance(content, str):
        return _whole(content)
    return _whole(_minified(content))


def _minified(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _whole(text: str) -> Text:
    text = text.strip()
    return Text(text, len(text))


def _stripped(text: str, chars: int) -> Text:
    """`text`, the first characters of a block of `chars`, without surrounding white space."""
    if len(text) >= chars:
        return _whole(text)
    kept = text.lstrip()
    return Text(kept, chars - (len(text) - len(kept)))
