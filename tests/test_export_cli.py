"""Export through the CLI, around its output files: it never writes over the warehouse it
reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import tracehouse


@pytest.fixture(scope="module")
def warehouse(built_warehouse) -> Path:
    """The session's built warehouse (generated sample); export reads it read-only."""
    return built_warehouse["db"]


def export(db: Path, out: Path, *args: str, check: bool = True):
    """`tracehouse export` run in the folder of `out`: the summary names files by name."""
    return tracehouse(
        "export", "--db", str(db), "--out", out.name, *args, check=check, cwd=out.parent
    )


def folder_state(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


# ---------------------------------------------------------------- the warehouse is not an output


@pytest.mark.parametrize(
    ("warehouse_name", "out", "args", "says"),
    [
        ("w.duckdb", "w.duckdb", ["--format", "sharegpt"], "--out w.duckdb is the warehouse"),
        ("w.duckdb", "./sub/../w.duckdb", ["--format", "sharegpt"], "is the warehouse"),
        ("w.duckdb", "w.duckdb.wal", ["--format", "sharegpt"], "write-ahead log"),
        (
            "s.train.jsonl",
            "s.jsonl",
            ["--format", "sharegpt", "--val-fraction", "0.2"],
            "would write s.train.jsonl, which is the warehouse",
        ),
        (
            "o.meta.jsonl",
            "o.jsonl",
            ["--format", "messages", "--openai"],
            "would write o.meta.jsonl, which is the warehouse",
        ),
        (
            "o.manifest.json",
            "o.jsonl",
            ["--format", "messages"],
            "would write o.manifest.json, which is the warehouse",
        ),
        ("o.jsonl.tmp", "o.jsonl", ["--format", "messages"], "would write o.jsonl.tmp"),
    ],
)
def test_an_export_that_would_write_the_warehouse_is_refused_and_writes_nothing(
    warehouse, tmp_path, warehouse_name, out, args, says
):
    db = tmp_path / warehouse_name
    shutil.copyfile(warehouse, db)
    (tmp_path / "sub").mkdir()
    before = folder_state(tmp_path)
    result = tracehouse(
        "export", "--db", warehouse_name, "--out", out, *args, check=False, cwd=tmp_path
    )
    assert result.returncode == 1
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert folder_state(tmp_path) == before  # the warehouse byte-identical, nothing written


def test_a_link_to_the_warehouse_is_the_warehouse(warehouse, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copyfile(warehouse, db)
    (tmp_path / "link.jsonl").symlink_to(db)
    (tmp_path / "hard.jsonl").hardlink_to(db)
    before = db.read_bytes()
    for name in ("link.jsonl", "hard.jsonl"):
        result = export(db, tmp_path / name, "--format", "sharegpt", check=False)
        assert result.returncode == 1 and "is the warehouse" in result.stderr, result.stderr
    assert db.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "hard.jsonl",
        "link.jsonl",
        "w.duckdb",
    ]
