"""Load: resolve what the user named into `datasets` slices, through `datasets.load_dataset`.

SOURCE is anything `datasets.load_dataset` accepts: a hub id, a local directory in hub
layout (README.md with a `configs:` block) or of data files, or local `.parquet` / `.jsonl` /
`.json` files, the JSON ones gzipped too (`.jsonl.gz`; a `.json` file holds JSON lines or one
array of rows). Everything that can be checked before the warehouse is touched is checked
here, among it that `datasets` reads every data file of a local directory's split: it reads
one type of file per dataset and skips, or misreads, the others.

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
from datasets.data_files import DataFilesDict, get_data_patterns
from datasets.load import dataset_module_factory, infer_module_for_data_files_list

from tracehouse.ingest.errors import SourceError
from tracehouse.ingest.json_rows import (
    features_for_every_row,
    is_json_file,
    scan_json_rows,
    without_blank_lines,
)

FILE_BUILDERS = {
    ".parquet": "parquet",
    ".jsonl": "json",
    ".json": "json",
    ".jsonl.gz": "json",
    ".json.gz": "json",
}
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
        resolved = str(path.resolve())
        builder = FILE_BUILDERS.get(_file_type(path))
        if builder is None:
            raise SourceError(
                f"{resolved}: unsupported file type {_file_type(path)!r} "
                f"(expected one of {', '.join(sorted(FILE_BUILDERS))})"
            )
        return SourceSpec(
            name=source_name or resolved, kind="files", path=builder, data_files=(resolved,)
        )
    looks_local = (
        source.startswith((".", "/", "~"))
        or _file_type(path) in FILE_BUILDERS
        or not HUB_ID.match(source)
    )
    if looks_local:
        raise SourceError(f"{source}: no such file or directory")
    return SourceSpec(name=source_name or source, kind="hub", path=source)


def _file_type(path: Path) -> str:
    """`.parquet`, `.jsonl`, ..., and `.jsonl.gz` for a gzipped one (the last two suffixes
    when the last is `.gz`)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    return "".join(suffixes[-2:]) if suffixes[-1:] == [".gz"] else "".join(suffixes[-1:])


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
        if spec.kind == "directory":
            _check_every_file_is_read(spec, config, split, cache_dir)
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
    return tuple(str(file) for file in files if is_json_file(str(file)))


def _check_every_file_is_read(spec: SourceSpec, config: str, split: str, cache_dir: str) -> None:
    """Refuse a local directory's split whose data files are not all of the type `datasets`
    reads it as.

    `datasets` reads a dataset with one builder, chosen from its files' types: in a folder
    without a README `configs:` block, the most common type, and it skips the files of the
    others (a.jsonl and b.parquet: b.parquet alone); with a `configs:` block, the type of
    the first config's files, for every config (a JSON config of such a folder is read as
    parquet, and fails on it). Either way, files that are not read are not data landed.
    """
    download_config = datasets.DownloadConfig(cache_dir=cache_dir)
    module = dataset_module_factory(spec.path, download_config=download_config)
    builder = datasets.load_dataset_builder(spec.path, config, cache_dir=cache_dir)
    if module.builder_configs_parameters.metadata_configs:
        files = list((builder.config.data_files or {}).get(split, ()))  # as the config names them
    else:  # every file of the split before `datasets` kept its builder's type
        patterns = get_data_patterns(spec.path, download_config=download_config)
        found = DataFilesDict.from_patterns(
            patterns, base_path=spec.path, download_config=download_config
        )
        files = list(found.get(split, ()))
    by_type: dict[str, list[str]] = {}
    for file in files:
        file_type, _ = infer_module_for_data_files_list([file])
        if file_type is not None:
            by_type.setdefault(file_type, []).append(file)
    others = {name: found for name, found in by_type.items() if name != builder.name}
    if not others:
        return
    read = by_type.get(builder.name, [])
    skipped = "; ".join(
        f"{name}: {_names(spec.path, found)}" for name, found in sorted(others.items())
    )
    if read:
        what = (
            f"split {split!r} mixes file types, and `datasets` reads a dataset as one type "
            f"(here {builder.name}: {_names(spec.path, read)}), so it would not read {skipped}"
        )
    else:
        what = (
            f"split {split!r} holds {skipped}, but `datasets` reads this dataset as "
            f"{builder.name} (the type of the first config's files), so it would not read them"
        )
    raise SourceError(
        f"{spec.path} [{config}]: {what}. Ingest each type on its own: move the files of each "
        "type into a folder of their own and ingest each folder, or ingest each file by its path"
    )


def _names(folder: str, files: Sequence[str], most: int = 5) -> str:
    """The files relative to `folder`, at most `most` of them, and how many more."""
    names = [str(Path(file).relative_to(folder)) for file in files[:most]]
    more = f" and {len(files) - most} more" if len(files) > most else ""
    return ", ".join(names) + more


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
