"""Arguments of `tracehouse build` (and the `--db` of every command) that went wrong quietly or
ended in a traceback: each is refused before any work, in one line that names it."""

from __future__ import annotations

import pytest

from tests.conftest import tracehouse

# every command that takes --db, with the other arguments it needs to get that far
DB_COMMANDS = {
    "ingest": ("ingest", "DATA"),
    "build": ("build",),
    "report": ("report", "--out", "report.html"),
    "export": ("export", "--format", "messages", "--out", "out.jsonl"),
    "sql": ("sql", "select 1"),
    "run": ("run", "DATA", "--out", "report.html"),
}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must not be empty; give the warehouse file"),
        (".", ". names a folder; give the warehouse file, e.g. warehouse.duckdb"),
    ],
    ids=["empty", "dot"],
)
@pytest.mark.parametrize("command", DB_COMMANDS)
def test_an_empty_db_or_a_folder_is_an_argument_error_naming_db(
    generated_dir, tmp_path, command, value, message
):
    """`--db ""` became Path("."), the current folder: `.: IO Error: ... Is a directory` from
    DuckDB, and a ValueError traceback from `report`. `--db .` did the same."""
    args = [str(generated_dir) if word == "DATA" else word for word in DB_COMMANDS[command]]
    result = tracehouse(*args, "--db", value, check=False, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.splitlines()[-1] == f"tracehouse {command}: error: argument --db: {message}"
    )
    assert list(tmp_path.iterdir()) == []
