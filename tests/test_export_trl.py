"""The `messages` export trained with TRL for real, on the CPU: the README's
`SFTTrainer(assistant_only_loss=True)` on the file as exported, with a tiny randomly
initialised Qwen3-shaped model built from a config, a tokenizer trained here and a Hermes
chat template with `{% generation %}` (tests/hermes_chat.py). No model hub.

Needs the `train` extra (trl, torch==2.13.0, transformers), which `make test` installs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")

from tests.hermes_chat import expected_mask, train_tokenizer  # noqa: E402
from tracehouse.export import ExportOptions, export  # noqa: E402

# every export row's first assistant turn starts within it (after the long system prompt)
MAX_LENGTH = 6144


def tiny_model(vocab_size: int):
    from transformers import AutoModelForCausalLM, Qwen3Config

    torch.manual_seed(0)
    config = Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=MAX_LENGTH,
        tie_word_embeddings=True,
    )
    return AutoModelForCausalLM.from_config(config)


def sft_config(output_dir: Path):
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(output_dir),
        assistant_only_loss=True,
        max_length=MAX_LENGTH,
        per_device_train_batch_size=2,
        max_steps=3,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        seed=0,
    )


@pytest.fixture(scope="module")
def exported(built_warehouse, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trl")
    result = export(
        built_warehouse["db"], ExportOptions(format="messages", out=root / "messages.jsonl")
    )
    return result.files["all"]


@pytest.fixture(scope="module")
def tokenizer(exported):
    from datasets import load_dataset

    dataset = load_dataset("json", data_files=str(exported), split="train")
    return train_tokenizer([row["messages"] for row in dataset.select(range(40))])


def test_sft_trainer_trains_on_the_export_with_assistant_only_loss(exported, tokenizer, tmp_path):
    from datasets import load_dataset
    from trl import SFTTrainer

    # the README's snippet, with a local model and tokenizer
    dataset = load_dataset("json", data_files=str(exported), split="train")
    trainer = SFTTrainer(
        model=tiny_model(len(tokenizer)),
        args=sft_config(tmp_path / "sft"),
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    # the tokens TRL trains on (labels other than -100, from its assistant mask) are exactly
    # those of the assistant turns, in every example (truncated to max_length as TRL does)
    assert len(trainer.train_dataset) == len(dataset)
    turns = 0
    for row, example in zip(dataset, trainer.train_dataset, strict=True):
        rendered = tokenizer.apply_chat_template(row["messages"], tokenize=False)
        expected = expected_mask(tokenizer, rendered, row["messages"])[:MAX_LENGTH]
        assert [int(label != -100) for label in example["labels"]] == expected, row["id"]
        assert 1 in expected
        turns += sum(m["role"] == "assistant" for m in row["messages"])
    assert turns > 1000

    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 3 and all(math.isfinite(loss) for loss in losses)


def test_sft_trainer_stops_on_conversations_without_an_assistant_turn(
    built_warehouse, tokenizer, tmp_path
):
    """Why they are left out by default: kept, TRL refuses the file."""
    from datasets import load_dataset
    from trl import SFTTrainer

    result = export(
        built_warehouse["db"],
        ExportOptions(format="messages", out=tmp_path / "all.jsonl", keep_without_assistant=True),
    )
    dataset = load_dataset("json", data_files=str(result.files["all"]), split="train")
    empty = [
        index
        for index, row in enumerate(dataset)
        if not any(m["role"] == "assistant" for m in row["messages"])
    ]
    assert empty
    with pytest.raises(RuntimeError, match="no assistant tokens"):
        SFTTrainer(
            model=tiny_model(len(tokenizer)),
            args=sft_config(tmp_path / "sft"),
            train_dataset=dataset.select(
                empty + [index for index in range(3) if index not in empty]
            ),
            processing_class=tokenizer,
        )
