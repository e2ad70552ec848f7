"""The command line end to end, run as a user runs it (a child process, no TTY)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
import yaml

from tests.conftest import REPO_ROOT, tracehouse
from tracehouse.cli import build_parser
from tracehouse.warehouse import DEFAULT_MEMORY_LIMIT, MEMORY_ENV, ROW_GROUP_SIZE, held

COMMANDS = ("generate", "ingest", "build", "report", "export", "sql", "run")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = tracehouse(command, "--help")
    assert result.stdout.startswith(f"usage: tracehouse {command}")


def test_commands_touching_the_warehouse_take_db():
    for command in ("ingest", "build", "report", "export", "sql", "run"):
        assert "--db PATH" in tracehouse(command, "--help").stdout


def test_run_on_the_embedded_default_builds_the_warehouse_and_the_report(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    out = tmp_path / "report.html"
    result = tracehouse(
        "run", "--db", str(db), "--out", str(out), "--cache-dir", str(tmp_path / "cache")
    )
    assert f"warehouse: {db}" in result.stderr
    assert out.exists() and out.stat().st_size > 0
    (sample,) = (tmp_path / "cache").iterdir()
    truth = json.loads((sample / "ground_truth.json").read_text())["total"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        conversations, tool_calls = con.execute(
            "select count(*), sum(tool_calls) from marts.fct_conversations"
        ).fetchone()
    finally:
        con.close()
    assert conversations == truth["conversations"]
    assert tool_calls == truth["tool_calls"]


def test_build_without_raw_data_says_to_ingest_first(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    result = tracehouse("build", "--db", str(db), check=False)
    assert result.returncode == 1
    assert "run `tracehouse ingest SOURCE" in result.stderr
    assert "Traceback" not in result.stderr


def test_printed_commands_are_shell_quoted_and_name_a_db_that_is_not_the_default(tmp_path):
    """The hint can be pasted into a shell as it is, whatever the path holds."""
    db = tmp_path / "my wh; ü" / 'it\'s "q".duckdb'
    db.parent.mkdir()
    duckdb.connect(str(db)).close()
    result = tracehouse("build", "--db", str(db), check=False)
    assert result.returncode == 1
    hint = result.stderr.split("run `", 1)[1].split("`", 1)[0]
    assert shlex.split(hint) == ["tracehouse", "ingest", "SOURCE", "--db", str(db)]
    env = {**os.environ, "TRACEHOUSE_DB": str(db)}  # the default warehouse: no --db needed
    default = tracehouse("build", check=False, env=env)
    assert "run `tracehouse ingest SOURCE` first" in default.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("sql", "select 1"),
        ("sql",),
        ("report",),
        ("export", "--format", "messages", "--out", "x.jsonl"),
    ],
    ids=["sql", "sql shell", "report", "export"],
)
def test_a_missing_warehouse_names_the_ingest_command_with_its_db(tmp_path, command):
    db = tmp_path / "no wh" / "it's.duckdb"
    result = tracehouse(*command, "--db", str(db), check=False, cwd=tmp_path)
    assert result.returncode == 1
    hint = result.stderr.split("run `", 1)[1].split("`", 1)[0]
    assert shlex.split(hint) == ["tracehouse", "ingest", "SOURCE", "--db", str(db)]
    assert not db.exists()


def test_build_holds_the_warehouse_before_dbt_starts(generated_dir, tmp_path, monkeypatch):
    """dbt parses for seconds before it opens the file: an ingest started then must fail
    with the lock message naming this process, not land mid-build."""
    import dbt.cli.main

    from tracehouse.commands.build import build

    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(generated_dir), "--config", "kimi", "--db", str(db), "-q")
    seen = {}

    class ParsingRunner:  # stands for dbt while it parses, before it opens the warehouse
        def invoke(self, args):
            seen["ingest"] = tracehouse(
                "ingest", str(generated_dir), "--config", "glm-5.1", "--db", str(db), check=False
            )
            return SimpleNamespace(exception=None, result=None, success=True)

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", ParsingRunner)
    build(db)
    assert seen["ingest"].returncode == 1
    assert f"is locked by another process (held by PID {os.getpid()})" in seen["ingest"].stderr
    with duckdb.connect(str(db), read_only=True) as con:  # released afterwards, glm never landed
        assert con.execute("select distinct config from raw.loads").fetchall() == [("kimi",)]


def test_a_plain_dbt_run_on_a_locked_warehouse_says_it_is_locked(tmp_path):
    """dbt-duckdb configures its connection again after attaching the warehouse fails: the
    registration of tracehouse's SQL functions (the profile's plugin) must not hide the lock
    error behind an error of its own."""
    db = tmp_path / "warehouse.duckdb"
    dbt = Path(sys.executable).parent / "dbt"
    project = ["--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT)]
    env = {**os.environ, "TRACEHOUSE_DB": str(db)}
    with duckdb.connect(str(db)):  # this process holds the file
        result = subprocess.run(
            [str(dbt), "run", "--select", "stg_hermes__loads", *project,
             "--target-path", str(tmp_path / "target")],
            cwd=tmp_path, env=env, capture_output=True, text=True,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Could not set lock" in output
    assert "already exists" not in output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_quiet(command):
    assert "-q, --quiet" in tracehouse(command, "--help").stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_argument_has_help_that_states_its_default(command):
    parser = subcommand_parser(command)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        name = action.option_strings[-1] if action.option_strings else action.metavar
        assert action.help, f"tracehouse {command} {name} has no help"
        if action.required or isinstance(
            action, argparse._StoreTrueAction | argparse._StoreFalseAction
        ):
            continue
        assert "default" in action.help, f"tracehouse {command} {name} does not state its default"


def subcommand_parser(command: str) -> argparse.ArgumentParser:
    (subparsers,) = [
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    ]
    return subparsers.choices[command]


def test_spark_build_refuses_a_folder_that_is_not_a_whole_lake(tmp_path):
    """Checked before dbt or Spark start: every raw table the lake views read must be there."""
    lake = tmp_path / "lake"
    for table in ("conversations", "messages", "loads"):
        (lake / table).mkdir(parents=True)
    result = tracehouse("build", "--target", "spark", "--lake", str(lake), check=False)
    assert result.returncode != 0
    assert f"{lake} is not a tracehouse lake (no ingest_issues folder)" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_leaves_unit_tests_out_unless_asked(generated_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(generated_dir), "--db", str(db), "--config", "kimi", "-q")

    def built_nodes(*flags: str) -> set[str]:
        target = tmp_path / f"target{len(flags)}"
        tracehouse(
            "build", "--db", str(db), *flags, "--",
            "--select", "staging", "int_blocks_parsed",
            "--target-path", str(target), "--quiet",
        )  # fmt: skip
        results = json.loads((target / "run_results.json").read_text())["results"]
        # `operation`: the project's on-run-start hook (raw lake views on Spark) runs on every build
        return {result["unique_id"].split(".")[0] for result in results} - {"operation"}

    assert built_nodes() == {"model", "test"}
    assert built_nodes("--unit-tests") == {"model", "test", "unit_test"}


def test_build_and_a_plain_dbt_build_share_one_partial_parse(generated_dir, tmp_path):
    """dbt parses the whole project again when its profile or its --target flag changes.
    `tracehouse build` on the warehouse a plain `dbt` would use (here the profile's default,
    warehouse.duckdb in the working directory) must not change either."""
    db = tmp_path / "warehouse.duckdb"
    tracehouse("ingest", str(generated_dir), "--db", str(db), "--config", "kimi", "-q")
    env = {name: value for name, value in os.environ.items() if name != "TRACEHOUSE_DB"}
    target = tmp_path / "target"
    dbt = Path(sys.executable).parent / "dbt"
    project = ["--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT)]
    subprocess.run(
        [str(dbt), "parse", *project, "--target-path", str(target)],
        cwd=tmp_path, env=env, check=True, capture_output=True,
    )  # fmt: skip
    built = tracehouse(
        "build", "--db", str(db), "--", "--select", "stg_hermes__loads",
        "--target-path", str(target), cwd=tmp_path, env=env,
    )  # fmt: skip
    assert "Unable to do partial parsing" not in built.stdout
    with duckdb.connect(str(db), read_only=True) as con:  # the build ran on this file
        assert con.execute("select count(*) from staging.stg_hermes__loads").fetchone()[0] == 1


def test_a_build_whose_reader_goes_away_runs_to_its_end_quietly(built_warehouse, tmp_path):
    """`tracehouse build | head -1`: the reader closes stdout after dbt's first line. The build
    goes on to its end (dbt writes its run results last), exit 0, and nothing on stderr but
    the summary: dbt's logger put a "Logging error" traceback there for every later line."""
    db = tmp_path / "warehouse.duckdb"
    db.write_bytes(built_warehouse["db"].read_bytes())
    target = tmp_path / "target"
    build = subprocess.Popen(
        [
            sys.executable, "-m", "tracehouse.cli", "build", "--db", str(db), "--",
            "--select", "stg_hermes__loads+", "--target-path", str(target),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    assert "Running with dbt=" in build.stdout.readline()
    build.stdout.close()
    stderr = build.stderr.read()
    assert build.wait(timeout=600) == 0
    assert stderr.splitlines() == [stderr.splitlines()[-1]]
    assert stderr.startswith(f"built {db}: ")
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert len(results) > 1
    assert {result["status"] for result in results} <= {"success", "pass", "no-op"}


def test_generate_refuses_an_unknown_config(tmp_path):
    result = tracehouse(
        "generate", str(tmp_path / "x"), "--conversations", "3", "--configs", "gpt-9", check=False
    )
    assert result.returncode == 1
    assert "gpt-9" in result.stderr and "Traceback" not in result.stderr


def test_a_build_out_of_memory_names_the_model_and_the_setting(built_warehouse, tmp_path):
    """DuckDB out of its memory_limit: the error names the model that hit it and
    $TRACEHOUSE_MEMORY_LIMIT with a command to run, in one line and no traceback. One thread:
    with two, a node running beside the parse shares its 40MB and may run out too."""
    db = tmp_path / "warehouse.duckdb"
    db.write_bytes(built_warehouse["db"].read_bytes())
    env = {**os.environ, "TRACEHOUSE_MEMORY_LIMIT": "40MB"}
    result = tracehouse(
        "build", "--db", str(db), "-q", "--", "--full-refresh", "--threads", "1",
        "--select", "@int_blocks_parsed", "--target-path", str(tmp_path / "target"),
        env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "tracehouse build: error: dbt build ran out of memory in int_blocks_parsed: "
    )
    assert "memory_limit is 40MB ($TRACEHOUSE_MEMORY_LIMIT" in last
    assert f"TRACEHOUSE_MEMORY_LIMIT=4GB tracehouse build --db {db}" in last
    assert "Traceback" not in result.stderr


def test_the_build_writes_row_groups_of_row_group_size_through_both_entry_points(tmp_path):
    """`tracehouse build` attaches the warehouse itself (`held`), a plain `dbt build` through
    profiles.yml: both give the tables they write ROW_GROUP_SIZE rows per row group."""
    profile = yaml.safe_load((REPO_ROOT / "profiles.yml").read_text())
    (attachment,) = profile["tracehouse"]["outputs"]["duckdb"]["attach"]
    assert attachment["options"] == {"row_group_size": ROW_GROUP_SIZE}
    rows = 3 * ROW_GROUP_SIZE + 1
    with held(tmp_path / "w.duckdb") as con:
        con.execute("create table t as select range as i from range(?)", [rows])
        groups = con.execute(
            "select count(distinct row_group_id) from pragma_storage_info('t')"
        ).fetchone()
    assert groups == (4,)


def test_no_module_is_imported_from_inside_a_query_of_the_build_connection(tmp_path):
    """DuckDB's client imports pandas from C++ inside the first query that binds a parameter,
    where a Ctrl-C is lost (the build ran on, or hung in the import). An audit hook sees each
    import with the Python line it ran from: while `held` opens the warehouse, every import
    runs from an import statement, none from a line that runs a query. A fresh interpreter:
    pytest's has pandas already."""
    script = (
        "import linecache, sys\n"
        "from tracehouse import warehouse\n"
        "lines = []\n"
        "def hook(event, args):\n"
        "    if event != 'import':\n"
        "        return\n"
        "    frame = sys._getframe(1)\n"
        "    while frame and frame.f_code.co_filename != warehouse.__file__:\n"
        "        frame = frame.f_back\n"
        "    if frame:\n"
        "        lines.append(linecache.getline(frame.f_code.co_filename, frame.f_lineno))\n"
        "sys.addaudithook(hook)\n"
        f"with warehouse.held({str(tmp_path / 'w.duckdb')!r}) as con:\n"
        "    pass\n"
        "print(sorted({line.strip() for line in lines}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert result.stdout.strip() == "['import pandas  # noqa: F401']"


def test_the_profile_and_tracehouse_default_to_one_memory_limit():
    """A plain `dbt build` (profiles.yml) and tracehouse's own connections and messages
    (DEFAULT_MEMORY_LIMIT) give DuckDB the same memory_limit when none is set."""
    profile = yaml.safe_load((REPO_ROOT / "profiles.yml").read_text())
    setting = profile["tracehouse"]["outputs"]["duckdb"]["settings"]["memory_limit"]
    assert setting == f"{{{{ env_var('{MEMORY_ENV}', '{DEFAULT_MEMORY_LIMIT}') }}}}"


@pytest.mark.parametrize(("command", "option"), [("sql", "--max-rows"), ("ingest", "--batch-rows")])
@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_a_count_below_one_is_a_usage_error(tmp_path, command, option, value):
    first = "select 1" if command == "sql" else str(tmp_path)
    result = tracehouse(
        command, first, option, value, "--db", str(tmp_path / "wh.duckdb"), check=False
    )
    assert result.returncode == 2
    assert f"tracehouse {command}: error: argument {option}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_target_is_refused_with_the_profile_outputs(tmp_path):
    for command in ("build", "report"):
        result = tracehouse(
            command, "--target", "duckbd", "--db", str(tmp_path / "wh.duckdb"), check=False
        )
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"tracehouse {command}: error: --target duckbd: profiles.yml has no such output "
            "(outputs: duckdb, spark)"
        )


def test_a_dbt_argument_before_the_separator_is_named_with_where_it_goes(tmp_path):
    result = tracehouse("build", "--select", "+fct_conversations", check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: tracehouse build")
    assert (
        "tracehouse build: error: unrecognized arguments: --select "
        "(dbt's own arguments go after `--`)" in result.stderr
    )


def test_ctrl_c_during_an_ingest_is_one_line_and_leaves_no_warehouse_behind(tmp_path):
    """SIGINT while the ingest lands rows (inside DuckDB, which turns it into its own error):
    `interrupted` and the shell's status 130, no traceback, and no conversation landed."""
    from tracehouse.sample.dataset import generate_dataset

    data = tmp_path / "data"
    generate_dataset(data, 400, seed=3, configs=("kimi",))
    db = tmp_path / "wh.duckdb"
    child = subprocess.Popen(
        [sys.executable, "-m", "tracehouse.cli", "ingest", str(data), "--db", str(db),
         "--batch-rows", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not db.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # into the landing, one row per batch: about 1 s of work is left
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "tracehouse ingest: interrupted"
    assert "Traceback" not in stderr
    if db.exists():
        with duckdb.connect(str(db), read_only=True) as con:
            landed = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw'"
            ).fetchone()[0]
            if landed:
                assert con.execute("select count(*) from raw.conversations").fetchone()[0] == 0


def test_a_db_path_ending_in_a_separator_and_an_empty_source_name_are_refused(
    generated_dir, tmp_path
):
    """`--db adir/` was written as a file named `adir`; `--source-name ""` silently became the
    path. Both are argument errors now, before any work."""
    folder = tmp_path / "adir"
    refused = tracehouse("ingest", str(generated_dir), "--db", f"{folder}/", check=False)
    assert refused.returncode == 2
    assert f"argument --db: {folder}/ names a folder" in refused.stderr
    assert not folder.exists()
    db = tmp_path / "wh.duckdb"
    empty = tracehouse(
        "ingest", str(generated_dir), "--db", str(db), "--source-name", " ", check=False
    )
    assert empty.returncode == 2
    assert "argument --source-name: must not be empty" in empty.stderr
    assert not db.exists()


@pytest.mark.parametrize("name", ["rows.parquet", "rows.csv", "rows.json"])
@pytest.mark.parametrize(
    "command",
    [
        ("ingest", "DATA"),
        ("build",),
        ("sql", "select 1"),
        ("report",),
        ("export", "--format", "messages", "--out", "x.jsonl"),
    ],
    ids=["ingest", "build", "sql", "report", "export"],
)
def test_a_db_that_is_another_kind_of_file_is_refused_and_left_as_it_was(
    generated_dir, tmp_path, name, command
):
    """DuckDB opens a `.parquet`, `.csv` or `.json` path as an in-memory database of views:
    an ingest there reported its rows and kept none, and the others ended in a traceback."""
    db = tmp_path / name
    data_file = next(Path(generated_dir).rglob("*.parquet"))
    db.write_bytes(data_file.read_bytes())
    before = db.read_bytes()
    args = [str(generated_dir) if word == "DATA" else word for word in command]
    result = tracehouse(*args, "--db", str(db), check=False, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"tracehouse {command[0]}: error: {db}: ")
    assert "not a valid DuckDB database file" in line
    assert db.read_bytes() == before
    assert not (tmp_path / f"{name}.wal").exists()


def test_a_db_whose_folder_cannot_be_created_is_one_line(generated_dir, tmp_path):
    """It was an OSError traceback."""
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    for db, reason in (
        (blocker / "wh.duckdb", f"{blocker} is a file, not a folder"),
        (blocker / "sub" / "wh.duckdb", f"cannot create {blocker / 'sub'} (Not a directory)"),
    ):
        for command in (("ingest", str(generated_dir)), ("run", str(generated_dir))):
            result = tracehouse(*command, "--db", str(db), check=False, cwd=tmp_path)
            assert result.returncode == 1
            assert result.stderr.strip() == f"tracehouse {command[0]}: error: {db}: {reason}"
