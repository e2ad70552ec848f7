"""Arguments and paths the commands cannot use: an argument error (exit 2) or one line naming
what was wrong (exit 1), never a traceback, and no warehouse file where there was none."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO_ROOT, hermes_table, tracehouse, write_hub_layout

LONG = "a" * 300  # a directory name of more than 255 bytes


def _usage_error(result: subprocess.CompletedProcess, command: str, message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert f"tracehouse {command}: error: {message}" in result.stderr
    assert "Traceback" not in result.stderr


def _one_line_error(result: subprocess.CompletedProcess, command: str, start: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"tracehouse {command}: error: {start}"), line
    return line


def test_a_batch_beyond_its_maximum_is_an_argument_error_before_any_file(generated_dir, tmp_path):
    """pyarrow's batch size is a C long: a larger --batch-rows was an OverflowError after the
    warehouse file was made, left with empty raw tables."""
    db = tmp_path / "new.duckdb"
    for value in ("99999999999999999999", "1000001"):
        result = tracehouse(
            "ingest", str(generated_dir), "--batch-rows", value, "--db", str(db), check=False
        )
        _usage_error(
            result, "ingest", f"argument --batch-rows: must be at most 1,000,000, got {value}"
        )
        assert not db.exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--config", "", "must not be empty"),
        ("--config", "a\nb", r"must not contain control characters, got 'a\nb'"),
        ("--split", " ", "must not be empty"),
        ("--split", "train\t", r"must not contain control characters, got 'train\t'"),
        ("--source-name", "a\x7fb", r"must not contain control characters, got 'a\x7fb'"),
        ("--source-name", "a\rb", r"must not contain control characters, got 'a\rb'"),
    ],
)
def test_names_that_would_land_empty_or_across_lines_are_argument_errors(
    generated_dir, tmp_path, option, value, message
):
    """--config "" landed a slice of an empty config, and a newline in it split every message
    naming the slice; --source-name refused only the empty name."""
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(generated_dir), option, value, "--db", str(db), check=False)
    _usage_error(result, "ingest", f"argument {option}: {message}")
    assert not db.exists()


@pytest.mark.parametrize("column", ["source", "config", "split"])
def test_a_name_too_long_for_the_lake_names_its_own_flag(generated_dir, tmp_path, column):
    """The advice was `give a shorter --source-name` whichever value was too long."""
    data = next(Path(generated_dir).rglob("*.parquet"))
    args = [str(data)]
    if column == "source":
        args += ["--source-name", LONG]
    elif column == "config":
        args += ["--config", LONG]
    else:  # a split is one the dataset declares
        hub = write_hub_layout(tmp_path / "hub", {"kimi": pq.read_table(data)})
        readme = hub / "README.md"
        readme.write_text(readme.read_text().replace("split: train", f"split: {LONG}"))
        args = [str(hub), "--split", LONG]
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    result = tracehouse("ingest", *args, "--lake", str(lake), "--db", str(db), check=False)
    line = _one_line_error(result, "ingest", f"{column} 'aaa")
    flag = {"source": "--source-name", "config": "--config", "split": "--split"}[column]
    assert "is too long for a directory name in the lake" in line
    assert line.endswith(f"; give a shorter {flag}")
    assert not db.exists() and not lake.exists()


def _read_only_mount(folder: Path, *command: str) -> subprocess.CompletedProcess:
    """`command` (a tracehouse command) run with `folder` mounted read-only, in a mount
    namespace of its own (as root, where permission bits refuse nothing)."""
    folder.mkdir()
    script = (
        f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))} && "
        f"mount -o remount,bind,ro {shlex.quote(str(folder))} && "
        f"exec {shlex.join([sys.executable, '-m', 'tracehouse.cli', *command])}"
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, cwd=REPO_ROOT
    )


def _can_mount_read_only(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    script = (
        f"mount --bind {probe} {probe} && mount -o remount,bind,ro {probe} && ! touch {probe}/x"
    )
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True)
    return done.returncode == 0


def test_a_lake_that_cannot_be_created_is_one_line_and_leaves_no_warehouse(generated_dir, tmp_path):
    """A lake folder that cannot be made (under /sys, where even root cannot make one) was an
    OSError traceback from inside the ingest's transaction, and left a new empty warehouse."""
    if not Path("/sys").is_dir() or _sys_is_writable():
        pytest.skip("needs a /sys where no folder can be made")
    db = tmp_path / "wh.duckdb"
    result = tracehouse(
        "ingest", str(generated_dir), "--config", "kimi", "--lake", "/sys/lake", "--db", str(db),
        check=False,
    )  # fmt: skip
    _one_line_error(result, "ingest", "/sys/lake: the lake cannot be written (")
    assert not db.exists() and not Path(f"{db}.wal").exists()


