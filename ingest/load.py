"""Load: resolve what the user named into `datasets` slices, through `datasets.load_dataset`.

SOURCE is anything `datasets.load_dataset` accepts: a hub id, a local directory in hub
layout (README.md with a `configs:` block) or of data files, or local `.parquet` / `.jsonl` /
`.json` files (a `.json` file holds JSON lines or one array of rows). Everything that can be
checked before the warehouse is touched is checked here.

`cache_dir` (every function that reaches `datasets`) is where `datasets` puts the lock files
of its builders (0-byte `.lock` files, kept after use); ingest passes a temporary folder that
it removes, so nothing is left in the user's ~/.cache/huggingface/datasets/. Streaming
writes no data there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.dataset as pds

from tracehouse.ingest.errors import SourceError
from tracehouse.ingest.json_rows import (
    features_for_every_row,
    scan_json_rows,
    without_blank_lines,
)

FILE_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}
JSON_SUFFIXES = (".json", ".jsonl")
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
DEFAULT_FILE_CONFIG = "default"


@dataclass(frozen=True)
class SourceSpec:
    """What SOURCE turned out to be."""

    name: str  # the value stored in raw.*.source
    kind: str  # "hub", "directory" or "files"
    path: str  # what load_dataset gets as `path`
    data_files: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """What an error names: the files themselves, else the hub id or directory."""
        return ", ".join(self.data_files) if self.kind == "files" else self.path


@dataclass(frozen=True)
class Slice:
    """One (source, config, split), streamed record batch by record batch."""

    source: str
    config: str
    split: str
    dataset: datasets.IterableDataset

    @property
    def num_rows(self) -> int | None:
        """Rows the source declares for the split (hub metadata), else None: not counted ahead."""
        splits = self.dataset.info.splits
        info = splits.get(self.split) if splits else None
        return info.num_examples if info is not None and info.num_examples else None

    @property
    def schema(self) -> pa.Schema:
        """The columns every batch is cast to (read from the files' metadata, not the rows)."""
        return self.dataset.features.arrow_schema

    def head(self, rows: int) -> pa.Table:
        """The first `rows` rows (read afresh: `batches` starts again from the beginning)."""
        for batch in self.batches(rows):
            return batch
        return self.schema.empty_table()

    def batches(self, batch_size: int) -> Iterator[pa.Table]:
        """Record batches of at most `batch_size` rows, read as they are needed.

        A file that turns out unreadable part-way (a truncated parquet, rows that `datasets`
        cannot cast to the types of the first ones) is a SourceError like one found up front;
        the caller's transaction rolls back.
        """
        batches = iter(self.dataset.with_format("arrow").iter(batch_size=batch_size))
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowException, ValueError, TypeError, OSError) as exc:
                raise SourceError(
                    f"{self.source} [{self.config}]: cannot read the data: {_first_line(exc)}"
                ) from exc
            yield batch


def resolve_source(source: str, source_name: str | None = None) -> SourceSpec:
    """Classify SOURCE; fail before anything is loaded when a local path does not exist."""
    path = Path(source).expanduser()
    if path.is_dir():
        name = source_name or str(path.resolve())
        return SourceSpec(name=name, kind="directory", path=str(path.resolve()))
    if path.is_file():
        builder = FILE_BUILDERS.get(path.suffix.lower())
        if builder is None:
            raise SourceError(
                f"{source}: unsupported file type {path.suffix!r} "
                f"(expected one of {', '.join(sorted(FILE_BUILDERS))})"
            )
        resolved = str(path.resolve())
        return SourceSpec(
            name=source_name or resolved, kind="files", path=builder, data_files=(resolved,)
        )
    looks_local = (
        source.startswith((".", "/", "~"))
        or path.suffix.lower() in FILE_BUILDERS
        or not HUB_ID.match(source)
    )
    if looks_local:
        raise SourceError(f"{source}: no such file or directory")
    return SourceSpec(name=source_name or source, kind="hub", path=source)


def available_configs(spec: SourceSpec, cache_dir: str | None = None) -> list[str]:
    """The configs the source declares (hub id or hub-layout directory)."""
    if spec.kind == "files":
        return [DEFAULT_FILE_CONFIG]
    try:
        return list(
            datasets.get_dataset_config_names(
                spec.path, download_config=datasets.DownloadConfig(cache_dir=cache_dir)
            )
        )
    except FileNotFoundError as exc:
        raise SourceError(f"{spec.path}: dataset not found ({_first_line(exc)})") from exc
    except ConnectionError as exc:
        raise SourceError(
            f"{spec.path}: the Hugging Face hub is not reachable ({_first_line(exc)})"
        ) from exc


