"""A new export to the same --out removes a file of the earlier export that it does not write
only while that file is as the earlier export wrote it (the sha256 its manifest records): a
file edited since, or put there under such a name, is kept and warned of, on stderr and in the
new manifest. The earlier manifest is anyone's to edit: what it lists outside the folder is
never removed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import tracehouse

SPLIT = ("--format", "sharegpt", "--val-fraction", "0.2")
SINGLE = ("--format", "sharegpt")


@pytest.fixture(scope="module")
def warehouse(built_warehouse) -> Path:
    """The session's built warehouse (generated sample); export reads it read-only."""
    return built_warehouse["db"]


def export(db: Path, out: Path, *args: str, check: bool = True):
    """`tracehouse export` run in the folder of `out`: messages name files by name."""
    return tracehouse(
        "export", "--db", str(db), "--out", out.name, *args, check=check, cwd=out.parent
    )


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
