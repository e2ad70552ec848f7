"""Read the marts (and only the marts) over a read-only connection, as plain rows.

Every figure the report shows comes from one of these queries; charts and findings only
arrange and phrase them. Aggregate marts are read where they exist (completion_by_category,
reasoning_around_tools, parallel_width_distribution, tool_transitions,
tool_usage_length_correlation); the rest is a GROUP BY over the fct_ marts, in SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from tracehouse.errors import UserError
from tracehouse.warehouse import connect

SCHEMA = "marts"
REQUIRED = ("fct_conversations", "fct_assistant_turns", "fct_tool_calls", "fct_tool_responses")
OUTCOMES = ("answered", "answered_after_unresolved_error", "iteration_limit", "cut_off", "empty")
TURN_KINDS = ("reasoning_and_tool", "reasoning_only", "tool_only", "neither")
PRECEDED_BY = ("human", "tool_ok", "tool_error")
REPLAY_STEP_LIMIT = 80

Row = dict[str, Any]


def open_marts(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a warehouse whose marts are built, else a clear UserError."""
    con = connect(Path(db), read_only=True)
    present = mart_tables(con)
    missing = [name for name in REQUIRED if name not in present]
    if missing:
        con.close()
        raise UserError(
            f"{db} has no marts ({', '.join(SCHEMA + '.' + m for m in missing)} missing): "
            f"run `tracehouse build --db {db}` (dbt build) first"
        )
    return con


def mart_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
        ).fetchall()
    }


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


# ---------------------------------------------------------------- header


def overview(con) -> list[Row]:
    """Headline figures per config, then one row for all configs (config = None)."""
    return rows(
        con,
        """
        select
            config,
            string_agg(distinct source, ', ' order by source) as sources,
            count(*) as conversations,
            sum(messages) as messages,
            sum(assistant_turns) as assistant_turns,
            sum(tool_calls) as tool_calls,
            sum(failed_tool_calls) as failed_tool_calls,
            sum(think_words) as think_words,
            avg(messages) as avg_messages,
            avg(tool_calls) as avg_tool_calls,
            avg(case when outcome = 'answered' then 1.0 else 0.0 end) as answered_rate
        from marts.fct_conversations
        group by grouping sets ((config), ())
        order by config is null, config
        """,
    )


def build_info(con, tables: set[str]) -> Row | None:
    if "report_build_info" not in tables:
        return None
    found = rows(
        con,
        "select max(built_at) as built_at, max(loaded_at) as loaded_at, "
        "count(*) as slices from marts.report_build_info",
    )
    return found[0] if found and found[0]["built_at"] is not None else None


# ---------------------------------------------------------------- answers


def reasoning_around_tools(con, tables: set[str]) -> list[Row]:
    """Think words of assistant turns by what came right before them (human, ok, failed)."""
    if "reasoning_around_tools" in tables:
        return rows(
            con,
            """
            select config, preceded_by, assistant_turns, avg_think_words, median_think_words
            from marts.reasoning_around_tools
            where turn_action = '(any)' and preceded_by in ('human', 'tool_ok', 'tool_error')
            order by config, preceded_by
            """,
        )
    return rows(
        con,
        """
        select config, preceded_by, count(*) as assistant_turns,
            avg(think_words) as avg_think_words, median(think_words) as median_think_words
        from marts.fct_assistant_turns
        where preceded_by in ('human', 'tool_ok', 'tool_error')
        group by config, preceded_by
        order by config, preceded_by
        """,
    )


def completion_by_category(con, tables: set[str]) -> list[Row]:
    """Outcome counts and rates per config and category."""
    if "completion_by_category" in tables:
        return rows(
            con,
            """
            select config, category, conversations, answered, answered_after_unresolved_error,
                iteration_limit, cut_off, empty, completion_rate, incomplete_rate,
                tool_calls, failed_tool_calls, call_error_rate
            from marts.completion_by_category
            where subcategory = '(all)' and category != '(all)'
            order by config, incomplete_rate desc, category
            """,
        )
    return rows(
        con,
        """
        select config, category, count(*) as conversations,
            count(*) filter (outcome = 'answered') as answered,
            count(*) filter (outcome = 'answered_after_unresolved_error')
                as answered_after_unresolved_error,
            count(*) filter (outcome = 'iteration_limit') as iteration_limit,
            count(*) filter (outcome = 'cut_off') as cut_off,
            count(*) filter (outcome = 'empty') as empty,
            avg(case when outcome like 'answered%' then 1.0 else 0.0 end) as completion_rate,
            avg(case when outcome like 'answered%' then 0.0 else 1.0 end) as incomplete_rate,
            sum(tool_calls) as tool_calls, sum(failed_tool_calls) as failed_tool_calls,
            sum(failed_tool_calls) / nullif(sum(tool_calls), 0) as call_error_rate
        from marts.fct_conversations
        group by config, category
        order by config, incomplete_rate desc, category
        """,
    )


