"""What the user asked for, checked before any work, and where the files go."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tracehouse.errors import UserError

FORMATS = ("messages", "sharegpt", "prompt-response")
TOOLS_PLACES = ("none", "column")


@dataclass(frozen=True)
class ExportOptions:
    """What the user asked for; every filter is optional."""

    format: str
    out: Path
    configs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    exclude_failed_conversations: bool = False
    exclude_malformed: bool = False
    min_tool_calls: int | None = None
    max_chars: int | None = None
    max_tokens: int | None = None
    tokenizer: str | None = None
    val_fraction: float = 0.0
    openai: bool = False
    tools: str = "none"
    keep_without_assistant: bool = False
    exclude_turn_order_breaks: bool = False
    weights: bool = False
    special_tokens: bool = False


def stem_and_suffix(out: Path) -> tuple[str, str]:
    if out.suffix:
        return out.name[: -len(out.suffix)], out.suffix
    return out.name, ".jsonl"


def output_paths(out: Path, val_fraction: float) -> dict[str, Path]:
    """`--out` itself, or with a validation fraction `NAME.train.EXT` and `NAME.validation.EXT`."""
    if val_fraction <= 0:
        return {"all": out}
    stem, suffix = stem_and_suffix(out)
    return {
        "train": out.with_name(f"{stem}.train{suffix}"),
        "validation": out.with_name(f"{stem}.validation{suffix}"),
    }


def sidecar_path(data_path: Path) -> Path:
    """The `--openai` sidecar beside a data file: `NAME.meta.jsonl`."""
    stem, _ = stem_and_suffix(data_path)
    return data_path.with_name(f"{stem}.meta.jsonl")


def manifest_path_for(out: Path) -> Path:
    stem, _ = stem_and_suffix(out)
    return out.with_name(f"{stem}.manifest.json")


def all_output_paths(options: ExportOptions) -> list[Path]:
    data = list(output_paths(options.out, options.val_fraction).values())
    sidecars = [sidecar_path(path) for path in data] if options.openai else []
    return [*data, *sidecars, manifest_path_for(options.out)]


def temporary_path(path: Path) -> Path:
    """Where `path` is written before it is put in place: `NAME.tmp` beside it."""
    return path.with_name(path.name + ".tmp")


def written_paths(options: ExportOptions) -> list[Path]:
    """Every file the export writes, its temporary files included."""
    final = all_output_paths(options)
    return [*final, *(temporary_path(path) for path in final)]


def check_options(options: ExportOptions) -> None:
    """Bad requests fail here, before any work: unknown format, bad numbers, options that do
    not apply to the format, an unwritable path."""
    if options.format not in FORMATS:
        raise UserError(
            f"unknown export format {options.format!r}; choose one of: {', '.join(FORMATS)}"
        )
    if options.tools not in TOOLS_PLACES:
        raise UserError(f"--tools must be one of: {', '.join(TOOLS_PLACES)}; got {options.tools!r}")
    if not 0 <= options.val_fraction < 1:
        raise UserError(f"--val-fraction must be in [0, 1), got {options.val_fraction}")
    if options.min_tool_calls is not None and options.min_tool_calls < 0:
        raise UserError("--min-tool-calls must be 0 or more")
    if options.max_chars is not None and options.max_chars <= 0:
        raise UserError("--max-chars must be a positive number of characters")
    if options.max_tokens is not None and options.max_tokens <= 0:
        raise UserError("--max-tokens must be a positive number of tokens")
    if options.max_tokens is not None and not options.tokenizer:
        raise UserError("--max-tokens needs --tokenizer PATH (a local tokenizer folder or hub id)")
    if options.openai and options.format != "messages":
        raise UserError("--openai applies to --format messages only")
    if options.openai and options.keep_without_assistant:
        raise UserError(
            "--keep-without-assistant does not apply with --openai: OpenAI's format needs an "
            "assistant message in every example"
        )
    if options.special_tokens and options.format != "prompt-response":
        raise UserError("--special-tokens applies to --format prompt-response only")
    if options.tools != "none" and options.format == "prompt-response":
        raise UserError("--tools applies to --format messages and sharegpt only")
    if options.keep_without_assistant and options.format == "prompt-response":
        raise UserError(
            "--keep-without-assistant applies to --format messages and sharegpt only "
            "(prompt-response has one row per assistant turn)"
        )
    if options.exclude_turn_order_breaks and options.format != "sharegpt":
        raise UserError("--exclude-turn-order-breaks applies to --format sharegpt only")
    out = options.out
    if out.exists() and out.is_dir():
        raise UserError(
            f"--out {out} is a directory; give a file path such as {out / 'train.jsonl'}"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"--out {out}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"--out {out}: the folder {parent} is not writable")
    for path in all_output_paths(options):
        if path.exists() and not os.access(path, os.W_OK):
            raise UserError(f"--out {out}: {path} exists and is not writable")
