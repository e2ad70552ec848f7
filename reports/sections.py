"""The page's sections: the report mart each one reads, and the chart and finding drawn
from it. This list drives the page: `tracehouse report` reads exactly these marts, and
refuses a warehouse that lacks one.

A new chart is one mart in dbt_project/models/marts/report/ (its SQL and its entry in
_report__models.yml, and a ref in the report exposure of models/_exposures.yml), one
function in charts.py, one line here and one block in templates/report.html.j2, which finds
the chart as `charts.<name>` and the rows as `rows.<name>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracehouse.reports import charts, findings

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Section:
    name: str  # how the template names the rows, chart and finding
    mart: str  # the report mart in schema marts
    order_by: tuple[str, ...]  # columns (maybe "name desc") the rows come sorted by
    chart: Callable[[Rows, list[str]], str] | None = None  # (rows, configs) -> <svg>
    finding: Callable[[Rows, list[str]], list[str]] | None = None  # (rows, configs) -> sentences


SECTIONS: tuple[Section, ...] = (
    # the header
    Section("overview", "report_overview", ("is_all_configs", "config")),
    Section("build", "report_build_info", ("source", "config", "split")),
    # the four questions
    Section(
        "think",
        "report_think_around_tools",
        ("config", "preceded_by"),
        charts.think_around_tools,
        findings.think,
    ),
    Section(
        "completion",
        "report_completion_by_category",
        ("config", "is_all_categories", "incomplete_rank"),
        charts.completion_by_category,
        findings.completion,
    ),
    Section(
        "usage",
        "report_tool_usage_vs_length",
        ("config", "messages", "tool_calls"),
        charts.tool_usage_vs_length,
        findings.usage,
    ),
    Section(
        "tools",
        "report_tools",
        ("is_all_configs", "config", "call_rank"),
        charts.top_tools,
        findings.tools,
    ),
    # more charts
    Section(
        "by_category",
        "report_tool_calls_by_category",
        ("config", "category"),
        charts.tool_calls_by_category,
    ),
    Section(
        "lengths", "report_conversation_lengths", ("config", "messages"), charts.length_histogram
    ),
    Section(
        "turn_kinds", "report_turn_kinds", ("config", "category", "turn_kind"), charts.turn_kind_mix
    ),
    Section(
        "parallel", "report_parallel_width", ("config", "parallel_width"), charts.parallel_width
    ),
    Section(
        "transitions",
        "report_tool_transitions",
        ("config", "from_tool_rank", "to_tool_rank"),
        charts.transitions,
    ),
    Section(
        "steps",
        "report_step_sequences",
        ("config", "step_kind", "step_position"),
        charts.step_sequences,
    ),
    Section("depth", "report_reasoning_depth", ("config", "category"), charts.reasoning_depth),
    Section(
        "length_dist",
        "report_length_distributions",
        ("config", "length_kind", "length_bin"),
        charts.length_distributions,
    ),
    # tables
    Section("error_examples", "report_error_examples", ("tool_name", "example_rank")),
    Section("gaps", "report_declaration_gaps", ("config", "gap_kind", "gap_rank")),
    Section("failure_rules", "report_failure_rules", ("is_all_configs", "config")),
    # the trace replay (its text is read when the report is written: texts.py)
    Section("replay", "report_replay_conversations", ("config", "replay_kind desc")),
    Section("replay_steps", "report_replay_steps", ("conversation_key", "step_index")),
)

MARTS = [section.mart for section in SECTIONS]
