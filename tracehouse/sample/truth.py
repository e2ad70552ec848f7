"""Ground truth: the generator's own records of what it wrote, counted by the shared rules.

The builder records every think block, call and response as it writes it (name, whether the
body is valid JSON, the error_kind it chose, ...). The counts here apply the rules of
`dbt_project/models/_definitions.md` (pairing, failures, turn_kind, preceded_by, outcome) to
those records, never to the text, so the dbt marts can be tested against them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ROLES = ("system", "human", "gpt", "tool")
ERROR_KINDS = (
    "exit_code",
    "error_field",
    "success_false",
    "status_error",
    "traceback",
    "error_text",
)
TURN_KINDS = ("reasoning_and_tool", "reasoning_only", "tool_only", "neither")
PRECEDED_BY = ("human", "tool_ok", "tool_error", "none")
OUTCOMES = ("answered", "answered_after_unresolved_error", "iteration_limit", "cut_off", "empty")
ITERATION_LIMIT_MARK = "maximum number of tool-calling iterations"


@dataclass(frozen=True)
class CallRecord:
    """One `<tool_call>` block as written."""

    name: str | None  # the rules' tool_name: None unless a JSON object with a string name
    valid_json: bool
    malformed: bool
    declared: bool


@dataclass(frozen=True)
class ResponseRecord:
    """One `<tool_response>` block as written."""

    name: str | None  # the block's `name` as the rules read it (None when absent / not JSON)
    error_kind: str | None  # None when the strict rules say ok
    legacy: bool  # the tutorial's substring rule, were this the message's first block


@dataclass(frozen=True)
class ThinkRecord:
    words: int
    unclosed: bool = False
    unopened: bool = False


@dataclass
class MessageRecord:
    """One message: its text and, for gpt and tool messages, what it holds."""

    role: str
    value: str
    thinks: list[ThinkRecord] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    has_text: bool = False
    responses: list[ResponseRecord] = field(default_factory=list)
    # What the message was written from, for the structured shapes (tracehouse.sample.shapes):
    # AssistantParts for gpt, a list of ResultPart for tool, None for system and human.
    detail: Any = None

    @property
    def failed(self) -> bool:
        return any(response.error_kind for response in self.responses)


def pair_calls(calls: list[str | None], responses: list[str | None]) -> list[int | None]:
    """For each call, the index of its paired response (rules: by name and order, then order)."""
    paired: list[int | None] = [None] * len(calls)
    used = [False] * len(responses)
    for name in dict.fromkeys(n for n in calls if n is not None):
        call_slots = [i for i, n in enumerate(calls) if n == name]
        response_slots = [j for j, n in enumerate(responses) if n == name]
        for i, j in zip(call_slots, response_slots, strict=False):
            paired[i] = j
            used[j] = True
    left_calls = [i for i, j in enumerate(paired) if j is None]
    left_responses = [j for j, taken in enumerate(used) if not taken]
    for i, j in zip(left_calls, left_responses, strict=False):
        paired[i] = j
    return paired


def turn_kind(message: MessageRecord) -> str:
    reasoning = sum(think.words for think in message.thinks) > 0
    if message.calls:
        return "reasoning_and_tool" if reasoning else "tool_only"
    return "reasoning_only" if reasoning else "neither"


def preceded_by(previous: MessageRecord | None) -> str:
    if previous is None:
        return "none"
    if previous.role == "human":
        return "human"
    if previous.role == "tool":
        return "tool_error" if previous.failed else "tool_ok"
    return "none"


def outcome(messages: list[MessageRecord]) -> str:
    """The first outcome rule that holds."""
    if not any(m.role == "gpt" for m in messages):
        return "empty"
    if any(m.role == "human" and ITERATION_LIMIT_MARK in m.value for m in messages):
        return "iteration_limit"
    last = messages[-1]
    if last.role != "gpt" or last.calls:
        return "cut_off"
    last_tool = next((m for m in reversed(messages[:-1]) if m.role == "tool"), None)
    if last_tool is not None and last_tool.failed:
        return "answered_after_unresolved_error"
    return "answered"


def empty_counts() -> dict[str, Any]:
    """Every ground-truth key, zeroed, in a stable order."""
    return {
        "conversations": 0,
        "messages": 0,
        "messages_by_role": dict.fromkeys(ROLES, 0),
        "message_chars": 0,
        "assistant_turns": 0,
        "calling_turns": 0,
        "tool_calls": 0,
        "malformed_tool_calls": 0,
        "invalid_json_tool_calls": 0,
        "undeclared_tool_calls": 0,
        "tool_calls_by_name": {},
        "tool_responses": 0,
        "failed_tool_calls": 0,
        "no_response_tool_calls": 0,
        "failed_responses": 0,
        "failed_responses_by_kind": dict.fromkeys(ERROR_KINDS, 0),
        "legacy_errors": 0,
        "parallel_turns": 0,
        "parallel_width_counts": {},
        "think_blocks": 0,
        "empty_think_blocks": 0,
        "unclosed_think_turns": 0,
        "unopened_think_turns": 0,
        "think_words": 0,
        "calling_turns_with_visible_text": 0,
        "assistant_turns_with_visible_text": 0,
        "turn_kind_counts": dict.fromkeys(TURN_KINDS, 0),
        "preceded_by_counts": dict.fromkeys(PRECEDED_BY, 0),
        "outcome_counts": dict.fromkeys(OUTCOMES, 0),
        "conversations_with_failure": 0,
        "duplicate_ids": 0,
        "categories": {},
    }


def _count_gpt(
    counts: dict[str, Any],
    message: MessageRecord,
    previous: MessageRecord | None,
    following: MessageRecord | None,
) -> int:
    """Add one assistant turn; return how many of its calls got a failed response."""
    counts["assistant_turns"] += 1
    counts["turn_kind_counts"][turn_kind(message)] += 1
    counts["preceded_by_counts"][preceded_by(previous)] += 1
    counts["think_blocks"] += len(message.thinks)
    counts["empty_think_blocks"] += sum(1 for think in message.thinks if think.words == 0)
    counts["unclosed_think_turns"] += any(think.unclosed for think in message.thinks)
    counts["unopened_think_turns"] += any(think.unopened for think in message.thinks)
    counts["think_words"] += sum(think.words for think in message.thinks)
    counts["assistant_turns_with_visible_text"] += message.has_text
    if not message.calls:
        return 0
    counts["calling_turns"] += 1
    counts["calling_turns_with_visible_text"] += message.has_text
    width = str(len(message.calls))
    counts["parallel_width_counts"][width] = counts["parallel_width_counts"].get(width, 0) + 1
    counts["parallel_turns"] += len(message.calls) >= 2
    by_name: Counter[str] = Counter()
    for call in message.calls:
        counts["tool_calls"] += 1
        counts["malformed_tool_calls"] += call.malformed
        counts["invalid_json_tool_calls"] += not call.valid_json
        if not call.malformed and call.name is not None:
            by_name[call.name] += 1
            counts["undeclared_tool_calls"] += not call.declared
    for name, n in by_name.items():
        counts["tool_calls_by_name"][name] = counts["tool_calls_by_name"].get(name, 0) + n
    responses = following.responses if following is not None and following.role == "tool" else []
    pairs = pair_calls([c.name for c in message.calls], [r.name for r in responses])
    failed = 0
    for j in pairs:
        if j is None:
            counts["no_response_tool_calls"] += 1
        elif responses[j].error_kind:
            failed += 1
    counts["failed_tool_calls"] += failed
    return failed


def _count_tool(counts: dict[str, Any], message: MessageRecord) -> None:
    counts["tool_responses"] += len(message.responses)
    for response in message.responses:
        if response.error_kind:
            counts["failed_responses"] += 1
            counts["failed_responses_by_kind"][response.error_kind] += 1
    if message.responses and message.responses[0].legacy:
        counts["legacy_errors"] += 1


def count_conversation(
    counts: dict[str, Any], messages: list[MessageRecord], category: str
) -> dict[str, Any]:
    """Add one conversation to `counts`; return its per-conversation summary."""
    counts["conversations"] += 1
    counts["categories"][category] = counts["categories"].get(category, 0) + 1
    failed_calls = 0
    for index, message in enumerate(messages):
        counts["messages"] += 1
        counts["messages_by_role"][message.role] += 1
        counts["message_chars"] += len(message.value)
        if message.role == "gpt":
            previous = messages[index - 1] if index > 0 else None
            following = messages[index + 1] if index + 1 < len(messages) else None
            failed_calls += _count_gpt(counts, message, previous, following)
        elif message.role == "tool":
            _count_tool(counts, message)
    result = outcome(messages)
    counts["outcome_counts"][result] += 1
    counts["conversations_with_failure"] += any(m.failed for m in messages)
    return {
        "outcome": result,
        "tool_calls": sum(len(m.calls) for m in messages),
        "failed_tool_calls": failed_calls,
        "messages": len(messages),
    }


def add_counts(total: dict[str, Any], part: dict[str, Any]) -> None:
    """total += part, key by key (nested dicts are summed by key)."""
    for key, value in part.items():
        if isinstance(value, dict):
            target = total.setdefault(key, {})
            for name, n in value.items():
                target[name] = target.get(name, 0) + n
        else:
            total[key] = total.get(key, 0) + value


def finish_counts(counts: dict[str, Any]) -> dict[str, Any]:
    """Sort the open-ended dicts so the JSON is stable."""
    for key in ("tool_calls_by_name", "categories"):
        counts[key] = dict(sorted(counts[key].items()))
    counts["parallel_width_counts"] = dict(
        sorted(counts["parallel_width_counts"].items(), key=lambda item: int(item[0]))
    )
    return counts
