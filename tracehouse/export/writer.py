"""The export: select conversations, build their rows a batch at a time, write JSONL.

Reads the warehouse read-only. Each batch of conversations (about BATCH_TEXT_CHARS of text,
source.py) is read, turned into encoded rows (batches.py) and appended; the next batch is
read while one is built, and no more, so memory stays bounded whatever the export's size.
The files appear together, under their names, only once everything worked, manifest
included; then the files an earlier export to the same --out wrote (its manifest lists
them) and this one does not write are removed, so the folder holds one export. Only those
still as that export wrote them (the sha256 its manifest records): a file changed since, or
put there under such a name, is kept, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tracehouse.commands.common import refuse_writing_over_warehouse, warehouse_file_role
from tracehouse.export import source
from tracehouse.export.batches import BatchOutput, build_batch, read
from tracehouse.export.manifest import Counts, build_manifest, file_entry
from tracehouse.export.options import (
    ExportOptions,
    check_options,
    manifest_path_for,
    output_paths,
    sidecar_path,
    temporary_path,
    written_paths,
)
from tracehouse.progress import progress_bar
from tracehouse.warehouse import connect, cursor

# a sha256 as the manifest records it (hexdigest)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass
class ExportResult:
    files: dict[str, Path] = field(default_factory=dict)
    sidecars: dict[str, Path] = field(default_factory=dict)
    manifest_path: Path | None = None
    manifest: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # files that existed before and this export wrote over
    replaced: list[Path] = field(default_factory=list)
    # files of the earlier export to the same --out that this export does not write
    removed: list[Path] = field(default_factory=list)
    # such files kept (changed since that export wrote them, or not verifiable), each warned
    kept: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class EarlierFile:
    """A file an earlier export's manifest lists, with the sha256 and size it records."""

    path: Path
    sha256: str | None
    size: int | None


