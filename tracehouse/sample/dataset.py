"""A deterministic synthetic Hermes dataset in the Hugging Face hub layout, with its ground truth.

`generate_dataset` writes

    OUT_DIR/README.md                    (a `configs:` block exactly like the real card)
    OUT_DIR/data/<config>/train.parquet  (id, conversations, tools, category, subcategory, task)
    OUT_DIR/ground_truth.json

so that `datasets.load_dataset(OUT_DIR, "kimi", split="train")` reads it exactly as it reads
`lambda/hermes-agent-reasoning-traces` from the hub. It is the fixture of every test and
benchmark and the embedded default of `tracehouse run`.

`trace_format="openai"` or `"anthropic"` writes the same conversations (same seed, same
calls, results, failures, think text and outcomes) in that shape instead, as JSON lines,
`OUT_DIR/data/<config>/train.jsonl` (tracehouse.sample.shapes), with the same ground truth:
its `formats` part holds the few figures that depend on the shape.

The ground truth is counted from the generator's own records of what it wrote (see
`tracehouse.sample.truth`), never by re-parsing the output. Same arguments give the same bytes:
every random draw comes from `random.Random` seeded by (seed, config), and Parquet is written
with a fixed writer configuration in row groups of ROW_GROUP_ROWS rows.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tracehouse.sample.conversation import (
    ENDING_FEATURES,
    LEGACY_FEATURES,
    TURN_FEATURES,
    ConversationBuilder,
    ConversationPlan,
    Style,
)
from tracehouse.sample.shapes import (
    FORMAT_FIGURES,
    FORMATS,
    MESSAGE_CHARS_NOTE,
    QUIRKS,
    SAME_IN_EVERY_FORMAT_NOTE,
    add_format_counts,
    anthropic_messages,
    anthropic_tools,
    format_counts,
    landed_messages,
    openai_messages,
    openai_tools,
)
from tracehouse.sample.tools import BROWSER_SETS, TOOLS_JSON
from tracehouse.sample.truth import (
    MessageRecord,
    add_counts,
    count_conversation,
    empty_counts,
    finish_counts,
)

ROW_GROUP_ROWS = 500
QUOTA_MIN_CONVERSATIONS = 30  # from this size on, every quirk is present in every config
PER_CONVERSATION_FILE_LIMIT = 2000  # above this (per config) ground_truth.json omits rows
SPLIT = "train"

MESSAGE_TYPE = pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("conversations", MESSAGE_TYPE),
        ("tools", pa.string()),
        ("category", pa.string()),
        ("subcategory", pa.string()),
        ("task", pa.string()),
    ]
)

# kimi subcategory counts from the card, grouped under the category whose total they add up
# to exactly (the card does not give the grouping; these sums are the only fit). glm-5.1 has
# no published subcategory counts: it reuses the kimi split inside each category.
SUBCATEGORIES: dict[str, dict[str, int]] = {
    "Terminal & Coding": {"Terminal Tasks": 2010},
    "Agent Tools": {
        "Skill Invocation": 702,
        "Delegation": 272,
        "Memory & Context": 220,
        "Background Processes": 66,
        "Sandbox Execution": 62,
        "Todo & Planning": 49,
        "Session & Memory": 45,
        "Clarification": 19,
        "Maintenance": 19,
        "General": 11,
        "Deployment": 9,
    },
    "Repository Tasks": {
        "Bug Fix": 292,
        "Environment Setup": 275,
        "Feature Implementation": 190,
        "Codebase Exploration": 188,
        "Testing": 102,
        "Documentation": 31,
        "Testing & CI": 30,
        "Code Review & Refactoring": 1,
    },
    "Browser Automation": {"Browser Tasks": 1048},
    "Multi-Tool": {"Multi-Tool Tasks": 807},
    "File Operations": {"File Tasks": 757},
    "Scheduling": {"Cron Jobs": 204},
    "Planning & Organization": {"Planning Tasks": 201},
    "Conversational": {"Conversational Tasks": 36},
}

STYLES: dict[str, Style] = {
    "kimi": Style(
        name="kimi",
        think_words=420.0,
        think_sigma=0.8,
        calling_turns=9.6,
        width_weights=(0.83, 0.07, 0.05, 0.05),
        visible_text_rate=0.29,
        empty_think_rate=0.03,
        no_think_rate=0.003,
        fail_rate=0.15,
        follow_up_rate=0.12,
        output_scale=1.15,
        glm_ids=False,
        legacy_rate=0.0,
        ending_weights={
            "answered": 0.66,
            "unresolved": 0.10,
            "iteration_limit": 0.06,
            "cut_off_tool": 0.09,
            "cut_off_call": 0.03,
            "cut_off_human": 0.015,
            "thanks": 0.03,
            "empty": 0.005,
        },
        category_weights={
            "Terminal & Coding": 2010,
            "Agent Tools": 1474,
            "Repository Tasks": 1109,
            "Browser Automation": 1048,
            "Multi-Tool": 807,
            "File Operations": 757,
            "Scheduling": 204,
            "Planning & Organization": 201,
            "Conversational": 36,
        },
        agent_set_share=527 / 1474,
    ),
    "glm-5.1": Style(
        name="glm-5.1",
        think_words=88.0,
        think_sigma=0.7,
        calling_turns=6.8,
        width_weights=(0.87, 0.07, 0.03, 0.03),
        visible_text_rate=0.4,
        empty_think_rate=0.04,
        no_think_rate=0.02,
        fail_rate=0.14,
        follow_up_rate=0.12,
        output_scale=2.4,
        glm_ids=True,
        legacy_rate=0.03,
        ending_weights={
            "answered": 0.62,
            "unresolved": 0.12,
            "iteration_limit": 0.05,
            "cut_off_tool": 0.12,
            "cut_off_call": 0.04,
            "cut_off_human": 0.015,
            "thanks": 0.025,
            "empty": 0.01,
        },
        category_weights={
            "Terminal & Coding": 2237,
            "Agent Tools": 2775,
            "Repository Tasks": 1022,
            "Browser Automation": 639,
            "Multi-Tool": 52,
            "File Operations": 134,
            "Scheduling": 104,
            "Planning & Organization": 92,
            "Conversational": 0,
        },
        agent_set_share=527 / 1474,
    ),
}
KNOWN_CONFIGS = tuple(STYLES)

Progress = Callable[[int], None]


def generate_dataset(
    out_dir: Path,
    conversations: int,
    *,
    seed: int = 0,
    configs: Sequence[str] = ("kimi", "glm-5.1"),
    duplicate_ids: int = 0,
    progress: Progress | None = None,
    trace_format: str = "hermes",
) -> dict:
    """Write OUT_DIR/README.md, OUT_DIR/data/<config>/train.<parquet|jsonl>,
    OUT_DIR/ground_truth.json; return the ground truth.

    `conversations` is per config. `duplicate_ids=k` makes k rows per config reuse an earlier
    row's id. `progress`, when given, is called with the number of rows just written (after
    each row group), so a progress bar can `update` with it. `trace_format`: hermes (Parquet),
    openai or anthropic (JSON lines).
    """
    configs = _check_arguments(conversations, configs, duplicate_ids)
    if trace_format not in FORMATS:
        raise ValueError(f"unknown format {trace_format!r} (known: {', '.join(FORMATS)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth: dict[str, Any] = {
        "generator": "tracehouse.sample.dataset",
        "parameters": {
            "conversations": conversations,
            "seed": seed,
            "configs": list(configs),
            "duplicate_ids": duplicate_ids,
            "split": SPLIT,
            "format": trace_format,
            "files": {config: data_path(config, trace_format) for config in configs},
        },
        "format_notes": {
            "same_in_every_format": SAME_IN_EVERY_FORMAT_NOTE,
            "format_figures": list(FORMAT_FIGURES),
            "message_chars": MESSAGE_CHARS_NOTE,
            "quirks": QUIRKS,
        },
        "configs": {},
        "total": {},
    }
    formats: dict[str, Any] = {}
    for config in configs:
        counts = write_config(
            out_dir, config, conversations, seed, duplicate_ids, progress, trace_format
        )
        truth["configs"][config] = counts
        add_counts(
            truth["total"],
            {k: v for k, v in counts.items() if k not in ("per_conversation", "formats")},
        )
        add_format_counts(formats, counts["formats"])
    truth["total"] = finish_counts({**empty_counts(), **truth["total"]})
    truth["total"]["formats"] = formats or _empty_formats()
    (out_dir / "README.md").write_text(readme(truth), encoding="utf-8")
    _write_json(out_dir / "ground_truth.json", _for_file(truth, conversations))
    return truth


def _check_arguments(
    conversations: int, configs: Sequence[str], duplicate_ids: int
) -> tuple[str, ...]:
    if isinstance(configs, str):
        configs = (configs,)
    unknown = [name for name in configs if name not in STYLES]
    if unknown:
        raise ValueError(
            f"unknown config {', '.join(map(repr, unknown))} (known: {', '.join(KNOWN_CONFIGS)})"
        )
    if not configs:
        raise ValueError("no config to generate")
    if len(set(configs)) != len(configs):
        raise ValueError(f"a config is named twice: {', '.join(configs)}")
    if conversations < 0:
        raise ValueError(f"conversations must be >= 0, got {conversations}")
    if duplicate_ids < 0 or (duplicate_ids and duplicate_ids >= conversations):
        raise ValueError(
            f"duplicate_ids must be between 0 and conversations - 1, got {duplicate_ids}"
        )
    return tuple(configs)


def data_path(config: str, trace_format: str = "hermes") -> str:
    suffix = "parquet" if trace_format == "hermes" else "jsonl"
    return f"data/{config}/{SPLIT}.{suffix}"


def _empty_formats() -> dict[str, Any]:
    return format_counts([])


# --- planning -------------------------------------------------------------------------------


def allocate(weights: dict[str, int], total: int) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainder, ties by order)."""
    weight_sum = sum(weights.values())
    exact = {name: total * weight / weight_sum for name, weight in weights.items()}
    counts = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: exact[name] - counts[name], reverse=True)
    for name in by_remainder[: total - sum(counts.values())]:
        counts[name] += 1
    return counts


