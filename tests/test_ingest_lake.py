"""The Parquet lake (`ingest --lake DIR`): the raw tables, Hive-partitioned, equal to raw.*."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import tracehouse.ingest.lake as lake_module
from tests.conftest import (
    WEIGHTED_MESSAGE_TYPE,
    WEIGHTED_ROW,
    hermes_table,
    tracehouse,
    write_hub_layout,
)
from tracehouse.commands.ingest import ingest_source
from tracehouse.ingest.errors import IngestError
from tracehouse.ingest.explode import SliceMeta, explode_batch
from tracehouse.ingest.lake import (
    LAKE_TABLES,
    encode_partition_value,
    read_sql,
    slice_dir,
    stage_slice,
)
from tracehouse.ingest.land import SliceWrite, ensure_schema, replace_slices

HOSTILE_NAMES = (
    "../../outside",
    "/etc/passwd",
    "..",
    "a\\..\\..\\b",
    "%2e%2e%2F..%2f",
    'it\'s "quoted" = *?[x]{y}',
    "tab\tnew\nline\x01",
    "non-ascii: café ∕ 日本",
)


def lake_rows(lake: Path, table: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(f"{read_sql(lake, table)} order by all").fetchall()
    finally:
        con.close()


def raw_rows(db: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select * from raw.{table} order by all").fetchall()
    finally:
        con.close()


def lake_files(lake: Path) -> list[Path]:
    return sorted(path for path in lake.rglob("*") if path.is_file())


def test_every_raw_table_in_the_lake_equals_the_warehouse(generated_dir, tmp_path):
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    ingest_source(str(generated_dir), configs=[], split="train", db=db, quiet=True, lake=lake)
    for table in LAKE_TABLES:
        landed = raw_rows(db, table)
        assert landed, table
        assert lake_rows(lake, table) == landed, table
    # one file per table and slice, under encoded partition directories
    assert len(lake_files(lake)) == len(LAKE_TABLES) * 2
    source = encode_partition_value(str(generated_dir.resolve()))
    assert (lake / "messages" / f"source={source}" / "config=kimi" / "split=train").is_dir()


def test_reingest_replaces_the_slice_files_and_leaves_no_temporary_file(generated_dir, tmp_path):
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    ingest_source(str(generated_dir), configs=[], split="train", db=db, quiet=True, lake=lake)
    files = lake_files(lake)
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True, lake=lake)
    assert lake_files(lake) == files  # same names: replaced, not added beside
    for table in LAKE_TABLES:
        assert lake_rows(lake, table) == raw_rows(db, table), table
    loads = lake_rows(lake, "loads")
    assert sorted(row[2] for row in loads) == ["glm-5.1", "kimi", "kimi"]


def test_a_slice_ingested_without_the_lake_keeps_its_lake_files_as_they_were(
    generated_dir, tmp_path
):
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True, lake=lake)
    before = {path: path.read_bytes() for path in lake_files(lake)}
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True)
    assert {path: path.read_bytes() for path in lake_files(lake)} == before


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_source_name_stays_inside_the_lake_and_reads_back_as_given(
    generated_dir, tmp_path, name
):
    workdir = tmp_path / "work"
    lake = workdir / "lake"
    db = tmp_path / "wh.duckdb"
    ingest_source(
        str(generated_dir),
        configs=["glm-5.1"],
        split="train",
        db=db,
        quiet=True,
        lake=lake,
        source_name=name,
    )
    assert sorted(path.name for path in workdir.iterdir()) == ["lake"]
    files = lake_files(lake)
    assert len(files) == len(LAKE_TABLES)
    for path in files:
        assert path.resolve().is_relative_to(lake.resolve())
        assert path.relative_to(lake).parts[1].startswith("source=")
    assert {row[0] for row in lake_rows(lake, "messages")} == {name}
    assert lake_rows(lake, "messages") == raw_rows(db, "messages")


def test_partition_values_encode_to_one_safe_directory_name_each():
    for name in HOSTILE_NAMES:
        encoded = encode_partition_value(name)
        assert "/" not in encoded and "\\" not in encoded and "\x00" not in encoded
        assert all(char.isalnum() or char in "-._%" for char in encoded if ord(char) < 0x80)
    assert encode_partition_value("lambda/hermes-agent-reasoning-traces") == (
        "lambda%2Fhermes-agent-reasoning-traces"
    )
    assert encode_partition_value("glm-5.1") == "glm-5.1"
    with pytest.raises(IngestError):
        encode_partition_value("")


@pytest.mark.parametrize("failure", ["while inserting", "while staging the lake files"])
def test_a_failing_ingest_leaves_the_lake_and_the_warehouse_as_they_were(
    generated_dir, tmp_path, monkeypatch, failure
):
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True, lake=lake)
    before = {path: path.read_bytes() for path in lake_files(lake)}
    messages_before = raw_rows(db, "messages")

    from tracehouse.ingest.pipeline import prepare_slices

    ((loaded, plan),) = prepare_slices(
        str(generated_dir), ["kimi"], "train", cache_dir=str(tmp_path)
    )
    meta = SliceMeta(loaded.source, "kimi", "train", "failing-load", datetime.now())

    def batches():
        first_row = 0
        for batch in loaded.batches(10):
            yield explode_batch(batch, plan, meta, first_row)
            first_row += batch.num_rows
            if failure == "while inserting" and first_row >= 20:
                raise OSError("disk went away")

    if failure == "while staging the lake files":  # two tables staged, then the third fails
        monkeypatch.setattr(lake_module, "LAKE_TABLES", ("messages", "loads", "no_such_table"))

    def stage(con):
        return stage_slice(con, lake, meta.source, meta.config, meta.split, tag=meta.load_id)

    con = duckdb.connect(str(db))
    try:
        with pytest.raises((OSError, duckdb.CatalogException)):
            replace_slices(con, [SliceWrite(meta, batches(), plan.slice_issues(), stage=stage)])
    finally:
        con.close()
    assert {path: path.read_bytes() for path in lake_files(lake)} == before  # no .tmp left
    assert raw_rows(db, "messages") == messages_before


def test_slice_dir_refuses_a_path_that_a_symlink_sends_outside(tmp_path):
    lake, outside = tmp_path / "lake", tmp_path / "outside"
    outside.mkdir()
    (lake / "messages").mkdir(parents=True)
    (lake / "messages" / "source=s").symlink_to(outside, target_is_directory=True)
    assert slice_dir(lake, "messages", "s", "c", "train").is_relative_to(lake.resolve())
    con = duckdb.connect()
    try:
        ensure_schema(con)
        with pytest.raises(IngestError, match="outside the lake"):
            stage_slice(con, lake, "s", "c", "train", tag="t")
    finally:
        con.close()
    assert list(outside.iterdir()) == []
    assert not any(path.name.endswith(".tmp") for path in lake_files(lake))


@pytest.mark.parametrize("case", ["a source name too long for a directory", "a lake below a file"])
def test_a_lake_that_cannot_take_the_slice_fails_before_touching_the_warehouse(
    generated_dir, tmp_path, case
):
    db, lake, options = tmp_path / "wh.duckdb", tmp_path / "lake", []
    if case == "a lake below a file":
        (tmp_path / "afile").write_text("")
        lake = tmp_path / "afile" / "lake"
        expected = f"{lake}: the lake must be a directory, and {tmp_path / 'afile'} is a file"
    else:
        options = ["--source-name", "x/" * 100]
        expected = "too long for a directory name in the lake"
    result = tracehouse(
        "ingest",
        str(generated_dir),
        "--config",
        "kimi",
        *options,
        "--db",
        str(db),
        "--lake",
        str(lake),
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("tracehouse ingest: error: ") and expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists() and not (tmp_path / "lake").exists()


def test_a_slice_the_lake_cannot_take_after_the_commit_is_named_and_the_others_published(
    generated_dir, tmp_path
):
    """The warehouse commits both configs at once; kimi's messages file cannot be renamed into
    place (a directory stands there), glm-5.1's files still are, and no staged file is left."""
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    source = str(generated_dir.resolve())
    blocker = slice_dir(lake, "messages", source, "kimi", "train") / "part-0.parquet"
    (blocker / "taken").mkdir(parents=True)
    result = tracehouse(
        "ingest", str(generated_dir), "--db", str(db), "--lake", str(lake), "-q", check=False
    )
    assert result.returncode == 1
    assert f"the warehouse has every new slice, but {source} [kimi/train]: the lake" in (
        result.stderr
    )
    assert "glm-5.1" not in result.stderr and "Traceback" not in result.stderr
    assert query_configs(db) == [("glm-5.1",), ("kimi",)]
    assert all(
        (slice_dir(lake, table, source, "glm-5.1", "train") / "part-0.parquet").is_file()
        for table in LAKE_TABLES
    )
    assert [path for path in lake.rglob("*") if path.name.endswith(".tmp")] == []


