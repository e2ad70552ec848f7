"""The rows of each format, built from one conversation's text, blocks and call pairing.

- messages: `{"id", "config", "category", "messages", "tools"?}` (TRL conversational);
  with `--openai`, `{"messages", "tools"?}` in exactly OpenAI's chat fine-tuning format, and
  the rest in a sidecar line.
- sharegpt: `{"id", "config", "category", "subcategory", "task", "conversations", "tools"?}`.
- prompt-response: one row per assistant turn, the prompt in ChatML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tracehouse.export.convert import (
    SHAREGPT_TO_ROLE,
    STRUCTURED_FORMATS,
    Block,
    assistant_entry,
    plain_entry,
    structured_assistant_entry,
    structured_tool_entries,
    tool_entries,
)
from tracehouse.export.options import ExportOptions
from tracehouse.export.source import Call, Conversation, ConversationText


@dataclass(slots=True)
class Example:
    """One row to write: a JSON object (`record`) or an encoded line (`line`), its length
    in characters (prompt-response), its sidecar line (`--openai`), what a tokenizer
    renders (`chat`, role/content messages for a chat template, and `source`, the original
    messages for ChatML; or `text`, prompt plus response) and its count of tokens."""

    record: dict | None = None
    line: str | None = None
    chars: int = 0
    meta: dict | None = None
    chat: list[dict] | None = None
    tools: list | None = None
    source: list[tuple[int, str | None, str | None]] | None = None
    text: str | None = None
    tokens: int | None = None


@dataclass(slots=True)
class Built:
    """A conversation's rows, or the filter that left it out, and what the counts need."""

    examples: list[Example] = field(default_factory=list)
    excluded_by: str | None = None
    non_representable_messages: int = 0
    non_representable_assistant_turns: int = 0
    breaks_turn_order: bool = False
    ids_from_source: int = 0
    ids_generated: int = 0


def build(conversation: Conversation, text: ConversationText, options: ExportOptions) -> Built:
    if options.format == "sharegpt":
        return sharegpt_rows(conversation, text, options)
    if options.format == "prompt-response":
        return prompt_response_rows(conversation, text, options)
    return messages_rows(conversation, text, options)


# ---------------------------------------------------------------- pieces


def blocks_of(value: str, rows: list[tuple]) -> list[Block]:
    """The blocks of a message, their bodies cut from its text by the block index."""
    return [
        Block(kind, value[offset - 1 : offset - 1 + length], opening, closing)
        for kind, offset, length, opening, closing in rows
    ]


def turn_weight(calls: list[Call]) -> int:
    """0 when the turn has a failed or malformed call, else 1."""
    return 0 if any(call.status == "error" or call.is_malformed for call in calls) else 1


def parsed_tools(tools_json: str | None) -> list | None:
    """The `tools` column as a JSON list, or None when it is missing or not a list."""
    if tools_json is None:
        return None
    try:
        tools = json.loads(tools_json)
    except ValueError:
        return None
    return tools if isinstance(tools, list) else None


# ---------------------------------------------------------------- messages


@dataclass(slots=True)
class Entries:
    """The `messages` entries of a conversation and, for each, where it came from: the
    message index and, for a structured tool result, its response index. `arguments` holds,
    by entry position, the JSON text of each call's arguments as an OpenAI or Anthropic
    source gave them (what `--openai` writes for that source)."""

    entries: list[dict] = field(default_factory=list)
    origins: list[tuple[int, int | None]] = field(default_factory=list)
    structured: list[bool] = field(default_factory=list)
    arguments: dict[int, list[str]] = field(default_factory=dict)
    non_representable: int = 0
    non_representable_assistant: int = 0


