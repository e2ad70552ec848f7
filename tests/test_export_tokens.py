"""Token-aware limits: `--tokenizer PATH` (a tokenizer folder saved here, no hub) counts each
row's tokens on the rendered row, the manifest gives min/median/max, and `--max-tokens N`
drops the rows over N. Counts are checked against the tokenizer run here on the rows as
written. Needs the `train` extra (transformers, tokenizers)."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from tests.conftest import tracehouse  # noqa: E402
from tests.hermes_chat import train_tokenizer  # noqa: E402
from tracehouse.export import ExportOptions, export  # noqa: E402


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def tokenizer_dir(built_warehouse, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tokenizer")
    rows = read_jsonl(
        export(built_warehouse["db"], ExportOptions(format="messages", out=root / "m.jsonl")).files[
            "all"
        ]
    )
    tokenizer = train_tokenizer([row["messages"] for row in rows[:40]])
    tokenizer.save_pretrained(root / "tokenizer")
    return root / "tokenizer"


def counts_of(tokenizer, texts: list[str]) -> list[int]:
    return [len(tokenizer(text, add_special_tokens=False)["input_ids"]) for text in texts]


def test_tokens_per_row_on_the_chat_template_and_max_tokens(
    built_warehouse, tokenizer_dir, tmp_path
):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    every = export(
        built_warehouse["db"],
        ExportOptions(format="messages", out=tmp_path / "all.jsonl", tokenizer=str(tokenizer_dir)),
    )
    rows = read_jsonl(every.files["all"])
    counts = counts_of(
        tokenizer, [tokenizer.apply_chat_template(r["messages"], tokenize=False) for r in rows]
    )
    stats = every.manifest["tokens_per_row"]
    assert stats["rendered_with"] == "the tokenizer's chat template"
    assert (stats["rows"], stats["min"], stats["median"], stats["max"]) == (
        len(rows),
        min(counts),
        statistics.median(counts),
        max(counts),
    )
    limit = int(statistics.median(counts))
    capped = export(
        built_warehouse["db"],
        ExportOptions(
            format="messages",
            out=tmp_path / "capped.jsonl",
            tokenizer=str(tokenizer_dir),
            max_tokens=limit,
        ),
    )
    kept = [row for row, count in zip(rows, counts, strict=True) if count <= limit]
    assert read_jsonl(capped.files["all"]) == kept
    assert capped.manifest["counts"]["excluded_by_filter"]["max_tokens"] == len(rows) - len(kept)
    assert capped.manifest["tokens_per_row"]["max"] <= limit


def test_prompt_response_counts_prompt_plus_response(built_warehouse, tokenizer_dir, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    result = export(
        built_warehouse["db"],
        ExportOptions(
            format="prompt-response",
            out=tmp_path / "pr.jsonl",
            tokenizer=str(tokenizer_dir),
            max_chars=12_000,  # the early turns: enough rows, little text to tokenize twice
        ),
    )
    rows = read_jsonl(result.files["all"])
    assert len(rows) > 20
    counts = counts_of(tokenizer, [row["prompt"] + row["response"] for row in rows])
    stats = result.manifest["tokens_per_row"]
    assert (stats["min"], stats["median"], stats["max"]) == (
        min(counts),
        statistics.median(counts),
        max(counts),
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-tokens", "100"], "--max-tokens needs --tokenizer"),
        (["--tokenizer", "/no/such/tokenizer/folder"], "--tokenizer /no/such/tokenizer/folder"),
    ],
)
def test_token_options_fail_with_one_clear_line(built_warehouse, tmp_path, args, message):
    result = tracehouse(
        "export",
        "--format",
        "messages",
        "--out",
        str(tmp_path / "o.jsonl"),
        *args,
        "--db",
        str(built_warehouse["db"]),
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.jsonl").exists()
