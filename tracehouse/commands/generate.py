"""`tracehouse generate`: a synthetic dataset in the Hugging Face hub layout."""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

from tracehouse.commands.common import add_quiet_argument, positive_int, whole_number
from tracehouse.errors import UserError
from tracehouse.progress import progress_bar, say

FORMATS = ("hermes", "openai", "anthropic")  # tracehouse.sample.shapes.FORMATS, not imported


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write a synthetic agent-trace dataset in hub layout (the test and benchmark fixture)",
        description="Write README.md (with a configs: block), data/<config>/train.parquet "
        "(Hermes) or train.jsonl (OpenAI, Anthropic) and ground_truth.json into OUT_DIR, so "
        "that `datasets.load_dataset(OUT_DIR, config)` reads it exactly as it reads the hub. "
        "The same seed writes the same conversations in every format.",
    )
    parser.add_argument(
        "out_dir",
        type=Path,
        metavar="OUT_DIR",
        help="folder to write: new or empty (created if missing)",
    )
    parser.add_argument(
        "--conversations",
        type=positive_int,
        required=True,
        metavar="N",
        help="conversations per config (required)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--configs",
        default="kimi,glm-5.1",
        help="comma-separated configs to write (default: kimi,glm-5.1)",
    )
    parser.add_argument(
        "--duplicate-ids",
        type=whole_number(0),
        default=0,
        metavar="K",
        help="rows per config that reuse an earlier row's id, fewer than --conversations "
        "(for ingest tests; default: 0)",
    )
    parser.add_argument(
        "--format",
        dest="trace_format",
        choices=FORMATS,
        default="hermes",
        help="the traces' shape: hermes (ShareGPT conversations with <think>/<tool_call> "
        "tags, Parquet), openai (chat messages with tool_calls, JSON lines) or anthropic "
        "(Messages content blocks, JSON lines) (default: hermes)",
    )
    add_quiet_argument(parser)
    parser.set_defaults(handler=partial(run, parser=parser))


def run(args: argparse.Namespace, *, parser: argparse.ArgumentParser) -> int:
    from tracehouse.sample.dataset import generate_dataset

    if args.duplicate_ids >= args.conversations:
        parser.error(
            "argument --duplicate-ids: must be less than --conversations "
            f"({args.conversations}), got {args.duplicate_ids}"
        )
    if args.out_dir.is_dir() and any(args.out_dir.iterdir()):
        # files of an earlier dataset would stay beside the new one (train.parquet beside a
        # new train.jsonl), and ingest would refuse the folder for its mixed file types
        raise UserError(
            f"{args.out_dir} is not empty: generate writes a whole dataset there (README.md, "
            "ground_truth.json, data/); give a new or empty folder"
        )
    configs = tuple(name.strip() for name in args.configs.split(",") if name.strip())
    bar = progress_bar(args.conversations * len(configs), "generate", "rows", args.quiet)
    try:
        truth = generate_dataset(
            args.out_dir,
            args.conversations,
            seed=args.seed,
            configs=configs,
            duplicate_ids=args.duplicate_ids,
            progress=bar.update,
            trace_format=args.trace_format,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:  # a folder that cannot be created or written
        raise UserError(
            f"{args.out_dir}: cannot write the dataset ({exc.strerror or exc}: "
            f"{exc.filename or args.out_dir})"
        ) from exc
    finally:
        bar.close()
    total = truth["total"]
    say(
        f"wrote {total['conversations']} conversations, {total['messages']} messages and "
        f"{total['tool_calls']} tool calls to {args.out_dir}",
        args.quiet,
    )
    if not args.quiet:
        print(
            json.dumps(
                {
                    "out_dir": str(args.out_dir),
                    "configs": list(configs),
                    "format": args.trace_format,
                }
            )
        )
    return 0
