"""Export through the CLI, around its output files: it never writes over the warehouse it
reads, and a new export to the same --out removes the earlier export's files it does not
write (only those its manifest lists, only beside it, only as that export wrote them)."""

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


# A file of the earlier export that the new one does not write is removed only while it is as
# that export wrote it (the sha256 its manifest records): a file edited since, or put there under
# such a name, is kept and warned of, on stderr and in the new manifest. The earlier manifest is
# anyone's to edit: what it lists outside the folder is never removed.

SPLIT = ("--format", "sharegpt", "--val-fraction", "0.2")
SINGLE = ("--format", "sharegpt")


def warnings_of(result) -> list[str]:
    prefix = "warning: "
    return [line[len(prefix) :] for line in result.stderr.splitlines() if line.startswith(prefix)]


def manifest_of(out: Path) -> dict:
    return json.loads(out.with_name(out.stem + ".manifest.json").read_text(encoding="utf-8"))


def entry(path: Path | str, data: bytes) -> dict:
    """A manifest entry as an export writes it, for a file holding `data`."""
    return {
        "path": str(path),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "rows": data.count(b"\n"),
    }


# ---------------------------------------------------------------- (a) unchanged: removed


def test_an_unchanged_stale_file_is_removed(warehouse, tmp_path):
    out = tmp_path / "s.jsonl"
    export(warehouse, out, *SPLIT)
    result = export(warehouse, out, *SINGLE)
    assert "removed s.train.jsonl, s.validation.jsonl of the earlier export" in result.stderr
    assert warnings_of(result) == []
    assert manifest_of(out)["warnings"] == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["s.jsonl", "s.manifest.json"]


# ---------------------------------------------------------------- (b) edited: kept, and said


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda data: data + b'{"mine": "a row I added"}\n', id="appended"),
        # same size: only the sha256 tells
        pytest.param(lambda data: data.replace(b"gpt", b"GPT", 1), id="same-size"),
        pytest.param(lambda data: b"my own file, under the export's name\n", id="replaced"),
    ],
)
def test_an_edited_stale_file_is_kept_with_a_warning(warehouse, tmp_path, edit):
    out = tmp_path / "s.jsonl"
    export(warehouse, out, *SPLIT)
    train = tmp_path / "s.train.jsonl"
    edited = edit(train.read_bytes())
    assert edited != train.read_bytes()
    train.write_bytes(edited)

    result = export(warehouse, out, *SINGLE)
    assert train.read_bytes() == edited  # kept, as edited
    assert not (tmp_path / "s.validation.jsonl").exists()  # unchanged: removed
    assert "removed s.validation.jsonl of the earlier export" in result.stderr
    (warning,) = warnings_of(result)
    assert warning.startswith("kept s.train.jsonl, a file of the earlier export to this --out")
    assert "changed since that export wrote it" in warning
    assert manifest_of(out)["warnings"] == [warning]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "s.jsonl",
        "s.manifest.json",
        "s.train.jsonl",
    ]


def test_a_kept_file_is_warned_after_the_other_warnings(warehouse, tmp_path):
    """The filter's warnings come first, the kept file's after them, in the manifest as on
    stderr."""
    out = tmp_path / "s.jsonl"
    export(warehouse, out, *SPLIT)
    (tmp_path / "s.validation.jsonl").write_bytes(b"edited\n")
    result = export(warehouse, out, *SINGLE, "--category", "no-such-category")
    warnings = manifest_of(out)["warnings"]
    assert warnings == warnings_of(result)
    assert warnings[0].startswith("--category no-such-category matches no conversation")
    assert len(warnings) == 3 and warnings[-1].startswith("kept s.validation.jsonl")


def test_a_listed_file_without_a_sha256_is_kept(warehouse, tmp_path):
    """A manifest that records no sha256 for a file (edited by hand, or not an export's) cannot
    tell that the file is the export's: it is kept."""
    out = tmp_path / "s.jsonl"
    mine = tmp_path / "s.notes.jsonl"
    mine.write_bytes(b"mine\n")
    manifest = {"files": {"all": {"path": mine.name, "bytes": 5}}}
    (tmp_path / "s.manifest.json").write_text(json.dumps(manifest))
    result = export(warehouse, out, *SINGLE)
    assert mine.read_bytes() == b"mine\n"
    (warning,) = warnings_of(result)
    assert warning.startswith("kept s.notes.jsonl") and "no sha256" in warning
    assert manifest_of(out)["warnings"] == [warning]