def conversation_entries(text: ConversationText, weights: bool) -> Entries:
    out = Entries()
    structured_tool_before = False
    for message_index, role, value in text.messages:
        # an OpenAI or Anthropic message: its text is the staging view's compact form
        from_structured = text.value_formats.get(message_index) in STRUCTURED_FORMATS
        if role == "tool" and value is not None and from_structured:
            blocks = blocks_of(value, text.blocks.get(message_index, []))
            responses = structured_tool_entries(value, blocks)
        elif role == "tool" and value is not None and not structured_tool_before:
            # a structured tool message right after another would merge into it on the way
            # back (messages_to_sharegpt joins a run of them), so only the first is structured
            responses = tool_entries(value, blocks_of(value, text.blocks.get(message_index, [])))
        else:
            responses = None
        if responses:
            out.entries.extend(responses)
            out.origins.extend((message_index, index) for index in range(len(responses)))
            out.structured.extend([True] * len(responses))
            structured_tool_before = True
            continue
        structured_tool_before = False
        entry = None
        if role in ("system", "human"):
            entry = plain_entry(role, value)
        elif role == "gpt" and value is not None and from_structured:
            cut = structured_assistant_entry(
                value, blocks_of(value, text.blocks.get(message_index, []))
            )
            if cut is not None:
                entry, arguments = cut
                if arguments:
                    out.arguments[len(out.entries)] = arguments
        elif role == "gpt" and value is not None:
            entry = assistant_entry(value, blocks_of(value, text.blocks.get(message_index, [])))
        structured = entry is not None
        if entry is None:
            entry = plain_entry(role, value)
            out.non_representable += 1
            out.non_representable_assistant += role == "gpt"
        if weights and role == "gpt":
            entry["weight"] = turn_weight(text.calls.get(message_index, []))
        out.entries.append(entry)
        out.origins.append((message_index, None))
        out.structured.append(structured)
    return out


def messages_rows(
    conversation: Conversation, text: ConversationText, options: ExportOptions
) -> Built:
    built = Built()
    entries = conversation_entries(text, options.weights)
    built.non_representable_messages = entries.non_representable
    built.non_representable_assistant_turns = entries.non_representable_assistant
    if options.exclude_malformed and entries.non_representable:
        built.excluded_by = "exclude_malformed"
        return built
    tools = parsed_tools(text.tools_json) if options.tools == "column" else None
    example = Example(source=text.messages)
    if options.openai:
        converted = openai_messages(entries, text)
        if converted is None:
            built.excluded_by = "not_openai_representable"
            return built
        messages, extras, built.ids_from_source, built.ids_generated = converted
        example.record = {"messages": messages}
        if tools is not None:
            example.record["tools"] = tools
        example.meta = {
            "id": conversation.id,
            "config": conversation.config,
            "category": conversation.category,
            "messages": extras,
        }
    else:
        example.record = {
            "id": conversation.id,
            "config": conversation.config,
            "category": conversation.category,
            "messages": entries.entries,
        }
        if options.tools == "column":
            example.record["tools"] = tools
    example.chat = example.record["messages"]
    example.tools = tools
    built.examples.append(example)
    return built


