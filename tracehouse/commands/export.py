"""`tracehouse export`: fine-tuning data written from the export marts."""

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
from tracehouse.freshness import check_fresh

FORMATS = ("messages", "sharegpt", "prompt-response")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write training data (prompt-response, messages, sharegpt) from the warehouse",
        description="Writes JSONL from the export marts built by `tracehouse build`, and a "
        "manifest (NAME.manifest.json) beside it. Filters combine with AND.",
    )
    parser.add_argument(
        "--format", required=True, metavar="FORMAT", help=f"one of: {', '.join(FORMATS)}"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="PATH", help="the JSONL file")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAME",
        help="only conversations of this dataset config (repeatable)",
    )
    parser.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="NAME",
        help="only conversations of this category (repeatable)",
    )
    parser.add_argument(
        "--exclude-failed-conversations",
        action="store_true",
        help="drop conversations with any failed tool call",
    )
    parser.add_argument(
        "--exclude-malformed",
        action="store_true",
        help="drop conversations with a malformed tool call (and, for messages, any message "
        "the format cannot represent losslessly)",
    )
    parser.add_argument("--min-tool-calls", type=int, default=None, metavar="N")
    parser.add_argument(
        "--max-chars",
        type=int,
        default=None,
        metavar="N",
        help="drop examples longer than N characters (a conversation; a prompt plus response)",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.0,
        metavar="F",
        help="write NAME.train.EXT and NAME.validation.EXT, split by a stable md5 of the "
        "conversation id",
    )
    parser.add_argument(
        "--openai",
        action="store_true",
        help="messages: tool-call arguments as a JSON string (OpenAI), not an object (TRL)",
    )
    parser.add_argument(
        "--weights",
        action="store_true",
        help="add `weight` (0 when the turn has a failed or malformed tool call, else 1) "
        "to assistant turns",
    )
    parser.add_argument(
        "--special-tokens",
        action="store_true",
        help="prompt-response: wrap think blocks in <|reasoning_start|>/<|reasoning_end|> and "
        "calls in <|tool_call_start|>/<|tool_call_end|>",
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
        val_fraction=args.val_fraction,
        openai=args.openai,
        weights=args.weights,
        special_tokens=args.special_tokens,
    )
    check_fresh(db_path(args), allow_stale=args.allow_stale)
    result = export(db_path(args), options, quiet=args.quiet)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        counts = result.manifest["counts"]
        for path in result.files.values():
            print(path)
        print(
            f"{counts['rows_written']} rows from {counts['conversations_written']} conversations "
            f"({counts['non_representable_messages_written']} messages kept as plain text); "
            f"manifest {result.manifest_path}"
        )
    return 0