def plan_rows(rng: random.Random, style: Style, conversations: int) -> list[ConversationPlan]:
    """Category, tool set, ending and forced quirks of every row of one config."""
    categories = [
        name
        for name, count in allocate(style.category_weights, conversations).items()
        for _ in range(count)
    ]
    rng.shuffle(categories)
    endings = list(style.ending_weights)
    ending_weights = list(style.ending_weights.values())
    plans = []
    for row_index, category in enumerate(categories):
        subcategories = SUBCATEGORIES[category]
        subcategory = rng.choices(list(subcategories), weights=list(subcategories.values()))[0]
        if category == "Browser Automation":
            tool_set = rng.choice(BROWSER_SETS)
        elif category == "Agent Tools" and rng.random() < style.agent_set_share:
            tool_set = "agent"
        else:
            tool_set = "file"
        ending = rng.choices(endings, weights=ending_weights)[0]
        if category == "Conversational" and ending not in ("answered", "thanks"):
            ending = "answered"
        plans.append(ConversationPlan(row_index, category, subcategory, tool_set, ending))
    if conversations >= QUOTA_MIN_CONVERSATIONS:
        assign_quotas(rng, style, plans)
    return plans


def assign_quotas(rng: random.Random, style: Style, plans: list[ConversationPlan]) -> None:
    """Deterministic quotas: every ending and every quirk at least once in this config."""
    eligible = [plan for plan in plans if plan.category != "Conversational"]
    rng.shuffle(eligible)
    for plan, ending in zip(eligible, ENDING_FEATURES, strict=False):
        plan.ending = ending
    carriers = [plan for plan in eligible if plan.ending != "empty"]
    features = list(TURN_FEATURES) + (list(LEGACY_FEATURES) if style.glm_ids else [])
    browser = next((plan for plan in carriers if plan.tool_set in BROWSER_SETS), None)
    if browser is not None:
        browser.features.append("hostile_html")
        features.remove("hostile_html")
        carriers.remove(browser)
    for index, feature in enumerate(features):
        carriers[index % len(carriers)].features.append(feature)


