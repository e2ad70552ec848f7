"""A Hermes/ChatML chat template with `{% generation %}` markers and a byte-level BPE trained
here (no model hub), for the tests that put the `messages` export through transformers and
TRL; and the assistant spans of a rendered conversation, found without the template's mask.
Needs the `train` extra (transformers, tokenizers)."""

from __future__ import annotations

import json

HERMES_CHATML = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{%- generation %}"
    "{%- if message['reasoning_content'] is defined and message['reasoning_content'] is not none %}"
    "{%- if message['reasoning_content'] == '' %}{{- '<think>\\n</think>\\n' }}"
    "{%- else %}{{- '<think>\\n' + message['reasoning_content'] + '\\n</think>\\n' }}{%- endif %}"
    "{%- endif %}"
    "{{- message['content'] or '' }}"
    "{%- if message['tool_calls'] is defined and message['tool_calls'] %}"
    "{%- for call in message['tool_calls'] %}"
    "{%- if not loop.first %}{{- '\\n' }}{%- endif %}"
    "{{- '<tool_call>\\n' + {'name': call['function']['name'], "
    "'arguments': call['function']['arguments']} | tojson + '\\n</tool_call>' }}"
    "{%- endfor %}"
    "{%- endif %}"
    "{{- '<|im_end|>' }}"
    "{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- elif message['role'] == 'tool' and message['name'] is defined and message['name'] %}"
    "{{- '<tool_response>\\n' + {'name': message['name'], 'content': message['content']} | tojson"
    " + '\\n</tool_response><|im_end|>\\n' }}"
    "{%- else %}"
    "{{- message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
)
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|pad|>"]
ASSISTANT_HEADER = "<|im_start|>assistant\n"


def train_tokenizer(conversations: list[list[dict]], vocab_size: int = 2000):
    """A byte-level BPE trained on the conversations, with the ChatML special tokens and the
    Hermes template; `\\n` always stands alone, so a turn boundary never falls in a token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split("\n", behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator([json.dumps(messages) for messages in conversations], trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = HERMES_CHATML
    return fast


def expected_assistant_text(message: dict) -> str:
    """What the template must render for an assistant turn, computed without the template."""
    text = ""
    reasoning = message.get("reasoning_content")
    if reasoning is not None:
        text += "<think>\n</think>\n" if reasoning == "" else f"<think>\n{reasoning}\n</think>\n"
    text += message.get("content") or ""
    calls = [
        "<tool_call>\n"
        + json.dumps(
            {"name": call["function"]["name"], "arguments": call["function"]["arguments"]},
            ensure_ascii=False,
        )
        + "\n</tool_call>"
        for call in message.get("tool_calls") or []
    ]
    return text + "\n".join(calls) + "<|im_end|>"


def assistant_spans(rendered: str, messages: list[dict]) -> list[tuple[int, int]]:
    """Character spans of the assistant turns in a rendered conversation, found from the
    messages (header, then the expected text), independently of any mask."""
    spans, position = [], 0
    for message in messages:
        if message["role"] != "assistant":
            continue
        start = rendered.index(ASSISTANT_HEADER, position) + len(ASSISTANT_HEADER)
        expected = expected_assistant_text(message)
        assert rendered[start : start + len(expected)] == expected
        spans.append((start, start + len(expected)))
        position = start + len(expected)
    return spans


def expected_mask(tokenizer, rendered: str, messages: list[dict]) -> list[int]:
    """1 for each token of `rendered` inside an assistant span, else 0 (a token is inside
    when its characters are)."""
    spans = assistant_spans(rendered, messages)
    offsets = tokenizer(rendered, add_special_tokens=False, return_offsets_mapping=True)
    return [
        int(any(s <= start and end <= e for s, e in spans))
        for start, end in offsets["offset_mapping"]
    ]
