"""The baseline: the seed tutorial's plain-Python loop over `datasets` rows, `re` and `json`.

It is what users run today in notebooks, so it is what tracehouse has to beat. It computes a
small fraction of what the warehouse does: tool calls per name, parallel widths, think
blocks per assistant turn, and calls and (tutorial-rule) errors per conversation. The
patterns are the tutorial's, lazy `.*?` and all, on purpose: the comparison of counts in
`bench.compare` shows where they disagree with the warehouse's tokenizer.

Run as a child process by the harness (`python -m bench.baseline DATA_DIR --config kimi
--out counts.json`) so that its wall time and peak RSS are its own. Loading (`load_dataset`,
which converts parquet to a memory-mapped Arrow cache on first use) is timed apart from the
loop, so the ratios can say which one they use.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

THINK_RE = re.compile(r"<think>(.*?)</think>", re.DOTALL)
TOOL_CALL_RE = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)
TOOL_RESPONSE_RE = re.compile(r"<tool_response>\s*(.*?)\s*</tool_response>", re.DOTALL)


def legacy_is_error(value: str) -> bool:
    """The tutorial's rule: the first response block, JSON-dumped and lower-cased, contains
    `error`, `"exit_code": 1` or `traceback` (a terminal result's `"error": null` counts)."""
    blocks = TOOL_RESPONSE_RE.findall(value)
    if not blocks:
        return False
    try:
        text = json.dumps(json.loads(blocks[0])).lower()
    except json.JSONDecodeError:
        text = blocks[0].lower()
    return "error" in text or '"exit_code": 1' in text or "traceback" in text


def count_rows(rows) -> dict:
    """The tutorial's loop: one pass over rows, counting in Python containers."""
    by_name: Counter[str] = Counter()
    widths: Counter[int] = Counter()
    think_per_turn: Counter[int] = Counter()
    calls_per_conversation: list[int] = []
    errors_per_conversation: list[int] = []
    json_failures = 0
    unnamed = 0
    messages = 0
    for row in rows:
        calls = errors = 0
        for message in row["conversations"] or ():
            messages += 1
            role, value = message.get("from"), message.get("value") or ""
            if role == "gpt":
                think_per_turn[len(THINK_RE.findall(value))] += 1
                bodies = TOOL_CALL_RE.findall(value)
                if bodies:
                    widths[len(bodies)] += 1
                for body in bodies:
                    calls += 1
                    try:
                        call = json.loads(body)
                    except json.JSONDecodeError:
                        json_failures += 1
                        continue
                    name = call.get("name") if isinstance(call, dict) else None
                    if isinstance(name, str):
                        by_name[name] += 1
                    else:
                        unnamed += 1
            elif role == "tool" and legacy_is_error(value):
                errors += 1
        calls_per_conversation.append(calls)
        errors_per_conversation.append(errors)
    return {
        "conversations": len(calls_per_conversation),
        "messages": messages,
        "tool_calls": sum(calls_per_conversation),
        "tool_calls_by_name": dict(by_name.most_common()),
        "tool_call_json_failures": json_failures,
        "tool_call_unnamed": unnamed,
        "parallel_widths": {str(k): v for k, v in sorted(widths.items())},
        "think_blocks_per_turn": {str(k): v for k, v in sorted(think_per_turn.items())},
        "legacy_errors": sum(errors_per_conversation),
        "calls_per_conversation": calls_per_conversation,
        "errors_per_conversation": errors_per_conversation,
    }


def run(data_dir: Path, config: str, cache_dir: str | None = None) -> dict:
    """Load with `datasets` (timed), then loop (timed separately)."""
    started = time.perf_counter()
    import datasets

    dataset = datasets.load_dataset(str(data_dir), config, split="train", cache_dir=cache_dir)
    loaded = time.perf_counter()
    counts = count_rows(dataset)
    finished = time.perf_counter()
    return {"load_s": loaded - started, "loop_s": finished - loaded, "counts": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--config", default="kimi")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    result = run(args.data_dir, args.config, args.cache_dir)
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