# ---------------------------------------------------------------- (c) nothing outside the folder


def test_a_manifest_entry_outside_the_folder_removes_nothing_outside_it(warehouse, tmp_path):
    """Entries naming `../elsewhere/NAME` or an absolute path, with the sha256 of the file
    there, and a link beside the manifest to a file elsewhere: nothing outside the folder is
    removed, and the link (not a file the export wrote) is kept."""
    folder = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    outside = {
        elsewhere / "s.train.jsonl": b"another folder's file\n",
        elsewhere / "s.validation.jsonl": b"another folder's file too\n",
        elsewhere / "target.jsonl": b"what the link points to\n",
        tmp_path / "s.x": b"the parent folder's file\n",
    }
    for path, data in outside.items():
        path.write_bytes(data)
    (folder / "s.meta.jsonl").symlink_to(elsewhere / "target.jsonl")
    listed = [
        entry("../elsewhere/s.train.jsonl", outside[elsewhere / "s.train.jsonl"]),
        entry(elsewhere / "s.validation.jsonl", outside[elsewhere / "s.validation.jsonl"]),
        entry("../s.x", outside[tmp_path / "s.x"]),
        entry("..", b""),
        entry(folder / "..", b""),
    ]
    sidecar = entry(folder / "s.meta.jsonl", outside[elsewhere / "target.jsonl"])
    manifest = {
        "files": {str(i): e for i, e in enumerate(listed)},
        "sidecars": {"all": sidecar},
    }
    (folder / "s.manifest.json").write_text(json.dumps(manifest))

    result = export(warehouse, folder / "s.jsonl", *SINGLE)
    assert "removed" not in result.stderr
    for path, data in outside.items():
        assert path.read_bytes() == data
    assert (folder / "s.meta.jsonl").is_symlink()
    (warning,) = warnings_of(result)
    assert warning.startswith("kept s.meta.jsonl") and "symbolic link" in warning
    assert sorted(path.name for path in folder.iterdir()) == [
        "s.jsonl",
        "s.manifest.json",
        "s.meta.jsonl",
    ]


def test_an_entry_outside_the_folder_is_the_file_of_that_name_beside_the_manifest(
    warehouse, tmp_path
):
    """Only the last part of a listed path counts: `../elsewhere/s.train.jsonl` with the
    sha256 of the file there is s.train.jsonl beside the manifest, which is not that file and
    is kept; the one elsewhere is left alone."""
    folder = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    theirs = b"another folder's file\n"
    (elsewhere / "s.train.jsonl").write_bytes(theirs)
    (folder / "s.train.jsonl").write_bytes(b"this folder's file\n")
    manifest = {"files": {"train": entry("../elsewhere/s.train.jsonl", theirs)}}
    (folder / "s.manifest.json").write_text(json.dumps(manifest))

    result = export(warehouse, folder / "s.jsonl", *SINGLE)
    assert (elsewhere / "s.train.jsonl").read_bytes() == theirs
    assert (folder / "s.train.jsonl").read_bytes() == b"this folder's file\n"
    (warning,) = warnings_of(result)
    assert warning.startswith("kept s.train.jsonl")


def test_a_manifest_listing_the_exports_own_temporary_file_leaves_it_alone(warehouse, tmp_path):
    """A leftover s.manifest.json.tmp that the earlier manifest lists (with its sha256) is
    this export's own temporary file: removing it would lose the new manifest."""
    out = tmp_path / "s.jsonl"
    leftover = b"left by an interrupted export\n"
    (tmp_path / "s.manifest.json.tmp").write_bytes(leftover)
    manifest = {"files": {"all": entry("s.manifest.json.tmp", leftover)}}
    (tmp_path / "s.manifest.json").write_text(json.dumps(manifest))
    result = export(warehouse, out, *SINGLE, check=False)
    assert result.returncode == 0, result.stderr
    assert manifest_of(out)["files"]["all"]["path"] == "s.jsonl"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["s.jsonl", "s.manifest.json"]