def openai_messages(
    entries: Entries, text: ConversationText
) -> tuple[list[dict], list[dict], int, int] | None:
    """The entries in exactly OpenAI's chat fine-tuning format, each message with only its
    role's keys, and the sidecar's per-message extras; None when a tool result cannot name a
    call of the assistant turn before it (a tool message the export keeps as plain text, a
    result paired with no call, or with a call of a turn kept as plain text).

    Call ids: an OpenAI or Anthropic call's own id (and its arguments as the source wrote
    them); for a Hermes call, where the source pairs it with a result (by id or by
    tracehouse's name-and-order pairing, int_tool_calls_paired) and the result has an id,
    that id. A call without one, or whose id another call of the turn has, gets a generated
    id, unique within the turn. A result takes the id of the call it is paired with."""
    messages: list[dict] = []
    extras: list[dict] = []
    call_id_of_response: dict[tuple[int, int], str] = {}
    from_source = generated = 0
    for position, (entry, (message_index, response_index), structured) in enumerate(
        zip(entries.entries, entries.origins, entries.structured, strict=True)
    ):
        role = entry["role"]
        if role in ("system", "user"):
            if not isinstance(entry["content"], str):
                return None
            messages.append({"role": role, "content": entry["content"]})
            extras.append({})
        elif role == "assistant":
            if not isinstance(entry["content"], str):
                return None
            message: dict = {"role": "assistant"}
            calls = entry.get("tool_calls")
            if entry["content"] or not calls:
                message["content"] = entry["content"]
            if calls:
                pairing = text.calls.get(message_index, [])
                if len(pairing) != len(calls):
                    return None
                texts = entries.arguments.get(position)
                if texts is None:  # a Hermes source: the result's id where it pairs
                    source_ids = [
                        pair.tool_call_id if pair.response_message_index is not None else None
                        for pair in pairing
                    ]
                    texts = [json.dumps(call["function"]["arguments"]) for call in calls]
                else:  # an OpenAI or Anthropic source: the call's own id, its arguments' text
                    source_ids = [call.get("id") for call in calls]
                ids = _call_ids(message_index, pairing, source_ids)
                message["tool_calls"] = [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": arguments},
                    }
                    for call, call_id, arguments in zip(calls, ids, texts, strict=True)
                ]
                for pair, call_id, source_id in zip(pairing, ids, source_ids, strict=True):
                    if pair.response_message_index is not None:
                        key = (pair.response_message_index, pair.response_index)
                        call_id_of_response[key] = call_id
                    if call_id == source_id:
                        from_source += 1
                    else:
                        generated += 1
            if "weight" in entry:
                message["weight"] = entry["weight"]
            messages.append(message)
            extra = {}
            if entry.get("reasoning_content") is not None:
                extra["reasoning_content"] = entry["reasoning_content"]
            extras.append(extra)
        elif role == "tool" and structured:
            call_id = call_id_of_response.get((message_index, response_index))
            if call_id is None:
                return None
            messages.append({"role": "tool", "content": entry["content"], "tool_call_id": call_id})
            extra = {"name": entry.get("name"), "tool_call_id": entry.get("tool_call_id")}
            if entry.get("is_error"):
                extra["is_error"] = True
            extras.append(extra)
        else:
            return None
    return messages, extras, from_source, generated


def _call_ids(message_index: int, pairing: list[Call], source_ids: list[str | None]) -> list[str]:
    """The ids of a turn's calls: the source's id (a Hermes call's paired result's, an OpenAI
    or Anthropic call's own) when it has one and no other call of the turn has it, else
    `call_{message}_{call}` (made unique within the turn)."""
    taken = {call_id for call_id in source_ids if call_id is not None}
    repeated = {call_id for call_id in taken if source_ids.count(call_id) > 1}
    ids = []
    for pair, call_id in zip(pairing, source_ids, strict=True):
        if call_id is None or call_id in repeated:
            call_id = f"call_{message_index}_{pair.call_index}"
            while call_id in taken:
                call_id += "_"
            taken.add(call_id)
        ids.append(call_id)
    return ids


# ---------------------------------------------------------------- sharegpt


def breaks_llamafactory_turn_order(roles: list[str | None]) -> bool:
    """LLaMA-Factory's ShareGPT rule (its SharegptDatasetConverter and supervised
    processor): after an optional leading `system`, `human` or `tool` (observation) at odd
    positions and `gpt` at even ones, an even number of them, at least two."""
    if roles and roles[0] == "system":
        roles = roles[1:]
    if not roles or len(roles) % 2:
        return True
    return any(
        role not in (("human", "tool") if position % 2 == 0 else ("gpt",))
        for position, role in enumerate(roles)
    )


