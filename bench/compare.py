"""Is the comparison fair? The warehouse's counts next to the baseline's and the generator's.

The baseline's lazy regexes are wrong on some rows by design (a literal `</tool_call>` in a
JSON string, an unclosed tag, malformed JSON), so the counts are *expected* to differ there.
This module reports every difference instead of hiding it; the generator's ground truth
(`ground_truth.json`) says which side is right.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

# Tried in order: the first query that runs is used. The marts are another engineer's work in
# progress; a query that fails is recorded, not fatal, so the timings are still reported.
WAREHOUSE_QUERIES: Mapping[str, tuple[str, ...]] = {
    "tool_calls_by_name": (
        "select tool_name, count(*) from marts.fct_tool_calls "
        "where config = $config and tool_name is not null group by 1",
    ),
    "tool_calls": ("select count(*) from marts.fct_tool_calls where config = $config",),
    "malformed_tool_calls": (
        "select count(*) from marts.fct_tool_calls where config = $config and is_malformed",
    ),
    "legacy_errors": (
        "select count(*) from marts.fct_tool_responses where config = $config and legacy_error",
    ),
    "parallel_widths": (
        "select tool_calls, count(*) from marts.fct_assistant_turns "
        "where config = $config and tool_calls > 0 group by 1",
    ),
    "think_blocks_per_turn": (
        "select think_blocks, count(*) from marts.fct_assistant_turns "
        "where config = $config group by 1",
    ),
    "calls_per_conversation": (
        "select row_index, tool_calls from marts.fct_conversations where config = $config",
    ),
    "errors_per_conversation": (
        "select c.row_index, count(r.conversation_key) filter (where r.legacy_error) "
        "from marts.fct_conversations as c left join marts.fct_tool_responses as r "
        "on r.conversation_key = c.conversation_key where c.config = $config group by 1",
    ),
}
PER_CONVERSATION = ("calls_per_conversation", "errors_per_conversation")


def warehouse_counts(db: Path, config: str) -> dict[str, Any]:
    """The same figures as the baseline, read from the marts (read-only)."""
    con = duckdb.connect(str(db), read_only=True)
    found: dict[str, Any] = {}
    errors: dict[str, str] = {}
    try:
        for key, queries in WAREHOUSE_QUERIES.items():
            for sql in queries:
                try:
                    rows = con.execute(sql, {"config": config}).fetchall()
                except duckdb.Error as exc:
                    errors[key] = str(exc).splitlines()[0]
                    continue
                if key in PER_CONVERSATION:
                    found[key] = dict(rows)
                elif rows and len(rows[0]) == 1:
                    found[key] = rows[0][0]
                else:
                    found[key] = {str(k): v for k, v in sorted(rows, key=lambda row: row[0])}
                errors.pop(key, None)
                break
    finally:
        con.close()
    if errors:
        found["unavailable"] = errors
    return found


def truth_counts(data_dir: Path, config: str) -> dict[str, Any]:
    """The generator's ground truth for one config, whatever keys it holds."""
    path = data_dir / "ground_truth.json"
    if not path.exists():
        return {}
    truth = json.loads(path.read_text())
    return truth.get("configs", {}).get(config) or truth.get(config) or {}


def diff_by_name(left: Mapping[str, int], right: Mapping[str, int]) -> dict[str, list[int]]:
    """Names whose counts differ: name -> [left, right]."""
    return {
        name: [left.get(name, 0), right.get(name, 0)]
        for name in sorted(set(left) | set(right))
        if left.get(name, 0) != right.get(name, 0)
    }


def compare(db: Path, data_dir: Path, config: str, baseline: Mapping[str, Any]) -> dict:
    """Counts side by side, and per-name differences (warehouse vs baseline)."""
    house = warehouse_counts(db, config)
    truth = truth_counts(data_dir, config)
    base = {
        key: baseline[key]
        for key in (
            "tool_calls",
            "tool_calls_by_name",
            "tool_call_json_failures",
            "tool_call_unnamed",
            "parallel_widths",
            "think_blocks_per_turn",
            "legacy_errors",
        )
    }
    result: dict[str, Any] = {"baseline": base, "warehouse": house, "truth": truth}
    for key in PER_CONVERSATION:
        if isinstance(house.get(key), dict):
            result[f"{key}_differ"] = per_conversation_diff(house.pop(key), baseline[key])
    if isinstance(house.get("tool_calls_by_name"), dict):
        by_name = house["tool_calls_by_name"]
        diff = diff_by_name(by_name, base["tool_calls_by_name"])
        result["by_name_diff_warehouse_vs_baseline"] = diff
        result["by_name_equal"] = not diff
        result["named_calls_warehouse"] = sum(by_name.values())
        result["named_calls_baseline"] = sum(base["tool_calls_by_name"].values())
        truth_names = truth.get("tool_calls_by_name")
        if isinstance(truth_names, dict):
            result["by_name_diff_warehouse_vs_truth"] = diff_by_name(by_name, truth_names)
    return result


def per_conversation_diff(house: Mapping[int, int], base: list[int]) -> dict[str, Any]:
    """How many conversations (by row index) have another count in the warehouse; a few
    examples, so the rows can be looked up (`where row_index = ...`)."""
    differ = [
        (row, house.get(row, 0), count)
        for row, count in enumerate(base)
        if house.get(row, 0) != count
    ]
    return {
        "conversations": len(differ),
        "of": len(base),
        "examples_row_warehouse_baseline": differ[:5],
    }
