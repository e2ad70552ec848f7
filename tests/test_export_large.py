"""One conversation with a 56 MB tool result: every export format writes it, the `messages`
row still converts back byte-exact, and the export's peak memory stays far below what the
text would cost if it were copied around per row (measured: about 0.7 GB)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, hermes_table, tracehouse, write_hub_layout
from tracehouse.export import messages_to_sharegpt

PEAK_RSS_LIMIT = 1.5 * 2**30


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("big")
    tools = json.dumps(
        [{"type": "function", "function": {"name": "terminal", "parameters": {"type": "object"}}}]
    )
    output = 'a line of output with "quotes" and a \\ backslash\n' * 1_150_000
    result = {
        "tool_call_id": "functions.terminal:0",
        "name": "terminal",
        "content": {"output": output, "exit_code": 0, "error": None},
    }
    call = {"name": "terminal", "arguments": {"command": "cat big.log"}}
    system = f"You are a function calling AI model. <tools>\n{tools}\n</tools>"
    turn = f"<think>\n I read it.\n</think>\n<tool_call>\n{json.dumps(call)}\n</tool_call>"
    conversation = [
        {"from": "system", "value": system},
        {"from": "human", "value": "Show me the log."},
        {"from": "gpt", "value": turn},
        {"from": "tool", "value": f"<tool_response>\n{json.dumps(result)}\n</tool_response>"},
        {"from": "gpt", "value": "<think>\n Done.\n</think>\n It is long."},
    ]
    assert len(conversation[3]["value"]) > 50_000_000
    data = write_hub_layout(
        root / "data",
        {"kimi": hermes_table([{"id": "big", "conversations": conversation, "tools": tools}])},
    )
    db = root / "warehouse.duckdb"
    tracehouse("ingest", str(data), "--db", str(db), "-q")
    tracehouse("build", "--db", str(db), "-q")
    return db, conversation


PEAK_OF_CHILD = (
    "import resource, sys\n"
    "from tracehouse.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"  # KiB on Linux
    "sys.exit(code)\n"
)


def export_in_child(db: Path, out: Path, *args: str) -> int:
    """Run the export in a child process of its own; return its peak RSS in bytes."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_OF_CHILD, "export", "--db", str(db), "--out", str(out),
         "-q", *args],
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )  # fmt: skip
    return int(result.stdout.strip())


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "messages"],
        ["--format", "messages", "--openai"],
        ["--format", "sharegpt"],
        ["--format", "prompt-response", "--special-tokens"],
    ],
)
def test_a_50_mb_message_exports_in_bounded_memory(big, tmp_path, args):
    db, conversation = big
    out = tmp_path / "out.jsonl"
    peak = export_in_child(db, out, *args)
    assert peak < PEAK_RSS_LIMIT, peak
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    if args[1] == "messages" and "--openai" not in args:
        (row,) = rows
        tool = next(m for m in row["messages"] if m["role"] == "tool")
        assert tool["name"] == "terminal" and len(tool["content"]) > 50_000_000
        assert messages_to_sharegpt(row["messages"]) == conversation
    elif args[1] == "sharegpt":
        assert rows[0]["conversations"] == conversation
    elif args[1] == "prompt-response":
        assert len(rows) == 2 and rows[1]["prompt"].count("a line of output") == 1_150_000