class JsonlFile:
    """A JSONL file written to NAME.tmp, hashed as it is written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = temporary_path(path)
        self.handle = open(self.tmp, "wb")  # noqa: SIM115 (closed in close() or discard())
        self.digest = hashlib.sha256()
        self.bytes = 0
        self.rows = 0

    def append(self, data: bytes | bytearray, rows: int) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.bytes += len(data)
        self.rows += rows

    def close(self) -> None:
        self.handle.close()

    def entry(self) -> dict:
        return file_entry(self.path, self.digest.hexdigest(), self.bytes, self.rows)

    def discard(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def export(
    db: Path, options: ExportOptions, quiet: bool = True, warnings: Sequence[str] = ()
) -> ExportResult:
    """Write the examples the options select, and the manifest; return what was written.
    `warnings` (the caller's: stale marts) lead the result's and the manifest's."""
    check_options(options)
    refuse_writing_over_warehouse(db, options.out, written_paths(options))
    started = time.perf_counter()
    counter = None
    if options.tokenizer:
        from tracehouse.export.tokens import TokenCounter

        counter = TokenCounter(options.tokenizer)  # a bad tokenizer fails before any work
    con = connect(db, read_only=True)
    try:
        quiet_connection(con)
        source.check_relations(con, db)
        return _export(con, db, options, counter, started, quiet, warnings)
    finally:
        con.close()


def quiet_connection(con) -> None:
    """No DuckDB progress bar: it would draw on stderr during a long query, even with -q."""
    con.execute("set enable_progress_bar = false")


def _filters_after_sql(options: ExportOptions) -> list[str]:
    """The filters decided on the rows once built, in the order they apply."""
    names = []
    if options.exclude_malformed and options.format == "messages":
        names.append("exclude_malformed")
    if options.openai:
        names.append("not_openai_representable")
    if options.exclude_turn_order_breaks:
        names.append("exclude_turn_order_breaks")
    if options.format == "prompt-response" and options.max_chars is not None:
        names.append("max_chars")
    if options.max_tokens is not None:
        names.append("max_tokens")
    return names


def _export(
    con,
    db: Path,
    options: ExportOptions,
    counter,
    started: float,
    quiet: bool,
    warnings: Sequence[str],
) -> ExportResult:
    conversations, excluded = source.select_conversations(con, options)
    for name in _filters_after_sql(options):
        excluded.setdefault(name, 0)
    counts = Counts(excluded_by_filter=excluded)
    totals = source.warehouse_totals(con)
    batches = source.plan_batches(conversations, options.format)
    data: dict[str, JsonlFile] = {}
    sidecars: dict[str, JsonlFile] = {}
    tokens: list[int] = []
    result = ExportResult(warnings=[*warnings, *source.unmatched_filter_values(con, options)])
    try:
        for part, path in output_paths(options.out, options.val_fraction).items():
            data[part] = JsonlFile(path)
            if options.openai:
                sidecars[part] = JsonlFile(sidecar_path(path))
        with progress_bar(len(batches), "export", "batch", quiet) as bar:
            for output in _outputs(con, batches, options, counter):
                for part, lines in output.data.items():
                    data[part].append(lines, output.rows[part])
                for part, lines in output.meta.items():
                    sidecars[part].append(lines, output.rows[part])
                counts.merge(output.counts)
                tokens.extend(output.tokens)
                bar.update(1)
        for handle in [*data.values(), *sidecars.values()]:
            handle.close()
        token_stats = None
        if counter is not None:
            from tracehouse.export.tokens import token_summary

            token_stats = {
                "tokenizer": options.tokenizer,
                "rendered_with": counter.rendering,
                **token_summary(tokens),
            }
        result.manifest = build_manifest(
            options,
            counts,
            totals,
            {part: handle.entry() for part, handle in data.items()},
            {part: handle.entry() for part, handle in sidecars.items()},
            token_stats,
            time.perf_counter() - started,
        )
        result.files = {part: handle.path for part, handle in data.items()}
        result.sidecars = {part: handle.path for part, handle in sidecars.items()}
        if counts.rows_written == 0:
            result.warnings.append(
                "the filters match no example: wrote an empty file "
                f"({', '.join(str(p) for p in result.files.values())})"
            )
        result.manifest_path = manifest_path_for(options.out)
        handles = [*data.values(), *sidecars.values()]
        # decided before the manifest is written, so that its warnings say what was kept
        stale = _stale_files(db, handles, result)
        result.manifest["warnings"] = result.warnings
        manifest_tmp = temporary_path(result.manifest_path)
        manifest_tmp.write_text(json.dumps(result.manifest, indent=2) + "\n", encoding="utf-8")
        # the outputs appear together, and only once everything (manifest included) worked
        _commit(handles, stale, result)
    finally:
        for handle in [*data.values(), *sidecars.values()]:
            handle.discard()
        if result.manifest_path is not None:
            temporary_path(result.manifest_path).unlink(missing_ok=True)
    return result


def _stale_files(db: Path, handles: list[JsonlFile], result: ExportResult) -> list[Path]:
    """The files of the earlier export to the same --out (listed by the manifest this one
    replaces, read before it is) that this export does not write (its split files, its
    sidecars; nothing else) and that are still as that export wrote them: their sha256 is the
    one its manifest records. The others (edited since, put there under such a name, or with
    no sha256 to check) are kept, each with a warning in `result`."""
    manifest_path = result.manifest_path
    final = [*(handle.path for handle in handles), manifest_path]
    # nor their temporary files: removing the manifest's would fail the export at its end
    names = {path.name for path in [*final, *map(temporary_path, final)]}
    stale = []
    for earlier in earlier_export_files(manifest_path):
        path = earlier.path
        if path.name in names or warehouse_file_role(path, db) is not None:
            continue
        changed = _changed_since_export(earlier)
        if changed is None:
            stale.append(path)
            continue
        result.kept.append(path)
        result.warnings.append(
            f"kept {path}, a file of the earlier export to this --out that this one does not "
            f"write: {changed}; remove it if it is not wanted"
        )
    return stale


def _changed_since_export(earlier: EarlierFile) -> str | None:
    """None when the file is as the earlier export wrote it, else why it is not (or cannot be
    told to be). The export writes regular files: a link or anything else is not its file."""
    if earlier.sha256 is None:
        return "the earlier manifest records no sha256 to check it against"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        if earlier.path.is_symlink():
            return "it is a symbolic link, not the file that export wrote"
        fd = os.open(earlier.path, flags)
    except OSError as exc:
        return f"it could not be read ({exc.strerror or exc})"
    try:
        with open(fd, "rb", closefd=True) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return "it is not a regular file, as that export wrote"
            if earlier.size is not None and info.st_size != earlier.size:
                return "it changed since that export wrote it (its size is not the manifest's)"
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return f"it could not be read ({exc.strerror or exc})"
    if digest != earlier.sha256:
        return "it changed since that export wrote it (its sha256 is not the manifest's)"
    return None


def _commit(handles: list[JsonlFile], stale: list[Path], result: ExportResult) -> None:
    """Put the written files in place, remove the `stale` files of the earlier export to the
    same --out (_stale_files), then put the manifest in place."""
    manifest_path = result.manifest_path
    final = [*(handle.path for handle in handles), manifest_path]
    result.replaced = [path for path in final if path.exists()]
    for handle in handles:
        os.replace(handle.tmp, handle.path)
    for path in stale:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            result.warnings.append(
                f"could not remove {path} of the earlier export to this --out "
                f"({exc.strerror or exc})"
            )
            continue
        result.removed.append(path)
    # last: were this interrupted before, the earlier manifest still lists what is left
    os.replace(temporary_path(manifest_path), manifest_path)


def earlier_export_files(manifest_path: Path) -> list[EarlierFile]:
    """The data files and sidecars that the manifest at `manifest_path` (an earlier export to
    the same --out) lists, as files of the manifest's own folder, with the sha256 and size it
    records (None when it records none that could be one). An export writes all its files
    beside its manifest, named after the same stem (NAME, NAME.EXT, NAME.train.EXT,
    NAME.meta.jsonl, ...): only the last part of a listed path counts (the manifest is
    anyone's to edit: `../x` or `/x` is x beside it), and a name that is not the stem's, or
    is not a file, is left alone. A name listed twice counts once, as first listed. No
    manifest there, or one that is not an export's, lists nothing."""
    try:
        earlier = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(earlier, dict):
        return []
    stem = manifest_path.name.removesuffix(".manifest.json")
    paths: dict[str, EarlierFile] = {}
    for key in ("files", "sidecars"):
        entries = earlier.get(key)
        for entry in entries.values() if isinstance(entries, dict) else ():
            listed = entry.get("path") if isinstance(entry, dict) else None
            if not isinstance(listed, str):
                continue
            name = Path(listed).name
            if name in ("", ".", "..") or name in paths or name == manifest_path.name:
                continue
            if name != stem and not name.startswith(stem + "."):
                continue
            path = manifest_path.with_name(name)
            if path.is_symlink() or path.is_file():
                sha256 = entry.get("sha256")
                size = entry.get("bytes")
                paths[name] = EarlierFile(
                    path,
                    sha256 if isinstance(sha256, str) and SHA256_HEX.fullmatch(sha256) else None,
                    size if type(size) is int and size >= 0 else None,
                )
    return list(paths.values())


def _outputs(
    con, batches: list[list[source.Conversation]], options: ExportOptions, counter
) -> Iterator[BatchOutput]:
    """Every batch's output, in batch order. The next batch is read on a second cursor in a
    thread (DuckDB reads and decompresses without holding the GIL) while this one is
    built, so at most two batches' text is in memory."""
    if not batches:
        return
    reader = cursor(con)
    try:
        quiet_connection(reader)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(read, reader, batches[0], options)
            for index, batch in enumerate(batches):
                texts = pending.result()
                if index + 1 < len(batches):
                    pending = pool.submit(read, reader, batches[index + 1], options)
                yield build_batch(batch, texts, options, counter)
    finally:
        reader.close()