def _sys_is_writable() -> bool:
    try:
        Path("/sys/tracehouse-probe").mkdir()
    except OSError:
        return False
    Path("/sys/tracehouse-probe").rmdir()
    return True


def test_a_lake_on_a_read_only_mount_is_refused_before_the_warehouse_is_touched(
    generated_dir, tmp_path
):
    if not _can_mount_read_only(tmp_path):
        pytest.skip("needs `unshare -m` and mount (root in a namespace)")
    read_only, db = tmp_path / "ro", tmp_path / "wh.duckdb"
    lake = read_only / "lake"
    result = _read_only_mount(
        read_only, "ingest", str(generated_dir), "--lake", str(lake), "--db", str(db)
    )
    _one_line_error(
        result, "ingest", f"{lake}: the lake cannot be written ({read_only} is not writable)"
    )
    assert not db.exists()


def test_generate_where_no_folder_can_be_made_is_one_line(tmp_path):
    """An OUT_DIR below a file (or on a read-only disk) was an OSError traceback."""
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    out = blocker / "gen"
    result = tracehouse("generate", str(out), "--conversations", "2", check=False)
    _one_line_error(result, "generate", f"{out}: cannot write the dataset (Not a directory: ")
    if _can_mount_read_only(tmp_path):
        read_only = tmp_path / "ro"
        out = read_only / "gen"
        result = _read_only_mount(read_only, "generate", str(out), "--conversations", "2")
        _one_line_error(result, "generate", f"{out}: cannot write the dataset (Read-only")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--duplicate-ids", "5"),
            "argument --duplicate-ids: must be less than --conversations (5), got 5",
        ),
        (("--duplicate-ids", "-1"), "argument --duplicate-ids: must be at least 0, got -1"),
        (("--conversations", "0"), "argument --conversations: must be at least 1, got 0"),
    ],
)
def test_generate_counts_out_of_range_are_argument_errors_naming_the_flag(tmp_path, args, message):
    """`--duplicate-ids 5` of 5 conversations said `duplicate_ids must be ...` (the Python
    name) and exited 1."""
    out = tmp_path / "gen"
    base = ["--conversations", "5"] if args[0] != "--conversations" else []
    result = tracehouse("generate", str(out), *base, *args, check=False)
    _usage_error(result, "generate", message)
    assert not out.exists()


def test_export_with_allow_stale_warns_that_the_marts_are_stale(built_warehouse, tmp_path):
    """`report --allow-stale` says its marts are stale; the export said nothing."""
    db = tmp_path / "stale.duckdb"
    shutil.copyfile(built_warehouse["db"], db)
    newer = write_hub_layout(tmp_path / "newer", {"extra": hermes_table([{"id": "n1"}])})
    tracehouse("ingest", str(newer), "--db", str(db), "-q")
    out = tmp_path / "s.jsonl"
    result = tracehouse(
        "export", "--db", str(db), "--format", "messages", "--out", str(out), "--allow-stale",
        "-q",
    )  # fmt: skip
    warning = (
        "warning: the marts are stale (used with --allow-stale): the raw layer holds 1 load "
        "the marts were not built from ("
    )
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("warning: the marts")]
    assert line.startswith(warning) and "[extra/train]" in line
    assert line.endswith(f"; run `tracehouse build --db {db}` for marts of everything ingested")
    manifest = json.loads((tmp_path / "s.manifest.json").read_text())
    assert manifest["warnings"][0] == line.removeprefix("warning: ")
