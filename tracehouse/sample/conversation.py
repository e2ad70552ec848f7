"""Build one synthetic conversation, recording what every message holds as it is written.

A conversation is planned first (category, tool set, how it ends, which rare quirks it must
carry), then written message by message. Every gpt and tool message is assembled from parts
whose nature the builder decides (a think block of N words, a call that is truncated JSON, a
response that fails with `status_error`, ...), and those decisions are kept as records for the
ground truth (see `tracehouse.sample.truth`).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

from tracehouse.sample.results import (
    ALWAYS_FAILS,
    ERROR_TEXTS,
    Args,
    Content,
    arguments,
    failure_kinds,
    failure_result,
    malformed_result,
    natural_failure_kind,
    ok_result,
    undeclared_result,
)
from tracehouse.sample.shapes import AssistantParts, CallPart, ResultPart
from tracehouse.sample.text import (
    FOLLOW_UPS,
    ITERATION_LIMIT,
    MODULE_TRACEBACK,
    SHORT_REPLIES,
    call_preamble,
    final_answer_text,
    reasoning_text,
    task_text,
)
from tracehouse.sample.tools import SYSTEM_PROMPTS, TOOL_SETS
from tracehouse.sample.truth import CallRecord, MessageRecord, ResponseRecord, ThinkRecord

MAX_MESSAGES = 54
MALFORMED_NAME = "invalid_tool_call"
UNDECLARED_NAMES = (" functions process", "ls", "writ", " functions_terminal")
STRAY_TEXTS = ("_transfer", "Waiting for the results.", "(continued)")

# How a conversation ends, and how many messages that ending adds after the last tool message.
ENDING_MESSAGES = {
    "answered": 1,
    "unresolved": 1,
    "iteration_limit": 2,
    "cut_off_tool": 0,
    "cut_off_call": 1,
    "cut_off_human": 2,
    "thanks": 3,
    "empty": 0,
}
# Quirks placed on one calling turn each. `glm_` ones are written only in glm-style configs.
TURN_FEATURES = (
    "empty_think",
    "unclosed_think",
    "unopened_think",
    "no_think",
    "invalid_json_call",
    "non_object_call",
    "nameless_call",
    "unclosed_call",
    "undeclared_call",
    "closing_tag_in_argument",
    "stray_text",
    "missing_response",
    "parallel_one_failed",
    "reordered_responses",
    "dropped_tool_message",
    "hostile_html",
    "traceback_exit_code",
    "fail_exit_code",
    "fail_error_field",
    "fail_success_false",
    "fail_status_error",
    "fail_traceback",
    "fail_error_text",
)
LEGACY_FEATURES = ("legacy_no_call_id", "legacy_plain_content", "legacy_non_json")
ENDING_FEATURES = (
    "empty",
    "iteration_limit",
    "cut_off_tool",
    "cut_off_call",
    "cut_off_human",
    "unresolved",
    "thanks",
)

# Relative call frequencies (kimi card), restricted to the row's tool set when drawn.
TOOL_WEIGHTS = {
    "terminal": 45.0,
    "read_file": 12.0,
    "search_files": 10.0,
    "write_file": 9.0,
    "patch": 1.4,
    "process": 0.8,
    "todo": 4.0,
    "session_search": 2.0,
    "skill_view": 3.0,
    "skills_list": 2.0,
    "clarify": 0.8,
    "delegate_task": 2.0,
    "memory": 2.0,
    "execute_code": 2.0,
    "skill_manage": 1.5,
    "browser_snapshot": 30.0,
    "browser_navigate": 25.0,
    "browser_scroll": 18.0,
    "browser_click": 18.0,
    "browser_vision": 7.0,
    "browser_close": 3.5,
    "browser_type": 2.5,
    "browser_press": 2.0,
    "browser_back": 1.0,
    "browser_console": 0.6,
    "browser_get_images": 0.5,
}


@dataclass(frozen=True)
class Style:
    """What makes a config look like its model: lengths, rates and id style."""

    name: str
    think_words: float  # mean words per non-empty think block
    think_sigma: float
    calling_turns: float  # mean calling turns per conversation
    width_weights: tuple[float, float, float, float]  # calling turns with 1, 2, 3, 4 calls
    visible_text_rate: float  # calling turns with text before the calls
    empty_think_rate: float
    no_think_rate: float
    fail_rate: float  # per response
    follow_up_rate: float
    output_scale: float  # stretches command output and file contents
    glm_ids: bool
    legacy_rate: float  # responses in the older Hermes style (glm only)
    ending_weights: dict[str, float]
    category_weights: dict[str, int]
    agent_set_share: float  # Agent Tools rows that declare the 15 agent tools


@dataclass
class ConversationPlan:
    row_index: int
    category: str
    subcategory: str
    tool_set: str
    ending: str
    features: list[str] = field(default_factory=list)


@dataclass
class PlannedCall:
    """A call as written, and what its response should be made from."""

    record: CallRecord
    text: str
    response_name: str
    tool: str | None  # a declared tool to run, or None (malformed / undeclared)
    args: Args
    call_id: str = ""
    kind: str = "ok"  # ok, invalid_json, unclosed, non_object, nameless (CallPart.kind)
    meant: str = ""  # the tool name the model meant to call

    def part(self) -> CallPart:
        return CallPart(self.call_id, self.kind, self.meant, self.args)


@dataclass
class PlannedResponse:
    name: str
    call_id: str
    content: Content
    kind: str | None
    style: str = "standard"  # standard, no_call_id, non_json


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _lognormal_words(rng: random.Random, mean: float, sigma: float) -> int:
    mu = math.log(mean) - sigma * sigma / 2
    return max(8, min(int(mean * 8), int(rng.lognormvariate(mu, sigma))))


class ConversationBuilder:
    """Writes one conversation and keeps a MessageRecord for every message."""

    def __init__(self, rng: random.Random, style: Style, plan: ConversationPlan) -> None:
        self.rng = rng
        self.style = style
        self.plan = plan
        self.tools = TOOL_SETS[plan.tool_set]
        self.weights = [TOOL_WEIGHTS[name] for name in self.tools]
        self.messages: list[MessageRecord] = []
        self.call_number = 0
        self.last_result: tuple[str, Content, str | None] | None = None
        self.task, self.first_message = task_text(rng, plan.subcategory)

    # --- whole conversation -----------------------------------------------------------------

    def build(self) -> list[MessageRecord]:
        self._add(MessageRecord("system", SYSTEM_PROMPTS[self.plan.tool_set]))
        self._add(MessageRecord("human", self.first_message))
        ending = self.plan.ending
        if ending == "empty":
            return self.messages
        features = list(self.plan.features)
        episodes = self._episode_turns(len(features))
        for index, turns in enumerate(episodes):
            if index > 0:
                self._add(MessageRecord("human", self.rng.choice(FOLLOW_UPS)))
                self.last_result = None
            for turn in range(turns):
                is_last = index == len(episodes) - 1 and turn == turns - 1
                feature = features.pop(0) if features and not is_last else None
                final_state = None
                if is_last and ending in ("answered", "thanks"):
                    final_state = "ok"
                elif is_last and ending == "unresolved":
                    final_state = "fail"
                self._calling_turn(feature, final_state)
            if index < len(episodes) - 1:
                self._final_answer()
        self._end(ending)
        return self.messages

    def _episode_turns(self, feature_count: int) -> list[int]:
        """Calling turns per human request, within the 54-message cap."""
        style, rng = self.style, self.rng
        episodes = 1
        while episodes < 3 and rng.random() < style.follow_up_rate:
            episodes += 1
        fixed = 2 + ENDING_MESSAGES[self.plan.ending] + 2 * (episodes - 1)
        most = (MAX_MESSAGES - fixed) // 2
        if self.plan.category == "Conversational":
            return [0] * episodes
        if self.plan.ending == "iteration_limit":
            total = rng.randint(max(1, most - 6), most)
        else:
            total = int(rng.gammavariate(2.0, style.calling_turns / 2.0)) + 1
        total = max(feature_count + 1, min(total, most))
        shares = [total]
        for _ in range(episodes - 1):
            moved = rng.randint(0, shares[0] - 1)
            shares[0] -= moved
            shares.append(moved)
        if shares[-1] == 0:
            shares[-1], shares[0] = 1, shares[0] - 1
        return shares

    def _end(self, ending: str) -> None:
        if ending in ("answered", "unresolved"):
            self._final_answer()
        elif ending == "iteration_limit":
            self._add(MessageRecord("human", ITERATION_LIMIT))
            self._final_answer()
        elif ending == "cut_off_call":
            self._calling_turn("dropped_tool_message", None)
        elif ending == "cut_off_human":
            self._final_answer()
            self._add(MessageRecord("human", self.rng.choice(FOLLOW_UPS)))
        elif ending == "thanks":
            self._final_answer()
            self._add(MessageRecord("human", "Thanks, that's all I needed."))
            reply = self.rng.choice(SHORT_REPLIES)
            detail = AssistantParts(None, "none", reply)
            self._add(MessageRecord("gpt", reply, has_text=True, detail=detail))

    def _add(self, message: MessageRecord) -> None:
        self.messages.append(message)

    # --- reasoning --------------------------------------------------------------------------

    def _lead(self, answering: bool) -> list[str]:
        """Opening sentences tying the reasoning to what just happened."""
        previous = self.messages[-1]
        if previous.value == ITERATION_LIMIT:
            return ["I've hit the iteration limit, so I should summarize what I have so far."]
        if answering:
            return ["I have enough information now to give the user a clear answer."]
        if self.last_result is None:
            request = previous.value if previous.role == "human" else self.task
            return [f"The user wants me to handle this: {request.splitlines()[0][:120]}"]
        tool, content, kind = self.last_result
        if kind is None:
            return [f"The {tool.strip()} call worked.", "Let me continue with the next step."]
        if isinstance(content, dict):
            detail = content.get("error") or content.get("message") or content.get("status")
            detail = detail or f"exit code {content.get('exit_code')}"
        else:
            detail = content.splitlines()[0]
        return [
            f"The {tool.strip()} call failed ({str(detail)[:80]}).",
            self.rng.choice(
                (
                    "Let me try a different approach.",
                    "I'll retry with a fix.",
                    "Let me look closer.",
                )
            ),
        ]

    def _reasoning(self, answering: bool = False) -> tuple[str, int]:
        """A think body and its word count (Python's len(text.split()))."""
        words = _lognormal_words(self.rng, self.style.think_words, self.style.think_sigma)
        text = reasoning_text(self.rng, self._lead(answering), words)
        return text, len(text.split())

    def _final_answer(self) -> None:
        text, words = self._reasoning(answering=True)
        answer = final_answer_text(self.rng)
        value = f"<think>\n{text}\n</think>\n{answer}"
        detail = AssistantParts(text, "closed", answer)
        self._add(
            MessageRecord("gpt", value, thinks=[ThinkRecord(words)], has_text=True, detail=detail)
        )
        self.last_result = None

    # --- calling turns ----------------------------------------------------------------------

    def _calling_turn(self, feature: str | None, final_state: str | None) -> None:
        """One gpt message with calls, then (usually) the tool message answering them."""
        calls = self._plan_calls(feature, final_state)
        self._write_gpt(calls, feature)
        if feature == "dropped_tool_message":
            self.last_result = None
            return
        responses = [self._plan_response(call, feature, final_state) for call in calls]
        self._force_state(calls, responses, feature, final_state)
        if feature == "missing_response":
            del responses[self.rng.randrange(len(responses))]
        elif feature == "reordered_responses":
            responses.reverse()
        self._write_tool(responses)

    def _width(self, feature: str | None) -> int:
        if feature in ("missing_response", "parallel_one_failed"):
            return self.rng.randint(2, 4)
        if feature == "reordered_responses":
            return 2
        if feature is not None:
            return 1
        return self.rng.choices((1, 2, 3, 4), weights=self.style.width_weights)[0]

    def _pick_tool(self, exclude: tuple[str, ...] = ()) -> str:
        for _ in range(20):
            tool = self.rng.choices(self.tools, weights=self.weights)[0]
            if tool not in exclude:
                return tool
        return "terminal"

    def _pick_tools(self, width: int, feature: str | None, final_state: str | None) -> list[str]:
        exclude = ("clarify",) if final_state == "ok" or feature else ()
        if feature == "reordered_responses":
            first = self._pick_tool()
            return [first, self._pick_tool(exclude=(first,))]
        if feature and feature.startswith("fail_"):
            kind = feature.removeprefix("fail_")
            able = [t for t in self.tools if kind in failure_kinds(t) and t not in ALWAYS_FAILS]
            return [self.rng.choice(able)]
        if feature == "hostile_html":
            return ["browser_snapshot" if "browser_snapshot" in self.tools else "terminal"]
        if feature in ("traceback_exit_code", "legacy_plain_content", "closing_tag_in_argument"):
            if feature == "closing_tag_in_argument" and "write_file" in self.tools:
                return ["write_file"]
            return ["terminal"]
        if self.last_result is not None and self.last_result[2] and self.rng.random() < 0.5:
            retry = self.last_result[0]
            if retry in self.tools and retry not in ALWAYS_FAILS:
                return [retry] + [self._pick_tool(exclude) for _ in range(width - 1)]
        if width > 1 and self.rng.random() < 0.5:
            return [self._pick_tool(exclude)] * width
        return [self._pick_tool(exclude) for _ in range(width)]

    def _plan_calls(self, feature: str | None, final_state: str | None) -> list[PlannedCall]:
        tools = self._pick_tools(self._width(feature), feature, final_state)
        calls = [self._declared_call(tool, feature) for tool in tools]
        if feature in ("invalid_json_call", "non_object_call", "nameless_call", "unclosed_call"):
            calls[-1] = self._malformed_call(calls[-1], feature)
        elif feature == "undeclared_call":
            calls[-1] = self._undeclared_call()
        for call in calls:
            call.call_id = self._call_id(call.response_name)
        return calls

    def _declared_call(self, tool: str, feature: str | None) -> PlannedCall:
        args = arguments(self.rng, tool, self.style.output_scale)
        if feature == "closing_tag_in_argument":
            if tool == "write_file":
                args["content"] = 'END_TAG = "</tool_call>"\n' + str(args["content"])
            else:
                args = {"command": "echo '</tool_call>' >> parser_fixtures.txt"}
        elif feature == "hostile_html" and tool == "terminal":
            args = {"command": "curl -s http://localhost:8000/comments"}
        text = "<tool_call>\n" + _dump({"name": tool, "arguments": args}) + "\n</tool_call>"
        record = CallRecord(name=tool, valid_json=True, malformed=False, declared=True)
        return PlannedCall(record, text, tool, tool, args, meant=tool)

    def _malformed_call(self, call: PlannedCall, feature: str) -> PlannedCall:
        name, args = call.tool, call.args
        kind = {
            "invalid_json_call": "invalid_json",
            "non_object_call": "non_object",
            "nameless_call": "nameless",
        }.get(feature, "unclosed")
        if feature == "invalid_json_call":
            body, valid = _dump({"name": name, "arguments": args})[:-1], False
        elif feature == "non_object_call":
            body, valid = _dump([name, args]), True
        elif feature == "nameless_call":
            body, valid = _dump({"function": name, "arguments": args}), True
        else:  # unclosed: truncated JSON running to the end of the message
            full = _dump({"name": name, "arguments": args})
            body, valid = full[: max(12, len(full) // 2)], False
        closing = "" if feature == "unclosed_call" else "\n</tool_call>"
        record = CallRecord(name=None, valid_json=valid, malformed=True, declared=False)
        text = f"<tool_call>\n{body}{closing}"
        return PlannedCall(record, text, MALFORMED_NAME, None, args, kind=kind, meant=call.meant)

    def _undeclared_call(self) -> PlannedCall:
        name = self.rng.choice(UNDECLARED_NAMES)
        args = {"path": "."} if name != "writ" else {"path": "notes.md", "content": "draft\n"}
        text = "<tool_call>\n" + _dump({"name": name, "arguments": args}) + "\n</tool_call>"
        record = CallRecord(name=name, valid_json=True, malformed=False, declared=False)
        return PlannedCall(record, text, name, None, args, meant=name)

    def _write_gpt(self, calls: list[PlannedCall], feature: str | None) -> None:
        """Assemble the calling gpt message from its parts, recording each part."""
        rng, style = self.rng, self.style
        body = "\n".join(call.text for call in calls)
        trailing = "\n " + rng.choice(STRAY_TEXTS) if feature == "stray_text" else ""
        body += trailing
        preamble = ""
        plain = feature in (None, "no_think", "empty_think", "unopened_think", "stray_text")
        if feature != "unclosed_call" and plain and rng.random() < style.visible_text_rate:
            preamble = call_preamble(rng) + "\n"
        has_text = bool(preamble) or feature == "stray_text"
        thinks: list[ThinkRecord] = []
        think, think_style = None, "none"
        natural_empty = feature is None and rng.random() < style.empty_think_rate
        natural_none = feature is None and rng.random() < style.no_think_rate
        if feature == "no_think" or natural_none:
            value = preamble + body
        elif feature == "empty_think" or natural_empty:
            value = "<think>\n</think>\n" + preamble + body
            thinks.append(ThinkRecord(0))
            think, think_style = "", "closed"
        else:
            text, words = self._reasoning()
            think = text
            think_style = {"unclosed_think": "unclosed", "unopened_think": "unopened"}.get(
                feature or "", "closed"
            )
            if feature == "unclosed_think":
                value = f"<think>\n{text}\n{body}"
                thinks.append(ThinkRecord(words, unclosed=True))
            elif feature == "unopened_think":
                value = f"{text.lstrip()}\n</think>\n{preamble}{body}"
                thinks.append(ThinkRecord(words, unopened=True))
            else:
                value = f"<think>\n{text}\n</think>\n{preamble}{body}"
                thinks.append(ThinkRecord(words))
        records = [call.record for call in calls]
        detail = AssistantParts(
            think, think_style, preamble, tuple(c.part() for c in calls), trailing
        )
        self._add(
            MessageRecord(
                "gpt", value, thinks=thinks, calls=records, has_text=has_text, detail=detail
            )
        )

    # --- responses --------------------------------------------------------------------------

    def _plan_response(
        self, call: PlannedCall, feature: str | None, final_state: str | None
    ) -> PlannedResponse:
        rng, style = self.rng, self.style
        if call.tool is None:
            content = (
                undeclared_result(call.response_name)
                if call.response_name != MALFORMED_NAME
                else malformed_result()
            )
            return PlannedResponse(call.response_name, call.call_id, content, "error_field")
        tool = call.tool
        kind: str | None = None
        if feature and feature.startswith("fail_"):
            kind = feature.removeprefix("fail_")
        elif feature == "legacy_non_json":
            kind = "error_text"
        elif tool in ALWAYS_FAILS:
            kind = ALWAYS_FAILS[tool]
        elif final_state != "ok" and feature is None and rng.random() < self._fail_rate(tool):
            kind = natural_failure_kind(rng, tool)
        if feature == "traceback_exit_code":
            content: Content = {"output": MODULE_TRACEBACK, "exit_code": 1, "error": None}
            return PlannedResponse(tool, call.call_id, content, "exit_code")
        if kind is None:
            hostile = feature == "hostile_html" or (
                tool == "browser_snapshot" and rng.random() < 0.03
            )
            content = ok_result(rng, tool, call.args, style.output_scale, hostile)
        else:
            content = failure_result(rng, tool, call.args, kind)
        response = PlannedResponse(tool, call.call_id, content, kind)
        return self._legacy_style(response, feature)

    def _fail_rate(self, tool: str) -> float:
        if tool == "session_search":
            return 0.5
        if tool == "memory":
            return 0.3
        return self.style.fail_rate

    def _legacy_style(self, response: PlannedResponse, feature: str | None) -> PlannedResponse:
        """glm: a few responses in the older Hermes style (no id, plain text, not JSON)."""
        if not self.style.glm_ids:
            return response
        roll = self.rng.random() if feature is None else 1.0
        rate = self.style.legacy_rate
        if feature == "legacy_no_call_id" or roll < rate / 3:
            response.style = "no_call_id"
        elif feature == "legacy_plain_content" or roll < 2 * rate / 3:
            if response.kind is None and response.name == "terminal":
                response.content = str(response.content["output"]) or "(no output)"
            elif response.kind is not None:
                response.content, response.kind = self.rng.choice(ERROR_TEXTS), "error_text"
        elif (feature == "legacy_non_json" or roll < rate) and response.kind is not None:
            response.content, response.kind = self.rng.choice(ERROR_TEXTS), "error_text"
            response.style = "non_json"
        return response

    def _force_state(
        self,
        calls: list[PlannedCall],
        responses: list[PlannedResponse],
        feature: str | None,
        final_state: str | None,
    ) -> None:
        """Make the turn's failures match what the plan needs."""
        rng = self.rng
        if feature == "parallel_one_failed":
            index = rng.randrange(len(responses))
            for i, (call, response) in enumerate(zip(calls, responses, strict=True)):
                tool = call.tool or "terminal"
                if i == index:
                    response.kind = rng.choice(failure_kinds(tool))
                    response.content = failure_result(rng, tool, call.args, response.kind)
                else:
                    response.kind = None
                    response.content = ok_result(
                        rng, tool, call.args, self.style.output_scale, False
                    )
                response.style = "standard"
        elif final_state == "fail" and not any(r.kind for r in responses):
            call, response = calls[0], responses[0]
            tool = call.tool or "terminal"
            response.kind = rng.choice(failure_kinds(tool))
            response.content = failure_result(rng, tool, call.args, response.kind)
            response.style = "standard"

    def _write_tool(self, responses: list[PlannedResponse]) -> None:
        blocks: list[str] = []
        records: list[ResponseRecord] = []
        parts: list[ResultPart] = []
        for response in responses:
            text, record = self._response_block(response)
            blocks.append(text)
            records.append(record)
            failed = response.kind is not None
            parts.append(ResultPart(response.name, response.content, response.style, failed))
        self._add(MessageRecord("tool", "\n".join(blocks), responses=records, detail=parts))
        failed = next((r for r in responses if r.kind), None)
        shown = failed or responses[0]
        self.last_result = (shown.name, shown.content, shown.kind)

    def _call_id(self, name: str) -> str:
        number = self.call_number
        self.call_number += 1
        if self.style.glm_ids:
            return f"call_{self.rng.getrandbits(96):024x}"
        return f"functions.{name}:{number}"

    def _response_block(self, response: PlannedResponse) -> tuple[str, ResponseRecord]:
        call_id = response.call_id
        if response.style == "non_json":
            body = str(response.content)
            dumped = json.dumps(body).lower()
            name = None
        else:
            block: dict[str, Any] = {"tool_call_id": call_id, "name": response.name}
            if response.style == "no_call_id":
                del block["tool_call_id"]
            block["content"] = response.content
            body = _dump(block)
            dumped = json.dumps(block).lower()
            name = response.name
        legacy = "error" in dumped or '"exit_code": 1' in dumped or "traceback" in dumped
        record = ResponseRecord(name=name, error_kind=response.kind, legacy=legacy)
        return f"<tool_response>\n{body}\n</tool_response>", record