def make_ids(rng: random.Random, conversations: int, duplicate_ids: int) -> list[str]:
    """UUID4s from the seeded RNG; `duplicate_ids` later rows reuse an earlier row's id."""
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(conversations)]
    for row in sorted(rng.sample(range(1, conversations), duplicate_ids)):
        ids[row] = ids[rng.randrange(row)]
    return ids


# --- writing --------------------------------------------------------------------------------


def write_config(
    out_dir: Path,
    config: str,
    conversations: int,
    seed: int,
    duplicate_ids: int,
    progress: Progress | None,
    trace_format: str = "hermes",
) -> dict[str, Any]:
    """Write one config's file in row groups (Parquet) or lines (JSON); return its ground
    truth. Every shape draws the same conversations: the shapes draw nothing at random."""
    style = STYLES[config]
    rng = random.Random(f"tracehouse-generate:{seed}:{config}")
    plans = plan_rows(rng, style, conversations)
    ids = make_ids(rng, conversations, duplicate_ids)
    row_seeds = [rng.getrandbits(64) for _ in range(conversations)]
    counts = empty_counts()
    formats: dict[str, Any] = {}
    per_conversation: list[dict[str, Any]] = []
    path = out_dir / data_path(config, trace_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _Writer(path, trace_format) as writer:
        for start in range(0, conversations, ROW_GROUP_ROWS):
            rows = []
            for row in range(start, min(start + ROW_GROUP_ROWS, conversations)):
                plan = plans[row]
                builder = ConversationBuilder(random.Random(row_seeds[row]), style, plan)
                messages = builder.build()
                summary = count_conversation(counts, messages, plan.category)
                record = (ids[row], messages, plan, builder.task)
                written = None
                if trace_format != "hermes":
                    record = structured_row(record, trace_format)
                    written = {trace_format: landed_messages(record)}
                shaped = format_counts(messages, written)
                add_format_counts(formats, shaped)
                by_format = {name: figures["messages"] for name, figures in shaped.items()}
                per_conversation.append(
                    {"id": ids[row], "row_index": row, **summary, "messages_by_format": by_format}
                )
                rows.append(record)
            writer.write(rows)
            if progress is not None:
                progress(len(rows))
    counts["duplicate_ids"] = duplicate_ids
    counts = finish_counts(counts)
    counts["formats"] = formats or _empty_formats()
    counts["per_conversation"] = per_conversation
    return counts


Row = tuple[str, list[MessageRecord], ConversationPlan, str]  # id, messages, plan, task


class _Writer:
    """One config's data file: Parquet row groups (hermes) or JSON lines (openai, anthropic)."""

    def __init__(self, path: Path, trace_format: str) -> None:
        self.path = path
        self.trace_format = trace_format
        self.parquet: pq.ParquetWriter | None = None
        self.lines = None
        self.written = False

    def __enter__(self) -> _Writer:
        if self.trace_format == "hermes":
            self.parquet = pq.ParquetWriter(self.path, SCHEMA, compression="snappy")
        else:
            self.lines = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        return self

    def write(self, rows: list) -> None:
        """Hermes: Row tuples; openai / anthropic: their `structured_row` records."""
        self.written = True
        if self.parquet is not None:
            self.parquet.write_table(rows_table(rows), row_group_size=ROW_GROUP_ROWS)
            return
        self.lines.write("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in rows))

    def __exit__(self, *exc_info) -> None:
        if self.parquet is not None:
            if not self.written:
                self.parquet.write_table(SCHEMA.empty_table())
            self.parquet.close()
        if self.lines is not None:
            self.lines.close()


def structured_row(row: Row, trace_format: str) -> dict[str, Any]:
    """One JSON line: the conversation in the OpenAI or Anthropic shape, the same columns."""
    row_id, messages, plan, task = row
    tools = _tools(plan.tool_set)
    record: dict[str, Any] = {"id": row_id}
    if trace_format == "openai":
        record["messages"] = openai_messages(messages)
        record["tools"] = openai_tools(tools)
    else:
        system, shaped = anthropic_messages(messages)
        record["system"] = system
        record["messages"] = shaped
        record["tools"] = anthropic_tools(tools)
    record.update(category=plan.category, subcategory=plan.subcategory, task=task)
    return record


_TOOLS: dict[str, list[dict[str, Any]]] = {}


def _tools(tool_set: str) -> list[dict[str, Any]]:
    if tool_set not in _TOOLS:
        _TOOLS[tool_set] = json.loads(TOOLS_JSON[tool_set])
    return _TOOLS[tool_set]


def rows_table(rows: list[Row]) -> pa.Table:
    """One row group: the six columns, conversations built from flat arrays and offsets."""
    offsets = [0]
    roles: list[str] = []
    values: list[str] = []
    for _, messages, _, _ in rows:
        roles.extend(message.role for message in messages)
        values.extend(message.value for message in messages)
        offsets.append(len(values))
    struct = pa.StructArray.from_arrays(
        [pa.array(roles, pa.string()), pa.array(values, pa.string())], names=["from", "value"]
    )
    conversations = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), struct)
    columns = [
        pa.array([row[0] for row in rows], pa.string()),
        conversations,
        pa.array([TOOLS_JSON[row[2].tool_set] for row in rows], pa.string()),
        pa.array([row[2].category for row in rows], pa.string()),
        pa.array([row[2].subcategory for row in rows], pa.string()),
        pa.array([row[3] for row in rows], pa.string()),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def readme(truth: dict[str, Any]) -> str:
    """The dataset card: the real card's front matter (with a `configs:` block) and a summary."""
    configs = truth["parameters"]["configs"]
    lines = [
        "---",
        "license: apache-2.0",
        "task_categories:",
        "  - text-generation",
        "language:",
        "  - en",
        "tags:",
        "  - tool-calling",
        "  - function-calling",
        "  - agent",
        "  - hermes",
        "  - reasoning",
        "  - sharegpt",
        "  - synthetic",
        "configs:",
    ]
    for config in configs:
        lines += [
            f"  - config_name: {config}",
            "    data_files:",
            f"      - split: {SPLIT}",
            f"        path: {data_path(config, truth['parameters']['format'])}",
        ]
    lines += [
        "---",
        "",
        "# Synthetic Hermes Agent Reasoning Traces",
        "",
        "Generated by `tracehouse generate` in the layout and format of "
        "`lambda/hermes-agent-reasoning-traces`. Every value is synthetic. "
        "`ground_truth.json` holds the counts the generator wrote.",
        "",
        *_format_line(truth["parameters"]["format"]),
        "| Config | Samples | Messages | Tool calls |",
        "|--------|--------:|---------:|-----------:|",
    ]
    for config in configs:
        counts = truth["configs"][config]
        lines.append(
            f"| {config} | {counts['conversations']:,} | {counts['messages']:,} "
            f"| {counts['tool_calls']:,} |"
        )
    return "\n".join(lines) + "\n"


def _format_line(trace_format: str) -> list[str]:
    """The card's word on a structured shape (none for Hermes, whose card is unchanged)."""
    if trace_format == "hermes":
        return []
    shape = {"openai": "OpenAI chat messages", "anthropic": "Anthropic Messages"}[trace_format]
    return [f"The same conversations in the {shape} shape, as JSON lines.", ""]


def _for_file(truth: dict[str, Any], conversations: int) -> dict[str, Any]:
    """The JSON file's copy: per-conversation rows only when they keep the file small."""
    if conversations <= PER_CONVERSATION_FILE_LIMIT:
        return truth
    configs = {
        name: {key: value for key, value in counts.items() if key != "per_conversation"}
        for name, counts in truth["configs"].items()
    }
    return {**truth, "configs": configs}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    """Written last and renamed into place: its presence means the dataset is complete."""
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)
