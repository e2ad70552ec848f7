"""Export through the CLI, around its output files: it never writes over the warehouse it
reads, and a new export to the same --out removes the earlier export's files it does not
write (only those its manifest lists, only beside it)."""

from __future__ import annotations

import hashlib
import json
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


# ---------------------------------------------------------------- a new export to the same --out


def test_reexport_without_a_split_removes_the_earlier_split_files_only(warehouse, tmp_path):
    unrelated = {
        "notes.txt": b"mine\n",
        "s.notes": b"mine too, and named like the export\n",
        "other.jsonl": b'{"not": "this export"}\n',
        "other.manifest.json": b"{}\n",
    }
    for name, data in unrelated.items():
        (tmp_path / name).write_bytes(data)
    first = export(warehouse, tmp_path / "s.jsonl", "--format", "sharegpt", "--val-fraction", "0.2")
    assert "removed" not in first.stderr
    assert (tmp_path / "s.train.jsonl").exists() and (tmp_path / "s.validation.jsonl").exists()

    second = export(warehouse, tmp_path / "s.jsonl", "--format", "sharegpt")
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted([*unrelated, "s.jsonl", "s.manifest.json"])
    for name, data in unrelated.items():
        assert (tmp_path / name).read_bytes() == data
    (line,) = second.stderr.splitlines()
    assert "removed s.train.jsonl, s.validation.jsonl of the earlier export" in line
    manifest = json.loads((tmp_path / "s.manifest.json").read_text())
    assert [entry["path"] for entry in manifest["files"].values()] == ["s.jsonl"]

    # and back: the split replaces the single file
    third = export(warehouse, tmp_path / "s.jsonl", "--format", "sharegpt", "--val-fraction", "0.2")
    assert "removed s.jsonl of the earlier export" in third.stderr
    assert not (tmp_path / "s.jsonl").exists()
    assert (tmp_path / "s.train.jsonl").exists()


def test_reexport_without_openai_removes_the_sidecar_and_ingests_again(warehouse, tmp_path):
    out = tmp_path / "o.jsonl"
    export(warehouse, out, "--format", "messages", "--openai")
    assert (tmp_path / "o.meta.jsonl").exists()
    second = export(warehouse, out, "--format", "messages")
    (line,) = second.stderr.splitlines()
    assert "replaced existing o.jsonl, o.manifest.json" in line
    assert "removed o.meta.jsonl of the earlier export" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["o.jsonl", "o.manifest.json"]
    # the export reads back as an export, with no stale sidecar in the way
    tracehouse("ingest", str(out), "--db", str(tmp_path.parent / "reingest.duckdb"), "-q")


def test_an_export_to_a_fresh_path_replaces_and_removes_nothing(warehouse, tmp_path):
    result = export(warehouse, tmp_path / "n.jsonl", "--format", "sharegpt")
    assert "replaced" not in result.stderr and "removed" not in result.stderr


def test_only_files_the_earlier_manifest_lists_beside_it_are_removed(warehouse, tmp_path):
    """A manifest that lists files elsewhere, files of other names or the warehouse itself
    (edited by hand, or copied from another folder) removes none of them."""
    folder = tmp_path / "out"
    outside = tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    db = folder / "s.db.jsonl"  # named like the export's files, and beside them
    shutil.copyfile(warehouse, db)
    kept = {
        folder / "notes.txt": b"mine\n",
        outside / "s.train.jsonl": b"another folder's file\n",
        outside / "s.jsonl": b"another folder's file\n",
    }
    for path, data in kept.items():
        path.write_bytes(data)
    (folder / "s.extra.jsonl").write_bytes(b"listed and beside it\n")
    listed = [
        str(outside / "s.jsonl"),
        "../elsewhere/s.train.jsonl",
        "notes.txt",
        str(db),
        "s.extra.jsonl",
        "s.manifest.json",
    ]
    manifest = {"files": {str(i): {"path": p} for i, p in enumerate(listed)}}
    # removed only as that export wrote it (tests/test_export_stale_files.py): its sha256
    manifest["files"]["4"]["sha256"] = hashlib.sha256(b"listed and beside it\n").hexdigest()
    (folder / "s.manifest.json").write_text(json.dumps(manifest))
    before = db.read_bytes()

    result = export(db, folder / "s.jsonl", "--format", "sharegpt")
    assert "removed s.extra.jsonl of the earlier export" in result.stderr
    assert not (folder / "s.extra.jsonl").exists()
    for path, data in kept.items():
        assert path.read_bytes() == data
    assert db.read_bytes() == before
    assert sorted(path.name for path in folder.iterdir()) == [
        "notes.txt",
        "s.db.jsonl",
        "s.jsonl",
        "s.manifest.json",
    ]


def test_a_manifest_that_is_not_an_exports_removes_nothing(warehouse, tmp_path):
    (tmp_path / "s.manifest.json").write_text("not json")
    (tmp_path / "s.train.jsonl").write_text("kept\n")
    result = export(warehouse, tmp_path / "s.jsonl", "--format", "sharegpt")
    assert "removed" not in result.stderr
    assert (tmp_path / "s.train.jsonl").read_text() == "kept\n"


def test_a_refused_export_leaves_the_earlier_export_whole(warehouse, tmp_path):
    out = tmp_path / "s.jsonl"
    export(warehouse, out, "--format", "sharegpt", "--val-fraction", "0.2")
    before = folder_state(tmp_path)
    for args in (["--format", "nope"], ["--format", "sharegpt", "--val-fraction", "2"]):
        assert export(warehouse, out, *args, check=False).returncode == 1
    assert folder_state(tmp_path) == before


# ---------------------------------------------------------------- filters that name nothing


def test_a_config_or_category_that_names_nothing_is_warned_with_what_exists(
    warehouse, generated_dir, tmp_path
):
    """`--config kimi --config kimmi`: the typo's conversations are not there; the export
    still writes kimi's, and says which name matched nothing and which configs exist."""
    truth = json.loads((generated_dir / "ground_truth.json").read_text())
    configs = sorted(truth["configs"])
    out = tmp_path / "k.jsonl"
    result = export(
        warehouse, out, "--format", "sharegpt", "--config", "kimi", "--config", "kimmi",
        "--category", "no-such-category", "--keep-without-assistant",
    )  # fmt: skip
    held = ", ".join(configs)
    said = f"--config kimmi matches no conversation of the warehouse (configs held: {held})"
    assert said in result.stderr
    assert (
        "--category no-such-category matches no conversation of the warehouse (categories held: "
        in result.stderr
    )
    assert "--config kimi matches" not in result.stderr
    manifest = json.loads((tmp_path / "k.manifest.json").read_text())
    assert said in manifest["warnings"]