def sharegpt_rows(
    conversation: Conversation, text: ConversationText, options: ExportOptions
) -> Built:
    built = Built()
    roles = [role for _, role, _ in text.messages]
    built.breaks_turn_order = breaks_llamafactory_turn_order(roles)
    if options.exclude_turn_order_breaks and built.breaks_turn_order:
        built.excluded_by = "exclude_turn_order_breaks"
        return built
    conversations = []
    for message_index, role, value in text.messages:
        message = {"from": role, "value": value}
        if options.weights and role == "gpt":
            message["weight"] = turn_weight(text.calls.get(message_index, []))
        conversations.append(message)
    record = {
        "id": conversation.id,
        "config": conversation.config,
        "category": conversation.category,
        "subcategory": conversation.subcategory,
        "task": conversation.task,
        "conversations": conversations,
    }
    if options.tools == "column":
        record["tools"] = text.tools_json  # a JSON string, as the source has it
    chat = [
        {"role": SHAREGPT_TO_ROLE.get(role, role), "content": value or ""}
        for _, role, value in text.messages
    ]
    tools = parsed_tools(text.tools_json) if options.tools == "column" else None
    built.examples.append(Example(record=record, chat=chat, tools=tools, source=text.messages))
    return built


# ---------------------------------------------------------------- prompt-response


def shown_role(role: str | None) -> str:
    return SHAREGPT_TO_ROLE.get(role, role or "unknown")


def chatml(role: str | None, value: str | None) -> str:
    return f"<|im_start|>{shown_role(role)}\n{value or ''}<|im_end|>\n"


ASSISTANT_HEADER = "<|im_start|>assistant\n"


def _escaped(value: str) -> str:
    """A string's JSON escape, without the quotes (escapes concatenate)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


# the special tokens a think block and a call are wrapped in, tags kept inside
SPECIAL_TOKENS = {
    "think": ("<|reasoning_start|>", "<|reasoning_end|>"),
    "tool_call": ("<|tool_call_start|>", "<|tool_call_end|>"),
}


def with_special_tokens(value: str, rows: list[tuple]) -> str:
    """The turn with each think block in `<|reasoning_start|>`...`<|reasoning_end|>` and each
    call in `<|tool_call_start|>`...`<|tool_call_end|>`, its tags kept; other blocks' bodies
    as they are."""
    parts = []
    for block in blocks_of(value, rows):
        tokens = SPECIAL_TOKENS.get(block.kind)
        parts.append(block.body if tokens is None else tokens[0] + block.tagged() + tokens[1])
    return "".join(parts) if parts else value


def prompt_response_rows(
    conversation: Conversation, text: ConversationText, options: ExportOptions
) -> Built:
    """One row per assistant turn. Each row's line is written from escaped pieces, so the
    prompt (the whole conversation before the turn) is escaped once per message, not once
    per row."""
    built = Built()
    head = (
        '{"id":'
        + json.dumps(conversation.id, ensure_ascii=False)
        + ',"config":'
        + json.dumps(conversation.config, ensure_ascii=False)
        + ',"category":'
        + json.dumps(conversation.category, ensure_ascii=False)
        + ',"message_index":'
    )
    header = _escaped(ASSISTANT_HEADER)
    keep_text = options.tokenizer is not None
    prompt_escaped, prompt_text, prompt_chars = "", "", 0
    for message_index, role, value in text.messages:
        if role == "gpt":
            response = value
            if options.special_tokens and value is not None:
                response = with_special_tokens(value, text.blocks.get(message_index, []))
            line = (
                f'{head}{message_index},"prompt":"{prompt_escaped}{header}","response":'
                + json.dumps(response, ensure_ascii=False)
            )
            if options.weights:
                line += f',"weight":{turn_weight(text.calls.get(message_index, []))}'
            built.examples.append(
                Example(
                    line=line + "}",
                    chars=prompt_chars + len(ASSISTANT_HEADER) + len(value or ""),
                    text=prompt_text + ASSISTANT_HEADER + (response or "") if keep_text else None,
                )
            )
        piece = chatml(role, value)
        prompt_escaped += _escaped(piece)
        prompt_chars += len(piece)
        if keep_text:
            prompt_text += piece
    return built