def choose_configs(
    spec: SourceSpec, requested: Sequence[str], cache_dir: str | None = None
) -> list[str]:
    """The configs to ingest: all declared ones by default, else the requested ones, checked."""
    if spec.kind == "files":
        if len(requested) > 1:
            raise SourceError("local files form one slice: give at most one --config label")
        return list(requested) or [DEFAULT_FILE_CONFIG]
    declared = available_configs(spec, cache_dir)
    if not requested:
        return declared
    unknown = [name for name in requested if name not in declared]
    if unknown:
        raise SourceError(
            f"{spec.path}: unknown config {', '.join(map(repr, unknown))} "
            f"(available: {', '.join(declared)})"
        )
    return list(requested)


def load_slice(spec: SourceSpec, config: str, split: str, batch_rows: int, cache_dir: str) -> Slice:
    """Open one config/split with `datasets.load_dataset`, the same call that works on the hub.

    `streaming=True`: rows are read from the source files batch by batch as they are landed,
    with no Arrow cache in between. The cache would be a second full copy of the data, written
    to disk and memory-mapped once per new source, and the warehouse is already the copy.
    Parquet is decoded `batch_rows` rows at a time whatever the files' row-group size, and
    without pre-buffering: pyarrow keeps every pre-buffered row group of a file until the
    file is closed (apache/arrow#39808), which held 1 GB more per GB of parquet read (a
    10x kimi file: 4.4 GB peak RSS instead of about 1). Memory stays bounded by the batch.

    JSON: every row of local files is read first (tracehouse.ingest.json_rows), so a line
    that is not JSON stops the ingest before anything is written, naming the file and the
    line, and the types of the columns come from every row, not from the first 10 MB that
    `datasets` reads them from (and a file that holds one array of rows, whose columns
    `datasets` cannot read ahead, needs nothing more).
    """
    parquet_options = {
        "batch_size": batch_rows,
        "fragment_scan_options": pds.ParquetFragmentScanOptions(pre_buffer=False),
    }
    try:
        try:
            dataset = _load(spec, config, split, parquet_options, cache_dir)
        except (TypeError, ValueError) as exc:  # not the parquet builder (json reads 10 MB chunks)
            if not any(f"'{name}'" in str(exc) for name in parquet_options):
                raise
            json_files = _local_json_files(spec, config, split, cache_dir)
            options = {}
            if json_files:  # local: the types come from every row (the hub's: its first 10 MB)
                scan = scan_json_rows(json_files)
                options = {"features": features_for_every_row(scan)}
                if scan.files_with_blank_lines:
                    files = without_blank_lines(scan, json_files, cache_dir)
                    spec = SourceSpec(spec.name, "files", "json", tuple(files))
            dataset = _load(spec, config, split, options, cache_dir)
    except SourceError:
        raise
    except ValueError as exc:  # an unknown split, among others
        raise SourceError(f"{spec.where} [{config}]: {_first_line(exc)}") from exc
    except (FileNotFoundError, ConnectionError) as exc:
        raise SourceError(f"{spec.where} [{config}]: {_first_line(exc)}") from exc
    except datasets.exceptions.DatasetGenerationError as exc:
        cause = exc.__cause__ or exc
        raise SourceError(
            f"{spec.where} [{config}]: cannot read the data: {_first_line(cause)}"
        ) from exc
    if dataset.features is None:  # no builder here leaves it unknown, but say so if one does
        raise SourceError(f"{spec.where} [{config}]: the columns cannot be read ahead of the rows")
    return Slice(source=spec.name, config=config, split=split, dataset=dataset)


def _load(
    spec: SourceSpec, config: str, split: str, options: dict, cache_dir: str | None
) -> datasets.IterableDataset:
    if spec.kind == "files":
        return datasets.load_dataset(
            spec.path,
            data_files=list(spec.data_files),
            split=split,
            streaming=True,
            cache_dir=cache_dir,
            **options,
        )
    return datasets.load_dataset(
        spec.path, config, split=split, streaming=True, cache_dir=cache_dir, **options
    )


def _local_json_files(
    spec: SourceSpec, config: str, split: str, cache_dir: str | None
) -> tuple[str, ...]:
    """The local JSON files of a slice (none for the hub, whose files are not local)."""
    if spec.kind == "files":
        files = spec.data_files
    elif spec.kind == "directory":
        builder = datasets.load_dataset_builder(spec.path, config, cache_dir=cache_dir)
        files = tuple((builder.config.data_files or {}).get(split, ()))
    else:
        return ()
    return tuple(str(file) for file in files if Path(file).suffix.lower() in JSON_SUFFIXES)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
