"""One batch of conversations turned into encoded JSONL lines.

A batch's text (source.read_batch) is built into rows (formats.build), filtered by length
and encoded; what comes back is bytes per output part and the batch's counts, so the writer
only appends and hashes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from tracehouse.export import source
from tracehouse.export.formats import Built, Example, build
from tracehouse.export.manifest import Counts
from tracehouse.export.options import ExportOptions


@dataclass
class BatchOutput:
    data: dict[str, bytearray] = field(default_factory=dict)
    meta: dict[str, bytearray] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    tokens: list[int] = field(default_factory=list)


def encode(record: dict) -> bytes:
    """One JSONL line: compact JSON, UTF-8."""
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    try:
        return line.encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        # a lone surrogate (a `\ud800` escape in the source's JSON): written escaped
        return json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"


def validation_fraction(conversation: source.Conversation) -> float:
    key = conversation.id if conversation.id is not None else conversation.key
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) / 2**32


def part_of(conversation: source.Conversation, val_fraction: float) -> str:
    if val_fraction <= 0:
        return "all"
    return "validation" if validation_fraction(conversation) < val_fraction else "train"


def read(con, batch: list[source.Conversation], options: ExportOptions) -> dict:
    """A batch's text, with what the format and options need of its blocks and calls."""
    return source.read_batch(
        con,
        batch,
        blocks=options.format == "messages" or options.special_tokens,
        calls=options.weights or options.openai,
        tools=options.tools == "column",
    )


def build_batch(
    batch: list[source.Conversation],
    texts: dict[str, source.ConversationText],
    options: ExportOptions,
    counter,
) -> BatchOutput:
    out = BatchOutput()
    excluded = out.counts.excluded_by_filter
    kept: list[tuple[source.Conversation, Built, list[Example]]] = []
    for conversation in batch:
        built = build(conversation, texts.pop(conversation.key), options)
        if built.excluded_by is not None:
            excluded[built.excluded_by] = excluded.get(built.excluded_by, 0) + 1
            continue
        examples = built.examples
        if options.format == "prompt-response" and options.max_chars is not None:
            examples = [example for example in examples if example.chars <= options.max_chars]
            excluded["max_chars"] = (
                excluded.get("max_chars", 0) + len(built.examples) - len(examples)
            )
        kept.append((conversation, built, examples))
    if counter is not None:
        every = [example for _, _, examples in kept for example in examples]
        for example, count in zip(every, counter.count(every), strict=True):
            example.tokens = count
        if options.max_tokens is not None:
            for index, (conversation, built, examples) in enumerate(kept):
                fitting = [e for e in examples if e.tokens <= options.max_tokens]
                excluded["max_tokens"] = (
                    excluded.get("max_tokens", 0) + len(examples) - len(fitting)
                )
                kept[index] = (conversation, built, fitting)
    for conversation, built, examples in kept:
        if not examples:
            continue
        part = part_of(conversation, options.val_fraction)
        data = out.data.setdefault(part, bytearray())
        for example in examples:
            if example.record is not None:
                data += encode(example.record)
            else:
                data += example.line.encode("utf-8") + b"\n"
            if example.meta is not None:
                out.meta.setdefault(part, bytearray()).extend(encode(example.meta))
            if example.tokens is not None:
                out.tokens.append(example.tokens)
        out.rows[part] = out.rows.get(part, 0) + len(examples)
        out.counts.add_conversation(conversation, built, len(examples), part == "validation")
    return out
