"""The manifest written beside an export (`NAME.manifest.json`): what was asked, what was
written (files with their sha256), and what each filter left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tracehouse.export.options import ExportOptions

SPLIT_RULE = (
    "validation when int(md5(id).hexdigest()[:8], 16) / 2**32 < val_fraction "
    "(id = conversation id, else the conversation key)"
)
SIDECAR_HOLDS = (
    "one line per row of the data file, in the same order: the row's id, config and "
    "category, and per message what OpenAI's format has no place for (an assistant turn's "
    "reasoning_content; a tool result's name and the tool_call_id the source had, null "
    "where the row's id was generated); tracehouse.export.openai_to_messages merges it back"
)
EXCLUSION_ORDER = (
    "each filter counts what it left out of what the filters before it kept, in the order "
    "listed (conversations; rows for prompt-response's max_chars and for max_tokens)"
)


@dataclass
class Counts:
    """What was written, summed over the conversations with at least one row written."""

    conversations_written: int = 0
    rows_written: int = 0
    rows_validation: int = 0
    assistant_turns_written: int = 0
    non_representable_messages_written: int = 0
    non_representable_assistant_turns_written: int = 0
    conversations_with_non_representable_messages_written: int = 0
    malformed_tool_calls_written: int = 0
    failed_tool_calls_written: int = 0
    conversations_breaking_llamafactory_turn_order_written: int = 0
    tool_call_ids_from_source: int = 0
    tool_call_ids_generated: int = 0
    excluded_by_filter: dict[str, int] = field(default_factory=dict)

    def add_conversation(self, conversation, built, rows: int, validation: bool) -> None:
        """A conversation with `rows` rows written (formats.Built has its own counts)."""
        self.conversations_written += 1
        self.rows_written += rows
        self.rows_validation += rows if validation else 0
        self.assistant_turns_written += conversation.assistant_turns
        self.malformed_tool_calls_written += conversation.malformed_tool_calls
        self.failed_tool_calls_written += conversation.failed_tool_calls
        self.non_representable_messages_written += built.non_representable_messages
        self.non_representable_assistant_turns_written += built.non_representable_assistant_turns
        self.conversations_with_non_representable_messages_written += (
            built.non_representable_messages > 0
        )
        self.conversations_breaking_llamafactory_turn_order_written += built.breaks_turn_order
        self.tool_call_ids_from_source += built.ids_from_source
        self.tool_call_ids_generated += built.ids_generated

    def merge(self, other: Counts) -> None:
        for name, value in vars(other).items():
            if name == "excluded_by_filter":
                for filter_name, excluded in value.items():
                    self.excluded_by_filter[filter_name] = (
                        self.excluded_by_filter.get(filter_name, 0) + excluded
                    )
            else:
                setattr(self, name, getattr(self, name) + value)


def build_manifest(
    options: ExportOptions,
    counts: Counts,
    totals: tuple[int, int, list[tuple]],
    files: dict[str, dict],
    sidecars: dict[str, dict],
    tokens: dict | None,
    seconds: float,
) -> dict:
    conversations, assistant_turns, sources = totals
    written = {
        "conversations_in_warehouse": conversations,
        "assistant_turns_in_warehouse": assistant_turns,
        "conversations_written": counts.conversations_written,
        "rows_written": counts.rows_written,
        "rows_train": counts.rows_written - counts.rows_validation,
        "rows_validation": counts.rows_validation,
        "assistant_turns_written": counts.assistant_turns_written,
        "malformed_tool_calls_written": counts.malformed_tool_calls_written,
        "failed_tool_calls_written": counts.failed_tool_calls_written,
    }
    if options.val_fraction <= 0:
        written["rows_train"] = counts.rows_written
    if options.format == "messages":
        written |= {
            "non_representable_messages_written": counts.non_representable_messages_written,
            "non_representable_assistant_turns_written": (
                counts.non_representable_assistant_turns_written
            ),
            "conversations_with_non_representable_messages_written": (
                counts.conversations_with_non_representable_messages_written
            ),
        }
    if options.openai:
        written |= {
            "tool_call_ids_from_source": counts.tool_call_ids_from_source,
            "tool_call_ids_generated": counts.tool_call_ids_generated,
        }
    if options.format == "sharegpt":
        written["conversations_breaking_llamafactory_turn_order_written"] = (
            counts.conversations_breaking_llamafactory_turn_order_written
        )
    written["excluded_by_filter"] = counts.excluded_by_filter
    manifest = {
        "format": options.format,
        "files": files,
        "filters": {
            "config": list(options.configs),
            "category": list(options.categories),
            "keep_without_assistant": options.keep_without_assistant,
            "exclude_failed_conversations": options.exclude_failed_conversations,
            "exclude_malformed": options.exclude_malformed,
            "min_tool_calls": options.min_tool_calls,
            "max_chars": options.max_chars,
            "max_tokens": options.max_tokens,
            "exclude_turn_order_breaks": options.exclude_turn_order_breaks,
        },
        "options": {
            "val_fraction": options.val_fraction,
            "split_rule": SPLIT_RULE,
            "openai": options.openai,
            "tools": options.tools,
            "weights": options.weights,
            "special_tokens": options.special_tokens,
            "tokenizer": options.tokenizer,
        },
        "counts": written,
        "excluded_by_filter_rule": EXCLUSION_ORDER,
        "source_configs": [
            {"source": s, "config": c, "split": sp, "conversations": n} for s, c, sp, n in sources
        ],
    }
    if options.openai:
        manifest["sidecars"] = sidecars
        manifest["sidecar_holds"] = SIDECAR_HOLDS
    if tokens is not None:
        manifest["tokens_per_row"] = tokens
    manifest["seconds"] = round(seconds, 3)
    return manifest


def file_entry(path: Path, sha256: str, size: int, rows: int) -> dict:
    return {"path": str(path), "sha256": sha256, "bytes": size, "rows": rows}