def query_configs(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select distinct config from raw.loads order by 1").fetchall()
    finally:
        con.close()


def test_message_keys_without_a_column_reach_the_lake_beside_slices_written_without_them(
    generated_dir, tmp_path
):
    """The lake mirrors raw.messages, extra_keys included; a slice whose file an older ingest
    wrote (no extra_keys column) still reads back, its extra_keys null."""
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    table = hermes_table([WEIGHTED_ROW], WEIGHTED_MESSAGE_TYPE)
    source = write_hub_layout(tmp_path / "hub", {"weighted": table})
    ingest_source(str(source), configs=[], split="train", db=db, quiet=True, lake=lake)
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True, lake=lake)
    # the generated slice's messages file as an ingest before extra_keys wrote it
    old = (
        slice_dir(lake, "messages", str(generated_dir.resolve()), "kimi", "train")
        / "part-0.parquet"
    )
    pq.write_table(pq.read_table(old).drop_columns(["extra_keys"]), old)
    assert "extra_keys" not in pq.read_schema(old).names
    assert lake_rows(lake, "messages") == raw_rows(db, "messages")
    con = duckdb.connect()
    try:
        extra = con.execute(
            f"select config, extra_keys from ({read_sql(lake, 'messages')}) "
            "order by config, message_index"
        ).fetchall()
    finally:
        con.close()
    assert {value for config, value in extra if config == "kimi"} == {None}
    assert [value for config, value in extra if config == "weighted"] == [
        json.dumps({"weight": given["weight"]})
        for given in pq.read_table(source / "data" / "weighted" / "train.parquet").to_pylist()[0][
            "conversations"
        ]
    ]
