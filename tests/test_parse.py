"""The parse (int_blocks_parsed) against the block rules written in plain Python
(tracehouse.sample.blocks), on the generated sample and on random tag soup.

Both are real: the soup is ingested and built with `tracehouse ingest` and `tracehouse build`
(every model and data test, the rebuild reconciliation included), and the blocks in the
warehouse are compared with what the reference gives for every message, together with the
facts read from the bodies, computed here independently (json, str.split).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
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


# ---------------------------------------------------------------- one huge message

HUGE_CHARS = 50_000_000  # the largest message the README says was tested


@pytest.mark.parametrize("content_shape", ["object", "string holding a traceback"])
def test_a_50_mb_message_builds_with_the_default_settings(tmp_path, content_shape):
    """One 50 MB tool result (JSON with a literal tag in its text) and one long think block:
    ingest and a full build pass with the default memory settings, and the facts read from
    the huge bodies equal what Python computes from the same text. The content is an object
    (DuckDB writes its minified text out to count it) or a string holding a Python traceback
    (the failure rules' traceback branch, which once parsed the content a second time and ran
    out of memory at 55 MB)."""
    import random

    rng = random.Random(7)
    words = ["alpha", "beta", "<tool_call>", 'say "hi"', "é", "x=1;", "{}", "\\n"]
    if content_shape == "string holding a traceback":
        words.append("Traceback (most recent call last):")
    pieces: list[str] = []
    content_chars = 0
    while content_chars < HUGE_CHARS:
        pieces.append(rng.choice(words))
        content_chars += len(pieces[-1]) + 1
    content = " ".join(pieces)
    content_value: object = {"content": content} if content_shape == "object" else content
    body = json.dumps({"tool_call_id": "c1", "name": "read_file", "content": content_value})
    response = f"<tool_response>\n{body}\n</tool_response>"
    assert len(response) >= HUGE_CHARS
    think = " ".join(rng.choice(words[:2]) for _ in range(2_000_000))
    call = '<tool_call>\n{"name": "read_file", "arguments": {"path": "a"}}\n</tool_call>'
    messages = [
        ("system", "You are a function calling AI model."),
        ("human", "Read it."),
        ("gpt", f"<think>\n ok\n</think>\n{call}"),
        ("tool", response),
        ("gpt", f"<think>\n{think}\n</think>\nDone."),
    ]
    source = write_hub_layout(tmp_path / "data", {"huge": soup_table([messages])})
    db = tmp_path / "warehouse.duckdb"
    env = {key: value for key, value in os.environ.items() if key != "TRACEHOUSE_MEMORY_LIMIT"}
    tracehouse("ingest", str(source), "--db", str(db), "-q", env=env)
    built = tracehouse(
        "build", "--db", str(db), "--", "--target-path", str(tmp_path / "target"),
        check=False, env=env,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        facts = con.execute(
            "select content_chars, status, error_kind from marts.fct_tool_responses"
        ).fetchone()
        think_words = con.execute(
            "select think_words from marts.fct_assistant_turns where message_index = 4"
        ).fetchone()[0]
    if content_shape == "object":
        minified = json.dumps(content_value, separators=(",", ":"), ensure_ascii=False)
        assert facts == (len(minified), "ok", None)
    else:
        assert facts == (len(content), "error", "traceback")
    assert think_words == len(think.split())
