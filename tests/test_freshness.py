"""Stale marts are refused: the build record against the raw layer's loads."""

from __future__ import annotations

import html
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, tracehouse
from tracehouse.freshness import StaleMartsError, check_fresh


@pytest.fixture
def warehouse(built_warehouse, tmp_path) -> Path:
    """A copy of the session's built warehouse, at a path a shell must quote."""
    db = tmp_path / "my wh" / "it's; ü.duckdb"
    db.parent.mkdir()
    shutil.copyfile(built_warehouse["db"], db)
    return db


def raw_loads(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {load_id for (load_id,) in con.execute("select load_id from raw.loads").fetchall()}


def ingest_one_more_slice(db: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra.jsonl"
    row = {"id": "x", "conversations": [{"from": "human", "value": "one more"}]}
    extra.write_text(json.dumps(row) + "\n", encoding="utf-8")
    tracehouse("ingest", str(extra), "--config", "extra", "--db", str(db), "-q")


def pasted_build_command(stderr: str) -> list[str]:
    """The command the message names, as a shell would split it when pasted."""
    after = stderr.split("Rebuild them (dbt build) with: ", 1)[1]
    return shlex.split(after.split(" (or pass --allow-stale", 1)[0])


def test_marts_of_the_last_build_are_fresh_and_cover_every_load(warehouse):
    state = check_fresh(warehouse)
    assert not state.stale
    assert {load.load_id for load in state.covered} == raw_loads(warehouse)
    assert sorted(load.config for load in state.covered) == ["glm-5.1", "kimi"]


def test_report_and_export_refuse_marts_that_miss_a_load_until_a_plain_dbt_build(
    warehouse, tmp_path
):
    built_from = raw_loads(warehouse)
    ingest_one_more_slice(warehouse, tmp_path)
    out = tmp_path / "out"
    report = tracehouse("report", "--db", str(warehouse), "--out", str(out / "r.html"), check=False)
    export = tracehouse(
        "export", "--format", "messages", "--db", str(warehouse), "--out", str(out / "e.jsonl"),
        check=False,
    )  # fmt: skip
    for result in (report, export):
        assert result.returncode == 1
        assert "the raw layer holds 1 load the marts were not built from" in result.stderr
        assert "extra.jsonl [extra/train]" in result.stderr
        assert pasted_build_command(result.stderr) == [
            "tracehouse",
            "build",
            "--db",
            str(warehouse),
        ]
        assert "Traceback" not in result.stderr
    assert not out.exists()

    stale = check_fresh(warehouse, allow_stale=True)  # what a report with --allow-stale covers
    assert {load.load_id for load in stale.covered} == built_from
    allowed = tracehouse(
        "report", "--allow-stale", "--no-docs", "--db", str(warehouse),
        "--out", str(out / "r.html"), check=False,
    )  # fmt: skip
    assert "stale" not in allowed.stderr
    # the header says why the marts are stale and which loads they cover
    page = html.unescape((out / "r.html").read_text(encoding="utf-8"))
    notice = page.split('id="stale">', 1)[1].split("</p>", 1)[0]
    assert "the raw layer holds 1 load the marts were not built from" in notice
    for load in stale.covered:
        assert load.describe() in notice
    assert "extra/train" not in notice.split("They cover", 1)[1]

    # A plain `dbt build` from the repository root records its build too.
    env = {**os.environ, "TRACEHOUSE_DB": str(warehouse)}
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "build", "--exclude-resource-type", "unit_test", "--quiet"],
        cwd=REPO_ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    assert not check_fresh(warehouse).stale
    assert {load.load_id for load in check_fresh(warehouse).covered} == raw_loads(warehouse)


def test_a_failed_build_leaves_the_marts_stale(warehouse, tmp_path):
    with duckdb.connect(str(warehouse)) as con:  # the parse's table as an older version left it
        con.execute(
            "alter table intermediate.int_blocks_parsed rename column body_length to block_chars"
        )
    failed = tracehouse("build", "--db", str(warehouse), check=False)
    assert failed.returncode == 1
    with pytest.raises(StaleMartsError, match=r"the last build \(started .*\) failed"):
        check_fresh(warehouse)
    report = tracehouse(
        "report", "--db", str(warehouse), "--out", str(tmp_path / "r.html"), check=False
    )
    assert report.returncode == 1 and "failed" in report.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_warehouse_never_built_is_told_to_build_not_to_allow_stale(tmp_path):
    """Ingested only: there are no marts for --allow-stale to use, so the advice is the build
    alone (it used to offer --allow-stale, which then failed on the missing marts)."""
    db = tmp_path / "wh.duckdb"
    ingest_one_more_slice(db, tmp_path)
    report = ["report", "--no-docs", "--out", str(tmp_path / "r.html")]
    export = ["export", "--format", "messages", "--out", str(tmp_path / "m.jsonl")]
    for command in (report, export):
        refused = tracehouse(*command, "--db", str(db), check=False)
        assert refused.returncode == 1
        assert f"{db} has no marts yet" in refused.stderr
        assert refused.stderr.rstrip().endswith(
            f"Build them (dbt build) with: tracehouse build --db {db}"
        )
        assert "--allow-stale" not in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "m.jsonl").exists()