def tool_usage_vs_length(con, tables: set[str]) -> dict[str, Any]:
    """Points (messages, tool calls, how many conversations) and the fitted trend per config."""
    points = rows(
        con,
        """
        select config, messages, tool_calls, count(*) as conversations
        from marts.fct_conversations
        group by config, messages, tool_calls
        order by config, messages, tool_calls
        """,
    )
    trend = rows(
        con,
        """
        select config, count(*) as conversations,
            regr_slope(tool_calls, messages) as slope,
            regr_intercept(tool_calls, messages) as intercept,
            corr(tool_calls, messages) as correlation,
            avg(tool_calls) as avg_tool_calls
        from marts.fct_conversations
        group by config
        order by config
        """,
    )
    if "tool_usage_length_correlation" in tables:
        mart = {
            row["config"]: row
            for row in rows(
                con,
                "select config, correlation, tool_calls_per_message "
                "from marts.tool_usage_length_correlation where category = '(all)'",
            )
        }
        for row in trend:
            if row["config"] in mart:
                row["correlation"] = mart[row["config"]]["correlation"]
    return {"points": points, "trend": trend}


def tools(con) -> list[Row]:
    """Calls, failures and no-response calls per config and tool, most called first."""
    return rows(
        con,
        """
        select config, coalesce(tool_name, '(malformed)') as tool_name,
            count(*) as calls,
            count(*) filter (status = 'error') as errors,
            count(*) filter (status = 'no_response') as no_response,
            count(*) filter (status = 'error') / count(*) as error_rate
        from marts.fct_tool_calls
        group by grouping sets ((config, tool_name), (tool_name))
        order by config nulls first, calls desc, tool_name
        """,
    )


def error_examples(con, tables: set[str], per_tool: int = 2) -> dict[str, list[str]]:
    """The most frequent failed-response texts per tool (previews, from report_trace_steps)."""
    if "report_trace_steps" not in tables:
        return {}
    found = rows(
        con,
        """
        with texts as (
            select tool_name, result_preview as text_preview, count(*) as n
            from marts.report_trace_steps
            where step_kind = 'response' and status = 'error' and tool_name is not null
            group by tool_name, result_preview
        ),
        ranked as (
            select *, row_number() over (
                partition by tool_name order by n desc, text_preview
            ) as rank
            from texts
        )
        select tool_name, text_preview from ranked where rank <= ? order by tool_name, rank
        """,
        [per_tool],
    )
    examples: dict[str, list[str]] = {}
    for row in found:
        examples.setdefault(row["tool_name"], []).append(row["text_preview"])
    return examples


# ---------------------------------------------------------------- charts


def tool_calls_by_category(con) -> list[Row]:
    return rows(
        con,
        """
        select config, category, count(*) as conversations, sum(tool_calls) as tool_calls,
            avg(tool_calls) as avg_tool_calls
        from marts.fct_conversations
        group by config, category
        order by config, category
        """,
    )


def length_histogram(con) -> list[Row]:
    return rows(
        con,
        """
        select config, messages, count(*) as conversations
        from marts.fct_conversations
        group by config, messages
        order by config, messages
        """,
    )


def turn_kind_mix(con) -> list[Row]:
    return rows(
        con,
        """
        select config, category, turn_kind, count(*) as turns,
            count(*) / sum(count(*)) over (partition by config, category) as share
        from marts.fct_assistant_turns
        group by config, category, turn_kind
        order by config, category, turn_kind
        """,
    )


