"""The block parse rules (the `block_parse` doc block of the dbt project), in plain Python.

`int_blocks_parsed` applies these rules in SQL; this is the same definition written the
obvious way, one message at a time, so that tests can compare the two on any text. It is a
reference, not a second pipeline: nothing in the product reads it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# The tags each role gives meaning to; in any other role every tag is text.
ACTIVE_TAGS = {
    "gpt": re.compile(r"</?(?:think|tool_call)>"),
    "tool": re.compile(r"</?tool_response>"),
}
CONTAINERS = {"gpt": "tool_call", "tool": "tool_response"}


@dataclass(frozen=True)
class Block:
    """One block: where its body and its whole span (tags included) lie, 0-based, end
    exclusive, and whether it has its own opening and closing tags."""

    kind: str
    body_start: int
    body_end: int
    has_opening_tag: bool
    has_closing_tag: bool
    start: int
    end: int


@dataclass(frozen=True)
class _Tag:
    start: int
    end: int
    text: str


def is_json(text: str) -> bool:
    """One JSON value, white space around it allowed (json.loads)."""
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def parse(role: str, text: str) -> list[Block]:
    """The blocks of one message, in order; they tile the text."""
    pattern = ACTIVE_TAGS.get(role)
    tags = [_Tag(m.start(), m.end(), m.group()) for m in pattern.finditer(text)] if pattern else []
    container = CONTAINERS.get(role)
    opening = [tag for tag in tags if tag.text == f"<{container}>"]
    closing = [tag for tag in tags if tag.text == f"</{container}>"]

    # Where each opening container tag's container would end, decided for every one of them.
    ends: dict[_Tag, tuple[int, int, bool]] = {}  # body end, span end, closed
    for tag in opening:
        later = [close for close in closing if close.start >= tag.end]
        following = next((other for other in opening if other.start > tag.start), None)
        close = next((c for c in later if is_json(text[tag.end : c.start])), None)
        if close is None and later and (following is None or later[0].start < following.start):
            close = later[0]
        if close is not None:
            ends[tag] = (close.start, close.end, True)
        else:
            stop = following.start if following is not None else len(text)
            ends[tag] = (stop, stop, False)

    def covered(tag: _Tag) -> bool:
        """Inside the span of an earlier opening container tag (of any, not only kept ones)."""
        return any(o.start < tag.start < ends[o][1] for o in opening)

    spans: list[Block] = []
    kept = [tag for tag in opening if not covered(tag)]
    for tag in kept:
        body_end, span_end, closed = ends[tag]
        spans.append(Block(container, tag.end, body_end, True, closed, tag.start, span_end))

    if role == "gpt":
        spans += _think_blocks(text, tags, kept, ends, covered)
    spans.sort(key=lambda block: block.start)

    blocks: list[Block] = []
    position = 0
    for span in [*spans, None]:
        stop = span.start if span is not None else len(text)
        if stop > position:
            kind = "whitespace" if text[position:stop].isspace() else "text"
            blocks.append(Block(kind, position, stop, False, False, position, stop))
        if span is not None:
            blocks.append(span)
            position = span.end
    return blocks


def _think_blocks(text, tags, kept, ends, covered) -> list[Block]:
    """Think blocks, region by region (the text before, between and after kept containers).

    In a region, a think tag counts when it differs from the previous think tag of the
    region: `<think>` opens a block, `</think>` closes it; a `<think>` inside an open block
    and a stray `</think>` are text. A `</think>` before any other tag of the message closes
    an unopened block that starts at the message's start. A block still open at the region's
    end is unclosed.
    """
    bounds = [0, *[x for tag in kept for x in (tag.start, ends[tag][1])], len(text)]
    blocks = []
    for number, (start, stop) in enumerate(zip(bounds[0::2], bounds[1::2], strict=True)):
        region = [
            tag
            for tag in tags
            if tag.text in ("<think>", "</think>")
            and start <= tag.start < stop
            and not covered(tag)
        ]
        counted, previous = [], None
        for tag in region:
            first = previous is None
            if (first and (tag.text == "<think>" or number == 0)) or (
                not first and tag.text != previous.text
            ):
                counted.append(tag)
            previous = tag
        if counted and counted[0].text == "</think>":
            close = counted.pop(0)
            blocks.append(Block("think", 0, close.start, False, True, 0, close.end))
        for i in range(0, len(counted), 2):
            open_tag = counted[i]
            close = counted[i + 1] if i + 1 < len(counted) else None
            if close is None:
                blocks.append(Block("think", open_tag.end, stop, True, False, open_tag.start, stop))
            else:
                blocks.append(
                    Block("think", open_tag.end, close.start, True, True, open_tag.start, close.end)
                )
    return blocks


def rebuild(text: str, blocks: list[Block]) -> str:
    """Each block's opening tag, body and closing tag, in order."""
    return "".join(
        (f"<{b.kind}>" if b.has_opening_tag else "")
        + text[b.body_start : b.body_end]
        + (f"</{b.kind}>" if b.has_closing_tag else "")
        for b in blocks
    )
