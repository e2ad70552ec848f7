"""Load: resolve what the user named into `datasets` slices, through `datasets.load_dataset`.

SOURCE is anything `datasets.load_dataset` accepts: a hub id, a local directory in hub
layout (README.md with a `configs:` block), or local `.parquet` / `.jsonl` / `.json` files.
Everything that can be checked before the warehouse is touched is checked here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import datasets
import pyarrow as pa

from ingest.errors import SourceError

FILE_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
DEFAULT_FILE_CONFIG = "default"


@dataclass(frozen=True)
class SourceSpec:
    """What SOURCE turned out to be."""

    name: str  # the value stored in raw.*.source
    kind: str  # "hub", "directory" or "files"
    path: str  # what load_dataset gets as `path`
    data_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slice:
    """One (source, config, split) ready to stream."""

    source: str
    config: str
    split: str
    dataset: datasets.Dataset

    @property
    def num_rows(self) -> int:
        return self.dataset.num_rows

    def batches(self, batch_size: int) -> Iterator[pa.Table]:
        """Zero-copy record batches of the memory-mapped Arrow table."""
        yield from self.dataset.with_format("arrow").iter(batch_size=batch_size)


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


def available_configs(spec: SourceSpec) -> list[str]:
    """The configs the source declares (hub id or hub-layout directory)."""
    if spec.kind == "files":
        return [DEFAULT_FILE_CONFIG]
    try:
        return list(datasets.get_dataset_config_names(spec.path))
    except FileNotFoundError as exc:
        raise SourceError(f"{spec.path}: dataset not found ({_first_line(exc)})") from exc
    except ConnectionError as exc:
        raise SourceError(
            f"{spec.path}: the Hugging Face hub is not reachable ({_first_line(exc)})"
        ) from exc


def choose_configs(spec: SourceSpec, requested: Sequence[str]) -> list[str]:
    """The configs to ingest: all declared ones by default, else the requested ones, checked."""
    if spec.kind == "files":
        if len(requested) > 1:
            raise SourceError("local files form one slice: give at most one --config label")
        return list(requested) or [DEFAULT_FILE_CONFIG]
    declared = available_configs(spec)
    if not requested:
        return declared
    unknown = [name for name in requested if name not in declared]
    if unknown:
        raise SourceError(
            f"{spec.path}: unknown config {', '.join(map(repr, unknown))} "
            f"(available: {', '.join(declared)})"
        )
    return list(requested)


def load_slice(spec: SourceSpec, config: str, split: str) -> Slice:
    """Load one config/split with `datasets.load_dataset`, the same call that works on the hub."""
    cache_dir = local_cache_dir(spec)
    try:
        if spec.kind == "files":
            dataset = datasets.load_dataset(
                spec.path, data_files=list(spec.data_files), split=split, cache_dir=cache_dir
            )
        else:
            dataset = datasets.load_dataset(spec.path, config, split=split, cache_dir=cache_dir)
    except ValueError as exc:  # an unknown split, among others
        raise SourceError(f"{spec.path} [{config}]: {_first_line(exc)}") from exc
    except (FileNotFoundError, ConnectionError) as exc:
        raise SourceError(f"{spec.path} [{config}]: {_first_line(exc)}") from exc
    except datasets.exceptions.DatasetGenerationError as exc:
        cause = exc.__cause__ or exc
        raise SourceError(
            f"{spec.path} [{config}]: cannot read the data: {_first_line(cause)}"
        ) from exc
    return Slice(source=spec.name, config=config, split=split, dataset=dataset)


def local_cache_dir(spec: SourceSpec) -> str | None:
    """A datasets cache folder keyed by the local files' paths, sizes and mtimes.

    `datasets` keys the Arrow cache of a local hub-layout directory by its folder name and
    config only (huggingface/datasets#2956), so a regenerated or edited local dataset would
    be read from a stale cache. Hub ids keep the default cache (keyed by the revision).
    """
    if spec.kind == "hub":
        return None
    if spec.kind == "files":
        files = [Path(name) for name in spec.data_files]
    else:
        files = sorted(path for path in Path(spec.path).rglob("*") if path.is_file())
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return str(
        Path(datasets.config.HF_DATASETS_CACHE) / "tracehouse-local" / digest.hexdigest()[:20]
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
