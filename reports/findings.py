"""The sentences that answer each question, phrased from the rows of its report mart.

A finding states what the rows show, for each config; where the rows cannot support a
comparison (no turns after a tool result, a single category, every call succeeded) it says
that instead, never a sentence without a claim.
"""

from __future__ import annotations

from tracehouse.reports.words import many, num, pct

MIN_CALLS_FOR_RATE = 20  # a tool's failure rate is ranked only with at least this many calls
UNNAMED = "(unnamed)"  # the marts' bucket of calls whose body has no usable name: not a tool
MIN_CONVERSATIONS_FOR_RATE = 5  # likewise a category's completion rate
AFTER = {
    "tool_error": "a failed result",
    "tool_ok": "a successful result",
    "human": "a human message",
}


def think(rows, configs) -> list[str]:
    """Median think words after a failed result, a successful one and a human message."""
    sentences = []
    for config in configs:
        found = {row["preceded_by"]: row for row in rows if row["config"] == config}
        if not ("tool_ok" in found or "tool_error" in found):
            sentences.append(f"{config}: no assistant turn follows a tool result yet.")
            continue
        median = {key: row["median_think_words"] or 0 for key, row in found.items()}
        parts = ", ".join(
            f"{num(median[key])} {'words ' if i == 0 else ''}after {AFTER[key]}"
            for i, key in enumerate(key for key in AFTER if key in median)
        )
        if not any(median.values()):
            sentences.append(
                f"{config}: at least half of the assistant turns carry no reasoning, whatever "
                f"comes before them (median 0 think words after {_listed(found)})."
            )
            continue
        comparison = _compare(median)
        sentences.append(
            f"{config}: the agent {comparison} (median {parts})."
            if comparison
            else f"{config}: median think length {parts}."
        )
    return sentences


def _compare(median: dict[str, float]) -> str | None:
    """ "thinks 1.4x as much after X as after Y" for a failed against a successful result,
    and for a human message (the turn before any call) against a result; only pairs whose
    medians are both above 0."""
    result = "tool_ok" if median.get("tool_ok") else "tool_error"
    clauses = []
    for first, second in (("tool_error", "tool_ok"), ("human", result)):
        a, b = median.get(first), median.get(second)
        if not (a and b) or first == second:
            continue
        if 0.95 <= a / b <= 1.05:
            clauses.append(f"about as much after {AFTER[first]} as after {AFTER[second]}")
            continue
        more, less, ratio = (first, second, a / b) if a > b else (second, first, b / a)
        clauses.append(f"{ratio:.1f}x as much after {AFTER[more]} as after {AFTER[less]}")
    return "thinks " + ", and ".join(clauses) if clauses else None


def _listed(found: dict) -> str:
    names = [AFTER[key] for key in AFTER if key in found]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def completion(rows, configs) -> list[str]:
    """The category that most often ends without an answer, beside the config's overall rate."""
    sentences = []
    for config in configs:
        overall = next(
            (row for row in rows if row["config"] == config and row["is_all_categories"]), None
        )
        found = [
            row
            for row in rows
            if row["config"] == config and not row["is_all_categories"] and row["conversations"]
        ]
        if overall is None or not found:
            continue
        conversations = many(overall["conversations"], "conversation")
        if not overall["incomplete_rate"]:
            sentences.append(
                f"{config}: its only conversation ends with an answer."
                if overall["conversations"] == 1
                else f"{config}: all {conversations} end with an answer."
            )
            continue
        if len(found) == 1:
            sentences.append(
                f"{config}: conversations without an answer: {pct(overall['incomplete_rate'])} "
                f"of {conversations}, all in one category ({found[0]['category']})."
            )
            continue
        floor = min(MIN_CONVERSATIONS_FOR_RATE, max(row["conversations"] for row in found))
        ranked = [row for row in found if row["conversations"] >= floor]
        worst = max(ranked, key=lambda row: (row["incomplete_rate"], row["conversations"]))
        its = many(worst["conversations"], "conversation")
        sentences.append(
            f"{config}: {worst['category']} fails to complete most often, in "
            f"{pct(worst['incomplete_rate'])} of its {its} "
            f"(overall {pct(overall['incomplete_rate'])} of {conversations})."
        )
    return sentences


def usage(rows, configs) -> list[str]:
    """The least-squares trend of tool calls on conversation length, per config."""
    sentences = []
    for config in configs:
        row = next((row for row in rows if row["config"] == config), None)
        if row is None:
            continue
        conversations = many(row["config_conversations"], "conversation")
        slope = row["trend_slope"]
        if slope is None:
            sentences.append(
                f"{config}: no trend can be fitted from a single conversation."
                if row["config_conversations"] == 1
                else f"{config}: no trend can be fitted: all {conversations} have the same length."
            )
            continue
        change = f"{slope:.2f} more" if slope >= 0 else f"{-slope:.2f} fewer"
        correlation = row["trend_correlation"]
        over = (
            f"correlation {correlation:.2f} over {conversations}"
            if correlation is not None
            else f"over {conversations}"
        )
        sentences.append(f"{config}: each extra message comes with {change} tool calls ({over}).")
    return sentences


def tools(rows, configs) -> list[str]:
    """The tool with the highest failure rate (among tools called often enough to rank), and
    the one with the most failures when that is another. Calls with no usable name are no
    tool: they are never ranked, and named only when no named tool failed."""
    sentences = []
    for config in configs:
        of_config = [row for row in rows if row["config"] == config and not row["is_all_configs"]]
        if not of_config:
            sentences.append(f"{config}: no tool calls yet.")
            continue
        calls = sum(row["calls"] for row in of_config)
        unnamed_failures = sum(
            row["failed_calls"] for row in of_config if row["tool_name"] == UNNAMED
        )
        found = [row for row in of_config if row["tool_name"] != UNNAMED]
        if not any(row["failed_calls"] for row in found):
            sentences.append(
                f"{config}: none of its {many(calls, 'tool call')} failed."
                if not unnamed_failures
                else f"{config}: no named tool failed; {many(unnamed_failures, 'call')} with no "
                "usable tool name did."
            )
            continue
        floor = min(MIN_CALLS_FOR_RATE, max(1, calls // 100))
        ranked = [row for row in found if row["calls"] >= floor] or found
        worst = max(ranked, key=lambda row: (row["error_rate"], row["calls"]))
        most = max(found, key=lambda row: (row["failed_calls"], row["calls"]))
        sentence = (
            f"{config}: {worst['tool_name']} fails most often ({pct(worst['error_rate'])} of "
            f"{many(worst['calls'], 'call')})"
        )
        if most["tool_name"] != worst["tool_name"]:
            sentence += (
                f"; {most['tool_name']} fails most in number "
                f"({many(most['failed_calls'], 'failure')})"
            )
        sentences.append(sentence + ".")
    return sentences
