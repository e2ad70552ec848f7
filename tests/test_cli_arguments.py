"""Arguments and paths the commands cannot use: an argument error (exit 2) or one line naming
what was wrong (exit 1), never a traceback, and no warehouse file where there was none."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import tracehouse

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
