"""Token counts per row, with a tokenizer from transformers (the `train` extra).

A row is counted on what a trainer renders: the tokenizer's chat template applied to the
row's messages (and its `tools` when the column is written), or, for a tokenizer without a
chat template, the conversation in ChatML; a prompt-response row is its prompt plus its
response. Imported only when `--tokenizer` is given, so the default install needs no
transformers.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from tracehouse.errors import UserError
from tracehouse.export.formats import Example, chatml


class TokenCounter:
    def __init__(self, spec: str) -> None:
        try:
            from transformers import AutoTokenizer
        except ImportError as exc:
            raise UserError(
                "--tokenizer needs transformers: pip install 'tracehouse[train]'"
            ) from exc
        self.spec = spec
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(spec)
        except Exception as exc:  # transformers raises OSError, ValueError, hub errors, ...
            where = "the folder" if Path(spec).is_dir() else "a local folder or reachable hub id"
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise UserError(
                f"--tokenizer {spec}: no tokenizer could be loaded from {where}: {first_line}"
            ) from exc
        self.uses_chat_template = bool(getattr(self.tokenizer, "chat_template", None))

    @property
    def rendering(self) -> str:
        return "the tokenizer's chat template" if self.uses_chat_template else "ChatML"

    def render(self, example: Example) -> str:
        if example.text is not None:
            return example.text
        if self.uses_chat_template and example.chat is not None:
            try:
                return self.tokenizer.apply_chat_template(
                    example.chat, tools=example.tools or None, tokenize=False
                )
            except Exception as exc:  # a template's own error (jinja raise_exception, ...)
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise UserError(
                    f"--tokenizer {self.spec}: its chat template fails on a row: {first_line}"
                ) from exc
        return "".join(chatml(role, value) for _, role, value in example.source or [])

    def count(self, examples: list[Example]) -> list[int]:
        if not examples:
            return []
        texts = [self.render(example) for example in examples]
        encoded = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]


def token_summary(counts: list[int]) -> dict:
    if not counts:
        return {"rows": 0, "min": None, "median": None, "max": None}
    return {
        "rows": len(counts),
        "min": min(counts),
        "median": statistics.median(counts),
        "max": max(counts),
    }