def parallel_width(con, tables: set[str]) -> list[Row]:
    if "parallel_width_distribution" in tables:
        return rows(
            con,
            """
            select config, parallel_width, assistant_turns as turns
            from marts.parallel_width_distribution
            where parallel_width > 0
            order by config, parallel_width
            """,
        )
    return rows(
        con,
        """
        select config, parallel_width, count(*) as turns
        from (
            select distinct config, conversation_key, message_index, parallel_width
            from marts.fct_tool_calls
        )
        group by config, parallel_width
        order by config, parallel_width
        """,
    )


def transitions(con, tables: set[str]) -> list[Row]:
    if "tool_transitions" in tables:
        return rows(
            con,
            "select config, from_tool, to_tool, transitions from marts.tool_transitions "
            "where from_tool is not null and to_tool is not null "
            "order by config, from_tool, to_tool",
        )
    return rows(
        con,
        """
        with ordered as (
            select config, tool_name as from_tool,
                lead(tool_name) over (
                    partition by conversation_key order by message_index, call_index
                ) as to_tool
            from marts.fct_tool_calls
        )
        select config, from_tool, to_tool, count(*) as transitions
        from ordered
        where from_tool is not null and to_tool is not null
        group by all
        order by config, from_tool, to_tool
        """,
    )


def step_sequences(con, tables: set[str], positions: int = 40, top_tools: int = 8) -> list[Row]:
    """Share of the steps at each position (1-based) that are of each kind, per config.

    Calls are split by tool for the `top_tools` most called tools, the rest are pooled.
    """
    if "step_sequences" in tables:
        source = """
            select config, step_position, step_kind, steps
            from marts.step_sequences
        """
    else:
        source = """
            select config, step_position, step_kind, count(*) as steps
            from (
                select config,
                    row_number() over (partition by conversation_key order by step_index)
                        as step_position,
                    case
                        when step_kind = 'call' then 'call:' || coalesce(tool_name, '(unnamed)')
                        when step_kind = 'response' and status = 'error' then 'response_failed'
                        when step_kind = 'response' then 'response_ok'
                        else step_kind
                    end as step_kind
                from marts.report_trace_steps
                where step_kind in ('think', 'call', 'response', 'answer')
            )
            group by all
        """
    if "step_sequences" not in tables and "report_trace_steps" not in tables:
        return []
    return rows(
        con,
        f"""
        with source as ({source}),
        top as (
            select tool_name from marts.fct_tool_calls where tool_name is not null
            group by tool_name order by count(*) desc, tool_name limit ?
        ),
        pooled as (
            select config, step_position,
                case
                    when step_kind like 'call:%'
                        and substr(step_kind, 6) not in (select tool_name from top)
                        then 'call:(other tools)'
                    else step_kind
                end as step,
                sum(steps) as steps
            from source
            where step_position <= ?
            group by all
        )
        select config, step, step_position as position, steps,
            steps / sum(steps) over (partition by config, step_position) as share
        from pooled
        order by config, step, position
        """,
        [top_tools, positions],
    )


def reasoning_depth(con) -> list[Row]:
    """Think words per reasoning turn (turns with think_words > 0), quantiles per category."""
    return rows(
        con,
        """
        select config, category, count(*) as turns,
            avg(think_words) as mean,
            quantile_cont(think_words, 0.10) as p10,
            quantile_cont(think_words, 0.25) as p25,
            quantile_cont(think_words, 0.50) as p50,
            quantile_cont(think_words, 0.75) as p75,
            quantile_cont(think_words, 0.90) as p90
        from marts.fct_assistant_turns
        where think_words > 0
        group by config, category
        order by config, category
        """,
    )


def length_distributions(con) -> list[Row]:
    """Histograms on a log scale (quarter-decade bins) of think, call and answer lengths."""
    return rows(
        con,
        """
        with lengths as (
            select config, 'think' as kind, think_chars as chars
            from marts.fct_assistant_turns where think_chars > 0
            union all
            select config, 'call arguments', length(cast(arguments as varchar))
            from marts.fct_tool_calls where arguments is not null
            union all
            select config, 'answer', visible_text_chars
            from marts.fct_assistant_turns
            where tool_calls = 0 and has_visible_text and visible_text_chars > 0
        ),
        binned as (
            select config, kind, floor(log10(chars) * 4) / 4 as bin, count(*) as n
            from lengths group by config, kind, bin
        ),
        medians as (
            select config, kind, median(chars) as median_chars, count(*) as total
            from lengths group by config, kind
        )
        select binned.*, medians.median_chars, medians.total
        from binned join medians using (config, kind)
        order by config, kind, bin
        """,
    )


