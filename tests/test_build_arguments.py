"""Arguments of `tracehouse build` (and the `--db` of every command) that went wrong quietly or
ended in a traceback: each is refused before any work, in one line that names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, tracehouse

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


@pytest.fixture(scope="module")
def ingested(generated_dir, tmp_path_factory) -> Path:
    """The generated sample ingested, not built: a build that ran would change the file."""
    db = tmp_path_factory.mktemp("ingested") / "warehouse.duckdb"
    tracehouse("ingest", str(generated_dir), "--db", str(db), "-q")
    return db


ROOT_ADVICE = (
    f"cannot go after `--`: tracehouse sets it to the repository root ({REPO_ROOT}), where the "
    "project and profiles.yml are. For another profile or project, run plain `dbt build` from "
    "the repository root"
)
TARGET_ADVICE = (
    "cannot go after `--`: tracehouse sets it from its own --target; give that before `--` "
    "(`tracehouse build --target TARGET`)"
)


@pytest.mark.parametrize(
    ("dbt_args", "flag", "advice"),
    [
        (["--profiles-dir", "elsewhere"], "--profiles-dir", ROOT_ADVICE),
        (
            ["--select", "+fct_conversations", "--profiles-dir=elsewhere"],
            "--profiles-dir",
            ROOT_ADVICE,
        ),
        (["--project-dir", "elsewhere"], "--project-dir", ROOT_ADVICE),
        (["--project-dir=elsewhere"], "--project-dir", ROOT_ADVICE),
        (["--target", "duckdb"], "--target", TARGET_ADVICE),
        (["--target=duckdb"], "--target", TARGET_ADVICE),
        (["-t", "duckdb"], "-t", TARGET_ADVICE),
    ],
)
def test_dbt_flags_that_tracehouse_sets_are_refused_after_the_separator(
    ingested, tmp_path, dbt_args, flag, advice
):
    """tracehouse passes --project-dir and --profiles-dir (and --target, for another target
    or with $DBT_TARGET) after the user's dbt arguments, and dbt takes the last of a repeated
    flag: `-- --profiles-dir X` built with tracehouse's profile, as if X were not given.
    A `--target` that tracehouse did not override skipped its check and its Spark settings."""
    (tmp_path / "elsewhere").mkdir()
    before = ingested.read_bytes()
    result = tracehouse("build", "--db", str(ingested), "--", *dbt_args, check=False, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""  # dbt never started
    assert result.stderr.splitlines() == [f"tracehouse build: error: dbt's {flag} {advice}"]
    assert ingested.read_bytes() == before


def test_dbt_no_quiet_after_the_separator_contradicting_q_is_refused(ingested):
    """`-q` adds dbt's --quiet after the user's arguments: `-q -- --no-quiet` was quiet."""
    before = ingested.read_bytes()
    result = tracehouse("build", "--db", str(ingested), "-q", "--", "--no-quiet", check=False)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "tracehouse build: error: dbt's --no-quiet after `--` contradicts -q/--quiet, which "
        "makes dbt quiet: give one of them"
    ]
    assert ingested.read_bytes() == before
