"""`tracehouse export`: fine-tuning data assembled from the warehouse (tracehouse.export)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracehouse.commands.common import (
    add_allow_stale_argument,
    add_db_argument,
    add_quiet_argument,
    db_path,
)
from tracehouse.freshness import Freshness, check_fresh
from tracehouse.warehouse import tracehouse_command

FORMATS = ("messages", "sharegpt", "prompt-response")
TOOLS_PLACES = ("none", "column")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write training data (messages, sharegpt, prompt-response) from the warehouse",
        description="Writes JSONL assembled from the warehouse built by `tracehouse build`, "
        "and a manifest (NAME.manifest.json) beside it. Files of an earlier export to the "
        "same --out that this one does not write (listed by its manifest) are removed if "
        "still as it wrote them (the sha256 its manifest records); others are kept, with a "
        "warning. "
        "Filters combine with AND. "
        "Conversations without an assistant turn are left out unless "
        "--keep-without-assistant.",
    )
    parser.add_argument(
        "--format",
        required=True,
        metavar="FORMAT",
        help=f"one of: {', '.join(FORMATS)} (required)",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="PATH", help="the JSONL file (required)"
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAME",
        help="only conversations of this dataset config (repeatable; default: every config)",
    )
    parser.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="NAME",
        help="only conversations of this category (repeatable; default: every category)",
    )
    parser.add_argument(
        "--keep-without-assistant",
        action="store_true",
        help="messages, sharegpt: keep conversations that have no assistant turn (default: "
        "left out and counted; a trainer with assistant-only loss stops on them)",
    )
    parser.add_argument(
        "--exclude-failed-conversations",
        action="store_true",
        help="drop conversations with any failed tool call (default: kept)",
    )
    parser.add_argument(
        "--exclude-malformed",
        action="store_true",
        help="drop conversations with a malformed tool call (and, for messages, any message "
        "the format cannot represent losslessly) (default: kept)",
    )
    parser.add_argument(
        "--min-tool-calls",
        type=int,
        default=None,
        metavar="N",
        help="only conversations with at least N tool calls (default: no minimum)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=None,
        metavar="N",
        help="drop examples longer than N characters (a conversation; a prompt plus "
        "response) (default: no limit)",
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=None,
        metavar="N",
        help="drop rows longer than N tokens of --tokenizer, counted on the rendered row "
        "(default: no limit)",
    )
    parser.add_argument(
        "--tokenizer",
        default=None,
        metavar="PATH",
        help="a tokenizer (transformers; a local folder, or a hub id where the hub is "
        "reachable) to count tokens per row with; the manifest gives min, median and max "
        "(default: none, no token counts)",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.0,
        metavar="F",
        help="write NAME.train.EXT and NAME.validation.EXT, split by a stable md5 of the "
        "conversation id (default: 0, one file)",
    )
    parser.add_argument(
        "--openai",
        action="store_true",
        help="messages: exactly OpenAI's chat fine-tuning format (ids on every call, only "
        "the keys it defines); row metadata goes to NAME.meta.jsonl (default: TRL style)",
    )
    parser.add_argument(
        "--tools",
        choices=TOOLS_PLACES,
        default="none",
        help="where the tool list lives: none (only in the system prompt, as the source has "
        "it: each trainer renders it once) or column (also a `tools` column, for a template "
        "that renders it) (default: none)",
    )
    parser.add_argument(
        "--exclude-turn-order-breaks",
        action="store_true",
        help="sharegpt: drop conversations that break LLaMA-Factory's turn order, which it "
        "would skip (default: kept and counted in the manifest)",
    )
    parser.add_argument(
        "--weights",
        action="store_true",
        help="add `weight` (0 when the turn has a failed or malformed tool call, else 1) "
        "to assistant turns (default: no weights)",
    )
    parser.add_argument(
        "--special-tokens",
        action="store_true",
        help="prompt-response: wrap think blocks in <|reasoning_start|>/<|reasoning_end|> and "
        "calls in <|tool_call_start|>/<|tool_call_end|> (default: tags only)",
    )
    add_db_argument(parser)
    add_allow_stale_argument(parser)
    add_quiet_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tracehouse.export import ExportOptions, export

    options = ExportOptions(
        format=args.format,
        out=args.out,
        configs=tuple(args.config),
        categories=tuple(args.category),
        exclude_failed_conversations=args.exclude_failed_conversations,
        exclude_malformed=args.exclude_malformed,
        min_tool_calls=args.min_tool_calls,
        max_chars=args.max_chars,
        max_tokens=args.max_tokens,
        tokenizer=args.tokenizer,
        val_fraction=args.val_fraction,
        openai=args.openai,
        tools=args.tools,
        keep_without_assistant=args.keep_without_assistant,
        exclude_turn_order_breaks=args.exclude_turn_order_breaks,
        weights=args.weights,
        special_tokens=args.special_tokens,
    )
    db = db_path(args)
    freshness = check_fresh(db, allow_stale=args.allow_stale)
    result = export(db, options, quiet=args.quiet, warnings=stale_warning(freshness, db))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(summary(result), file=sys.stderr)
    return 0


def stale_warning(freshness: Freshness, db: Path) -> list[str]:
    """What the report's header says of marts used with --allow-stale, for the export."""
    if not freshness.stale:
        return []
    covered = len(freshness.covered)
    return [
        f"the marts are stale (used with --allow-stale): {freshness.problem}. They cover "
        f"{covered} load{'s' if covered != 1 else ''}; run `{tracehouse_command(['build'], db)}` "
        "for marts of everything ingested"
    ]


def summary(result) -> str:
    """One line: what was written where, and what was left out or kept as plain text."""
    counts = result.manifest["counts"]
    files = ", ".join(str(path) for path in result.files.values())
    notes = []
    left_out = sum(counts["excluded_by_filter"].values())
    if left_out:
        notes.append(f"{left_out} left out by filters")
    if "non_representable_messages_written" in counts:
        notes.append(f"{counts['non_representable_messages_written']} messages kept as plain text")
    breaking = counts.get("conversations_breaking_llamafactory_turn_order_written")
    if breaking:
        notes.append(f"{breaking} break LLaMA-Factory's turn order")
    note = f" ({'; '.join(notes)})" if notes else ""
    earlier = ""
    if result.replaced:
        earlier += f"; replaced existing {', '.join(str(path) for path in result.replaced)}"
    if result.removed:
        removed = ", ".join(str(path) for path in result.removed)
        earlier += f"; removed {removed} of the earlier export to this --out"
    return (
        f"export: {counts['rows_written']} rows from {counts['conversations_written']} "
        f"conversations to {files}{note}; manifest {result.manifest_path}{earlier}"
    )