# ---------------------------------------------------------------- tables


def declaration_gaps(con, tables: set[str]) -> dict[str, list[Row]]:
    """Tools called but not declared, and (with tool_declaration_gaps) declared but unused."""
    if "tool_declaration_gaps" in tables:
        found = rows(
            con,
            """
            select config, gap_kind, coalesce(tool_name, '(no name)') as tool_name, calls,
                calling_conversations as conversations, declaring_conversations
            from marts.tool_declaration_gaps
            order by config, gap_kind, calls desc, declaring_conversations desc, tool_name
            """,
        )
        return {
            "undeclared": [row for row in found if row["gap_kind"] == "called_undeclared"],
            "unused": [row for row in found if row["gap_kind"] == "declared_never_called"],
        }
    undeclared = rows(
        con,
        """
        select config, coalesce(tool_name, '(no name)') as tool_name, count(*) as calls,
            count(distinct conversation_key) as conversations
        from marts.fct_tool_calls
        where not is_declared_tool and tool_name is not null
        group by config, tool_name
        order by config, calls desc, tool_name
        """,
    )
    return {"undeclared": undeclared, "unused": []}


def failure_rules(con) -> list[Row]:
    """Strict classification beside the tutorial's substring rule, per tool message."""
    return rows(
        con,
        """
        with messages as (
            select config, conversation_key, message_index,
                bool_or(status = 'error') as strict_error,
                bool_or(coalesce(legacy_error, false)) as legacy_error,
                count(*) as responses,
                count(*) filter (status = 'error') as failed_responses
            from marts.fct_tool_responses
            group by config, conversation_key, message_index
        )
        select config,
            count(*) as tool_messages,
            sum(responses) as responses,
            sum(failed_responses) as failed_responses,
            count(*) filter (strict_error) as strict_messages,
            count(*) filter (legacy_error) as legacy_messages,
            count(*) filter (legacy_error and not strict_error) as legacy_only,
            count(*) filter (strict_error and not legacy_error) as strict_only,
            count(*) filter (strict_error and legacy_error) as both
        from messages
        group by grouping sets ((config), ())
        order by config is null, config
        """,
    )


# ---------------------------------------------------------------- replay


def replay_conversations(con) -> list[Row]:
    """Per config: the answered conversation of median length, and a failing one."""
    return rows(
        con,
        """
        with answered as (
            select *, abs(messages - median(messages) over (partition by config)) as distance
            from marts.fct_conversations
            where outcome = 'answered'
        ),
        median_pick as (
            select 'the answered conversation of median length' as why, * exclude (distance)
            from answered
            qualify row_number() over (
                partition by config order by distance, tool_calls desc, conversation_key
            ) = 1
        ),
        failing_pick as (
            select 'a conversation that did not end well' as why, *
            from marts.fct_conversations
            where outcome in ('iteration_limit', 'cut_off', 'answered_after_unresolved_error')
                and messages > 2
            qualify row_number() over (
                partition by config
                order by failed_tool_calls desc, abs(messages - 16), conversation_key
            ) = 1
        )
        select * from median_pick
        union all
        select * from failing_pick
        order by config, why desc
        """,
    )


def replay_steps(con, conversation_key: str, limit: int = REPLAY_STEP_LIMIT) -> list[Row]:
    return rows(
        con,
        """
        select step_index, message_index, step_kind, tool_name, status, error_kind,
            coalesce(result_chars, text_chars) as text_chars,
            coalesce(result_preview, text_preview) as text_preview
        from marts.report_trace_steps
        where conversation_key = ?
        order by step_index
        limit ?
        """,
        [conversation_key, limit],
    )


def step_count(con, conversation_key: str) -> int:
    return con.execute(
        "select count(*) from marts.report_trace_steps where conversation_key = ?",
        [conversation_key],
    ).fetchone()[0]
