"""The `messages` export through a real chat template, offline: a Hermes/ChatML template with
`{% generation %}` markers, a byte-level BPE trained here with `tokenizers` (no model hub),
and transformers' `apply_chat_template(..., return_assistant_tokens_mask=True)`. The mask
must cover exactly each assistant turn (reasoning, text, calls, `<|im_end|>`) and nothing
else. Needs the `train` extra (transformers, tokenizers); no torch."""

from __future__ import annotations

from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from tests.hermes_chat import assistant_spans, train_tokenizer  # noqa: E402
from tracehouse.export import ExportOptions, export  # noqa: E402


@pytest.fixture(scope="module")
def exported(built_warehouse, tmp_path_factory) -> list[dict]:
    from datasets import load_dataset

    root = tmp_path_factory.mktemp("chat_template")
    result = export(
        built_warehouse["db"], ExportOptions(format="messages", out=root / "messages.jsonl")
    )
    dataset = load_dataset("json", data_files=str(result.files["all"]), split="train")
    return [row["messages"] for row in dataset]


@pytest.fixture(scope="module")
def tokenizer(exported):
    return train_tokenizer(exported[:40])


def test_assistant_mask_covers_exactly_the_assistant_turns(exported, tokenizer):
    checked_turns = 0
    for messages in exported[:60]:
        rendered = tokenizer.apply_chat_template(messages, tokenize=False)
        encoded = tokenizer.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        offsets = tokenizer(rendered, add_special_tokens=False, return_offsets_mapping=True)
        assert offsets["input_ids"] == list(encoded["input_ids"])

        # the assistant spans, found in the rendered text independently of the mask
        spans = assistant_spans(rendered, messages)

        mask = list(encoded["assistant_masks"])
        for (start, end), flag in zip(offsets["offset_mapping"], mask, strict=True):
            inside = any(s <= start and end <= e for s, e in spans)
            assert flag == int(inside), (rendered[start:end], flag)
        # and the masked tokens cover every character of the spans, nothing else
        covered = bytearray(len(rendered))
        for (start, end), flag in zip(offsets["offset_mapping"], mask, strict=True):
            if flag:
                covered[start:end] = b"\x01" * (end - start)
        expected = bytearray(len(rendered))
        for start, end in spans:
            expected[start:end] = b"\x01" * (end - start)
        assert covered == expected
        checked_turns += len(spans)
    assert checked_turns > 100


def test_template_renders_reasoning_and_calls_of_the_export(exported, tokenizer):
    # picked by content, not position: the export follows the surrogate keys, which hash the
    # source name (here a temporary path), so the first conversation differs between runs
    messages = next(
        conversation
        for conversation in exported
        if any(m["role"] == "assistant" and m.get("reasoning_content") for m in conversation)
        and any(m["role"] == "assistant" and m.get("tool_calls") for m in conversation)
        and any(m["role"] == "tool" and m.get("name") for m in conversation)
    )
    rendered = tokenizer.apply_chat_template(messages, tokenize=False)
    assert "<think>\n" in rendered and "<tool_call>\n" in rendered
    assert "<tool_response>\n" in rendered


def test_train_extra_is_optional(tmp_path: Path):
    """The default install must not need transformers: importing the writer does not."""
    import subprocess
    import sys

    code = (
        "import sys; import tracehouse.export, tracehouse.commands.export; "
        "sys.exit(1 if 'transformers' in sys.modules or 'tokenizers' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path).returncode == 0
