"""The parse (int_blocks_parsed) against the block rules written in plain Python
(tracehouse.sample.blocks), on the generated sample and on random tag soup.

Both are real: the soup is ingested and built with `tracehouse ingest` and `tracehouse build`
(every model and data test, the rebuild reconciliation included), and the blocks in the
warehouse are compared with what the reference gives for every message, together with the
facts read from the bodies, computed here independently (json, str.split).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import hermes_table, tracehouse, write_hub_layout
from tracehouse.sample.blocks import Block, is_json, parse, rebuild

BLOCK_QUERY = """
select
    messages.conversation_key,
    messages.message_index,
    messages.message_role,
    messages.message_text,
    list(
        (
            blocks.block_kind, blocks.body_offset, blocks.body_length,
            blocks.has_opening_tag, blocks.has_closing_tag,
            blocks.think_words, blocks.is_valid_json, blocks.tool_name
        )
        order by blocks.block_index
    ) filter (where blocks.block_index is not null) as blocks
from staging.stg_hermes__messages as messages
left join intermediate.int_blocks_parsed as blocks
    using (conversation_key, message_index)
group by all
"""


def expected_row(role: str, text: str, block: Block) -> tuple:
    """A block as the warehouse should hold it: 1-based offset, and the facts of its body."""
    body = text[block.body_start : block.body_end]
    words = len(body.split()) if block.kind == "think" else None
    valid = is_json(body) if block.kind in ("tool_call", "tool_response") else None
    name = None
    if valid and block.kind in ("tool_call", "tool_response"):
        value = json.loads(body)
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            name = value["name"]
    return (
        block.kind,
        block.body_start + 1,
        block.body_end - block.body_start,
        block.has_opening_tag,
        block.has_closing_tag,
        words,
        valid,
        name,
    )


def mismatches(db: Path) -> list[tuple]:
    """Every message whose blocks in the warehouse differ from the reference's."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(BLOCK_QUERY).fetchall()
    assert rows
    wrong = []
    for _, _, role, text, stored in rows:
        if text is None:
            continue
        blocks = parse(role, text)
        assert rebuild(text, blocks) == text
        expected = [expected_row(role, text, block) for block in blocks]
        if [tuple(row) for row in stored or []] != expected:
            wrong.append((role, text[:200], stored, expected))
    return wrong


def test_the_parse_equals_the_reference_rules_on_the_generated_sample(built_warehouse):
    assert mismatches(built_warehouse["db"]) == []


# ---------------------------------------------------------------- random tag soup

TAGS = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]
FRAGMENTS = [
    '{"name": "terminal", "arguments": {"command": "ls"}}',
    '{"name": "x", "arguments": {"s": "',
    '"}}',
    '{"tool_call_id": "c1", "name": "t", "content": {"error": null}}',
    '{"content": "Error: no"}',
    "[1, 2,]",
    '"\\"',
    "\\",
    "{",
    "}",
    "\n",
    " ",
    "\x00",
    "é ü 中文 \u2028 \U0001f600",
    "plain words",
]
SOUP = st.lists(st.sampled_from(TAGS + FRAGMENTS), max_size=14).map("".join)
ROLE = st.sampled_from(["gpt", "tool", "human", "system"])
CONVERSATION = st.lists(st.tuples(ROLE, SOUP), min_size=1, max_size=6)


def soup_table(conversations: list[list[tuple[str, str]]]) -> pa.Table:
    return hermes_table(
        [
            {
                "id": f"soup-{i}",
                "conversations": [{"from": role, "value": value} for role, value in messages],
            }
            for i, messages in enumerate(conversations)
        ]
    )


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(CONVERSATION, min_size=20, max_size=40))
def test_random_tag_soup_ingests_builds_and_parses_like_the_reference(tmp_path_factory, soup):
    """Random mixes of the six tags, JSON fragments, quotes, NUL and non-ASCII text, in every
    role: ingest and a full build (every model and data test) pass, and every message's
    blocks are the reference's, so they rebuild it byte-exact."""
    work = tmp_path_factory.mktemp("soup")
    source = write_hub_layout(work / "data", {"soup": soup_table(soup)})
    db = work / "warehouse.duckdb"
    tracehouse("ingest", str(source), "--db", str(db), "-q")
    built = tracehouse(
        "build", "--db", str(db), "--", "--target-path", str(work / "target"), check=False
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "Traceback" not in built.stderr
    assert mismatches(db) == []
