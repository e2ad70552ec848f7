"""Ingest: lossless, idempotent, atomic landing of hub-layout data, and bad input recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import MESSAGE_TYPE, hermes_table, tracehouse, write_hub_layout
from tracehouse.commands.ingest import ingest_source
from tracehouse.ingest.explode import SliceMeta, explode_batch
from tracehouse.ingest.land import SliceWrite, replace_slices
from tracehouse.warehouse import ROW_GROUP_SIZE


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_fingerprint(db: Path) -> dict[str, list[tuple]]:
    """Every row of every raw table that a slice owns, for before/after comparisons."""
    return {
        table: query(db, f"select * exclude (loaded_at) from raw.{table} order by all")
        if table == "conversations"
        else query(db, f"select * from raw.{table} order by all")
        for table in ("conversations", "messages", "ingest_issues")
    }


def slice_rows_without_load(db: Path) -> tuple[list[tuple], list[tuple]]:
    """Conversations and issues, less the columns that name the load that wrote them."""
    return (
        query(db, "select * exclude (load_id, loaded_at) from raw.conversations order by all"),
        query(db, "select * exclude (load_id) from raw.ingest_issues order by all"),
    )


def issues(db: Path) -> list[tuple]:
    return query(
        db,
        "select row_index, message_index, field, issue from raw.ingest_issues "
        "order by row_index nulls first, message_index nulls first, field, issue",
    )


def expected_messages(parquet: Path) -> list[tuple]:
    """What the file holds, read with pyarrow alone: (row, position, role, value)."""
    rows = pq.read_table(parquet).to_pylist()
    return [
        (row_index, position, message["from"], message["value"])
        for row_index, row in enumerate(rows)
        for position, message in enumerate(row["conversations"] or [])
    ]


# --- generated data in hub layout ------------------------------------------------------


def test_every_message_of_both_configs_lands_byte_exact(generated_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    results = ingest_source(str(generated_dir), configs=[], split="train", db=db, quiet=True)
    assert sorted(result.config for result in results) == ["glm-5.1", "kimi"]
    for config in ("kimi", "glm-5.1"):
        landed = query(
            db,
            "select row_index, message_index, role, value from raw.messages "
            "where config = ? order by row_index, message_index",
            [config],
        )
        assert landed == expected_messages(generated_dir / "data" / config / "train.parquet")


def test_message_counts_reconcile_with_the_messages_table(generated_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    ingest_source(str(generated_dir), configs=[], split="train", db=db, quiet=True)
    truth = json.loads((generated_dir / "ground_truth.json").read_text())
    for config, counts in truth["configs"].items():
        (declared, landed, conversations) = query(
            db,
            "select (select sum(message_count) from raw.conversations where config = $1), "
            "(select count(*) from raw.messages where config = $1), "
            "(select count(*) from raw.conversations where config = $1)",
            [config],
        )[0]
        assert declared == landed == counts["messages"]
        assert conversations == counts["conversations"]


def test_duplicate_ids_inside_a_slice_are_kept_and_flagged(generated_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True)
    ids = pq.read_table(generated_dir / "data" / "kimi" / "train.parquet").column("id").to_pylist()
    repeated = {value for value in ids if ids.count(value) > 1}
    assert repeated, "the fixture asks the generator for duplicate ids"
    flagged = query(
        db, "select conversation_id from raw.conversations where is_duplicate_id order by 1"
    )
    assert sorted(flagged) == sorted((value,) for value in ids if value in repeated)
    recorded = query(db, "select count(*) from raw.ingest_issues where issue = 'duplicate_id'")
    assert recorded == [(len(flagged),)]


def test_reingest_replaces_the_slice_without_duplicates(generated_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    ingest_source(str(generated_dir), configs=[], split="train", db=db, quiet=True)
    first = table_fingerprint(db)
    slice_rows_without_load_before = slice_rows_without_load(db)
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True)
    second = table_fingerprint(db)
    assert second["messages"] == first["messages"]
    assert slice_rows_without_load(db) == slice_rows_without_load_before
    assert query(db, "select count(*) from raw.loads") == [(3,)]


def test_a_failing_ingest_leaves_the_warehouse_as_it_was(generated_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    ingest_source(str(generated_dir), configs=[], split="train", db=db, quiet=True)
    before = table_fingerprint(db)

    from tracehouse.ingest.pipeline import prepare_slices

    ((loaded, plan),) = prepare_slices(
        str(generated_dir), ["kimi"], "train", cache_dir=str(tmp_path)
    )
    meta = SliceMeta(loaded.source, "kimi", "train", "failing-load", datetime.now())

    def batches_then_failure():
        first_row = 0
        for batch in loaded.batches(10):
            yield explode_batch(batch, plan, meta, first_row)
            first_row += batch.num_rows
            if first_row >= 20:
                raise OSError("disk went away")

    con = duckdb.connect(str(db))
    try:
        with pytest.raises(OSError, match="disk went away"):
            replace_slices(con, [SliceWrite(meta, batches_then_failure(), plan.slice_issues())])
    finally:
        con.close()
    assert table_fingerprint(db) == before


def test_a_failure_in_the_second_config_leaves_the_first_as_it_was_too(generated_dir, tmp_path):
    """Both configs land in one transaction: kimi's new rows go when glm-5.1's fail."""
    db = tmp_path / "wh.duckdb"
    ingest_source(str(generated_dir), configs=["kimi"], split="train", db=db, quiet=True)
    before = table_fingerprint(db)
    loads_before = query(db, "select * from raw.loads order by all")

    from tracehouse.ingest.pipeline import ingest_slices, prepare_slices

    prepared = prepare_slices(
        str(generated_dir), ["kimi", "glm-5.1"], "train", cache_dir=str(tmp_path)
    )
    landed: list[str] = []

    def on_slice(loaded):
        def on_batch(exploded):
            landed.append(loaded.config)
            if loaded.config == "glm-5.1" and landed.count("glm-5.1") == 2:
                raise OSError("disk went away")

        return on_batch

    con = duckdb.connect(str(db))
    try:
        with pytest.raises(OSError, match="disk went away"):
            ingest_slices(con, prepared, batch_rows=10, on_slice=on_slice)
    finally:
        con.close()
    assert "kimi" in landed  # kimi's slice was written before glm-5.1's failed
    assert table_fingerprint(db) == before
    assert query(db, "select * from raw.loads order by all") == loads_before


def test_a_killed_ingest_process_leaves_the_warehouse_as_it_was(generated_dir, tmp_path):
    """SIGKILL after some batches are inserted, before the commit: nothing of it survives."""
    db = tmp_path / "wh.duckdb"
    ingest_source(str(generated_dir), configs=["glm-5.1"], split="train", db=db, quiet=True)
    before = table_fingerprint(db)
    script = textwrap.dedent(
        f"""
        import os, signal
        from tracehouse.ingest.pipeline import ingest_slices, prepare_slices
        from tracehouse.warehouse import connect
        prepared = prepare_slices(
            {str(generated_dir)!r}, ["kimi"], "train", cache_dir={str(tmp_path)!r}
        )
        seen = []
        def on_slice(loaded):
            def on_batch(exploded):
                seen.append(exploded)
                if len(seen) == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
            return on_batch
        ingest_slices(connect({str(db)!r}), prepared, batch_rows=10, on_slice=on_slice)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -9, result.stderr
    assert table_fingerprint(db) == before


def test_progress_output_stays_quiet_when_not_a_terminal(generated_dir, tmp_path):
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(generated_dir), "--config", "kimi", "--db", str(db))
    assert "it/s" not in result.stderr and "rows/s" not in result.stderr
    assert "kimi/train" in result.stderr
    quiet = tracehouse("ingest", str(generated_dir), "--config", "kimi", "--db", str(db), "-q")
    assert quiet.stderr == "" and quiet.stdout == ""


# --- bad input --------------------------------------------------------------------------


def land(tmp_path: Path, rows: list[dict], message_type=MESSAGE_TYPE, table=None) -> Path:
    source = write_hub_layout(
        tmp_path / "hub", {"kimi": table if table is not None else hermes_table(rows, message_type)}
    )
    db = tmp_path / "wh.duckdb"
    ingest_source(str(source), configs=[], split="train", db=db, quiet=True)
    return db


def message(role, value):
    return {"from": role, "value": value}


def test_null_and_empty_conversations_are_kept_and_recorded(tmp_path):
    db = land(
        tmp_path,
        [
            {"id": "a", "conversations": None},
            {"id": "b", "conversations": []},
            {"id": "c", "conversations": [message("human", "hi")]},
        ],
    )
    assert query(db, "select conversation_id, message_count from raw.conversations order by 1") == [
        ("a", 0),
        ("b", 0),
        ("c", 1),
    ]
    assert issues(db) == [
        (0, None, "conversations", "empty_conversation"),
        (1, None, "conversations", "empty_conversation"),
    ]


def test_missing_from_or_value_and_unknown_roles_are_kept_as_given(tmp_path):
    db = land(
        tmp_path,
        [
            {
                "id": "a",
                "conversations": [
                    message(None, "no role"),
                    message("gpt", None),
                    message("narrator", "once upon a time"),
                    None,
                ],
            }
        ],
    )
    assert query(db, "select message_index, role, value from raw.messages order by 1") == [
        (0, None, "no role"),
        (1, "gpt", None),
        (2, "narrator", "once upon a time"),
        (3, None, None),
    ]
    assert issues(db) == [
        (0, 0, "from", "missing_role"),
        (0, 1, "value", "missing_value"),
        (0, 2, "from", "unknown_role"),
        (0, 3, "message", "null_message"),
    ]


def test_role_and_content_keys_are_mapped_to_from_and_value(tmp_path):
    openai_style = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    rows = [{"id": "a", "conversations": [{"role": "human", "content": "hello"}]}]
    db = land(tmp_path, rows, message_type=openai_style)
    assert query(db, "select role, value from raw.messages") == [("human", "hello")]
    assert ("conversations", "mapped_message_keys") in {row[2:] for row in issues(db)}


def test_message_keys_without_a_column_are_kept_per_message_in_extra_keys(tmp_path):
    """axolotl's ShareGPT `weight` (and any other key beside from/value) lands per message in
    raw.messages.extra_keys, serialized as raw.conversations.extra_columns is: json.dumps of
    the keys as given (a null kept), null for a null message; one slice-level issue per key."""
    weighted = pa.list_(
        pa.struct(
            [
                ("from", pa.string()),
                ("value", pa.string()),
                ("weight", pa.int64()),
                ("meta", pa.struct([("turn", pa.string())])),
            ]
        )
    )
    rows = [
        {
            "id": "a",
            "conversations": [
                {"from": "human", "value": "hi", "weight": 0, "meta": {"turn": "é"}},
                {"from": "gpt", "value": "hello", "weight": 1, "meta": None},
            ],
        },
        {"id": "b", "conversations": [None, {"from": "gpt", "value": "x", "weight": None}]},
    ]
    db = land(tmp_path, rows, message_type=weighted)
    written = pq.read_table(tmp_path / "hub" / "data" / "kimi" / "train.parquet").to_pylist()
    expected = [
        (
            row_index,
            position,
            None if given is None else given["from"],
            None if given is None else given["value"],
            None
            if given is None
            else json.dumps({"weight": given["weight"], "meta": given["meta"]}, ensure_ascii=False),
        )
        for row_index, row in enumerate(written)
        for position, given in enumerate(row["conversations"])
    ]
    landed = query(
        db,
        "select row_index, message_index, role, value, extra_keys from raw.messages "
        "order by row_index, message_index",
    )
    assert landed == expected
    assert json.loads(landed[0][4]) == {"weight": 0, "meta": {"turn": "é"}}
    assert json.loads(landed[3][4]) == {"weight": None, "meta": None}
    kept = query(
        db,
        "select field, row_index, detail from raw.ingest_issues "
        "where issue = 'unlanded_message_key' order by field",
    )
    assert [row[:2] for row in kept] == [("meta", None), ("weight", None)]
    assert all("kept per message in raw.messages.extra_keys" in row[2] for row in kept)


def test_messages_without_other_keys_have_null_extra_keys(tmp_path):
    db = land(tmp_path, [{"id": "a", "conversations": [message("human", "hi")]}])
    assert query(db, "select value, extra_keys from raw.messages") == [("hi", None)]
    assert not {"unlanded_message_key", "cast_message_value"} & {row[3] for row in issues(db)}


def test_a_message_value_that_is_not_text_is_cast_and_recorded_once(tmp_path):
    numbers = pa.list_(pa.struct([("from", pa.string()), ("value", pa.int64())]))
    rows = [
        {"id": "a", "conversations": [{"from": "human", "value": 1}, {"from": "gpt", "value": 2}]},
        {"id": "b", "conversations": [{"from": "gpt", "value": -30}]},
    ]
    db = land(tmp_path, rows, message_type=numbers)
    written = pq.read_table(tmp_path / "hub" / "data" / "kimi" / "train.parquet").to_pylist()
    assert query(db, "select value from raw.messages order by row_index, message_index") == [
        (str(given["value"]),) for row in written for given in row["conversations"]
    ]
    cast = query(
        db,
        "select field, row_index, message_index, detail from raw.ingest_issues "
        "where issue = 'cast_message_value'",
    )
    assert len(cast) == 1
    assert cast[0][:3] == ("value", None, None)
    assert "int64" in cast[0][3]


def test_a_message_value_that_is_a_list_lands_as_its_json_text(tmp_path):
    # Arrow cannot cast a list to text: this was a traceback
    lists = pa.list_(pa.struct([("from", pa.string()), ("value", pa.list_(pa.string()))]))
    rows = [{"id": "a", "conversations": [{"from": "gpt", "value": ["x", "é", None]}]}]
    db = land(tmp_path, rows, message_type=lists)
    [(value,)] = query(db, "select value from raw.messages")
    assert json.loads(value) == ["x", "é", None]
    [(detail,)] = query(
        db, "select detail from raw.ingest_issues where issue = 'cast_message_value'"
    )
    assert "landed as their JSON text" in detail


def test_missing_tools_and_category_columns_land_as_nulls(tmp_path):
    table = pa.table(
        {
            "id": ["a"],
            "conversations": pa.array([[message("human", "hi")]], MESSAGE_TYPE),
            "task": ["t"],
        }
    )
    db = land(tmp_path, [], table=table)
    assert query(db, "select tools, category, subcategory, task from raw.conversations") == [
        (None, None, None, "t")
    ]
    missing = {row[2] for row in issues(db) if row[3] == "missing_column"}
    assert missing == {"tools", "category", "subcategory"}


def test_invalid_utf8_is_repaired_recorded_and_its_bytes_kept(tmp_path):
    binary_messages = pa.list_(pa.struct([("from", pa.string()), ("value", pa.binary())]))
    raw = b"ok \xff\xfe end"
    table = pa.table(
        {
            "id": ["a"],
            "conversations": pa.array([[{"from": "tool", "value": raw}]], binary_messages),
        }
    )
    db = land(tmp_path, [], table=table)
    assert query(db, "select value from raw.messages") == [("ok \ufffd\ufffd end",)]
    (detail,) = query(db, "select detail from raw.ingest_issues where issue = 'invalid_utf8'")[0]
    import base64

    assert base64.b64encode(raw).decode() in detail


def test_nul_characters_and_a_five_megabyte_message_land_byte_exact(tmp_path):
    big = "x" * 5_000_000
    db = land(
        tmp_path,
        [{"id": "a", "conversations": [message("human", "a\x00b"), message("tool", big)]}],
    )
    assert query(db, "select value from raw.messages order by message_index") == [
        ("a\x00b",),
        (big,),
    ]
    assert (0, 0, "value", "nul_character") in issues(db)


def row_groups(db: Path, table: str) -> int:
    [(groups,)] = query(
        db, "select count(distinct row_group_id) from pragma_storage_info(?)", [table]
    )
    return groups


def test_ingest_writes_the_messages_in_row_groups_of_row_group_size(tmp_path):
    """DuckDB scans a table one row group per thread: the parse of a kimi-sized load needs
    more than its default two (ROW_GROUP_SIZE, tracehouse/warehouse.py)."""
    conversations, per_conversation = 700, 50
    rows = [
        {
            "id": str(n),
            "conversations": [message("human", f"{n}.{i}") for i in range(per_conversation)],
        }
        for n in range(conversations)
    ]
    db = land(tmp_path, rows)
    messages = conversations * per_conversation
    assert query(db, "select count(*) from raw.messages") == [(messages,)]
    assert row_groups(db, "raw.messages") == -(-messages // ROW_GROUP_SIZE) > 1


def test_local_parquet_and_jsonl_files_are_ingested_through_datasets(tmp_path):
    rows = [{"id": "a", "conversations": [message("human", "hi"), message("gpt", "yo")]}]
    parquet = tmp_path / "one.parquet"
    pq.write_table(hermes_table(rows), parquet)
    jsonl = tmp_path / "one.jsonl"
    jsonl.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    ingest_source(str(parquet), configs=["pq"], split="train", db=db, quiet=True)
    ingest_source(str(jsonl), configs=[], split="train", db=db, quiet=True)
    assert query(db, "select config, count(*) from raw.messages group by 1 order by 1") == [
        ("default", 2),
        ("pq", 2),
    ]


def test_a_missing_file_or_unknown_config_fails_before_touching_the_warehouse(tmp_path):
    db = tmp_path / "wh.duckdb"
    missing = tracehouse("ingest", str(tmp_path / "nope.parquet"), "--db", str(db), check=False)
    assert missing.returncode == 1
    assert "nope.parquet: no such file or directory" in missing.stderr
    assert "Traceback" not in missing.stderr
    source = write_hub_layout(tmp_path / "hub", {"kimi": hermes_table([{"id": "a"}])})
    unknown = tracehouse("ingest", str(source), "--config", "glm", "--db", str(db), check=False)
    assert unknown.returncode == 1
    assert "unknown config 'glm' (available: kimi)" in unknown.stderr
    assert not db.exists()


def test_a_table_in_no_trace_shape_is_refused_naming_its_columns_and_the_shapes(tmp_path):
    db = tmp_path / "wh.duckdb"
    source = write_hub_layout(tmp_path / "hub", {"kimi": pa.table({"id": ["a"], "text": ["x"]})})
    result = tracehouse("ingest", str(source), "--db", str(db), check=False)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "no 'conversations' or 'messages' column (columns: id, text)" in line
    assert "accepted: hermes (" in line and "openai (" in line and "anthropic (" in line
    assert not db.exists()


def test_a_locked_warehouse_names_the_one_writer_rule(tmp_path):
    db = tmp_path / "wh.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ready', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        source = write_hub_layout(tmp_path / "hub", {"kimi": hermes_table([{"id": "a"}])})
        result = tracehouse("ingest", str(source), "--db", str(db), check=False)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert "is locked by another process" in result.stderr
    assert "one writer at a time" in result.stderr


def test_sql_prints_results_from_a_read_only_connection(tmp_path):
    db = land(tmp_path, [{"id": "a", "conversations": [message("human", "hi")]}])
    result = tracehouse("sql", "select role, value from raw.messages", "--db", str(db))
    assert "human" in result.stdout and "hi" in result.stdout
    as_json = tracehouse(
        "sql", "select value from raw.messages", "--format", "json", "--db", str(db)
    )
    assert [json.loads(line) for line in as_json.stdout.splitlines()] == [{"value": "hi"}]
    write = tracehouse("sql", "delete from raw.messages", "--db", str(db), check=False)
    assert write.returncode == 1 and "read-only" in write.stderr.lower()


def test_a_local_dataset_rewritten_in_place_is_read_afresh(tmp_path):
    """datasets keys a local folder's cache by name and config only (datasets#2956)."""
    db = tmp_path / "wh.duckdb"
    source = tmp_path / "hub"
    for text in ("first version", "second version"):
        rows = [{"id": "a", "conversations": [message("human", text)]}]
        write_hub_layout(source, {"kimi": hermes_table(rows)})
        ingest_source(str(source), configs=[], split="train", db=db, quiet=True)
        assert query(db, "select value from raw.messages") == [(text,)]


# --- JSON sources ------------------------------------------------------------------------


def conversation_row(index: int, text: str = "hi") -> dict:
    return {
        "id": f"c{index}",
        "conversations": [message("human", f"{text} {index}"), message("gpt", "yo")],
    }


def given_messages(rows: list[dict]) -> list[tuple]:
    """What `landed_messages` must return for Hermes `rows`, read from the rows themselves."""
    return [
        (row_index, row["id"], position, item["from"], item["value"])
        for row_index, row in enumerate(rows)
        for position, item in enumerate(row["conversations"])
    ]


def landed_messages(db: Path) -> list[tuple]:
    return query(
        db,
        "select row_index, conversation_id, message_index, role, value from raw.messages "
        "order by all",
    )


def test_a_broken_jsonl_line_is_named_by_file_and_line_without_a_traceback(tmp_path):
    lines = [json.dumps(conversation_row(index)) for index in range(3)]
    lines[1] = lines[1][:-2]  # the object is never closed
    broken = tmp_path / "broken file.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(broken), "--db", str(db), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tracehouse ingest: error: {broken}, line 2: invalid JSON "
        f"(Expecting ',' delimiter at column {len(lines[1]) + 1})"
    ]
    assert not db.exists()


def padded_rows_past_the_first_chunk(path: Path, change) -> Path:
    """6,000 rows, over the 10 MB from which `datasets` reads the columns, with `change`
    applied to the serialized row 5500 (line 5501)."""
    padding = "x" * 2000
    lines = [json.dumps(conversation_row(index, padding)) for index in range(6000)]
    lines[5500] = change(lines[5500])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 11_000_000
    return path


def test_a_broken_line_past_the_first_chunk_stops_the_ingest_before_anything_is_written(
    tmp_path,
):
    broken = padded_rows_past_the_first_chunk(
        tmp_path / "late.jsonl",
        lambda line: line.replace('"id"', "id", 1),  # an unquoted key
    )
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(broken), "--db", str(db), check=False)
    assert result.returncode == 1
    assert f"{broken}, line 5501: invalid JSON (Expecting property name" in result.stderr
    assert "Traceback" not in result.stderr and "Failed to load JSON" not in result.stderr
    assert not db.exists()


@pytest.mark.parametrize("row", [1, 5500])
def test_an_id_of_another_type_lands_the_same_early_or_past_the_first_chunk(tmp_path, row):
    """`datasets` types a column whose rows disagree as JSON only within its first 10 MB;
    further on it cast the value's JSON text to the first rows' type, and every id of that
    chunk landed in quotes."""
    padding = "x" * 2000
    rows = [conversation_row(index, padding) for index in range(6000)]
    rows[row]["id"] = 12345
    source = tmp_path / "rows.jsonl"
    source.write_text("\n".join(json.dumps(item) for item in rows) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(source), "--db", str(db), "-q")
    landed = query(db, "select row_index, conversation_id from raw.conversations order by 1")
    assert landed == [(index, str(item["id"])) for index, item in enumerate(rows)]


def test_ids_of_two_types_land_as_given_even_where_ujson_reads_a_string_as_json(tmp_path):
    rows = [conversation_row(index) for index in range(3)]
    rows[0]["id"], rows[1]["id"] = 7, "00123"  # ujson reads 00123 as a number, json does not
    source = tmp_path / "rows.jsonl"
    source.write_text("\n".join(json.dumps(item) for item in rows) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(source), "--db", str(db), "-q", check=False)
    assert result.returncode == 0, result.stderr
    landed = query(db, "select row_index, conversation_id from raw.conversations order by 1")
    assert landed == [(0, "7"), (1, "00123"), (2, "c2")]


def test_a_message_list_that_is_not_a_list_is_refused_naming_its_line(tmp_path):
    source = padded_rows_past_the_first_chunk(
        tmp_path / "late.jsonl",
        lambda line: json.dumps({**json.loads(line), "conversations": "just a string"}),
    )
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(source), "--db", str(db), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tracehouse ingest: error: {source}, line 5501: "
        "column 'conversations' holds a string, not a list of messages"
    ]
    assert not db.exists()


@pytest.mark.parametrize("content", ["", "\n\n", "[]"])
def test_a_json_file_without_rows_is_a_clear_error(tmp_path, content):
    empty = tmp_path / "empty.jsonl"
    empty.write_text(content, encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(empty), "--db", str(db), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == f"tracehouse ingest: error: {empty}: no rows"
    assert not db.exists()


@pytest.mark.parametrize("content", [b"", b"PAR1 not parquet"])
def test_a_file_that_is_not_parquet_is_named_in_the_error(tmp_path, content):
    broken = tmp_path / "rows.parquet"
    broken.write_bytes(content)
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(broken), "--db", str(db), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"tracehouse ingest: error: {broken} [default]: ")
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_json_lines_that_start_with_a_byte_order_mark_are_read(tmp_path):
    rows = [conversation_row(index) for index in range(3)]
    source = tmp_path / "bom.jsonl"
    source.write_text("\ufeff" + "\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(source), "--db", str(db), "-q")
    assert landed_messages(db) == given_messages(rows)


def test_a_json_file_holding_an_array_of_rows_is_ingested(tmp_path):
    rows = [conversation_row(index) for index in range(3)]
    rows[2]["tools"] = '[{"name": "terminal"}]'  # a column the first rows do not have
    array = tmp_path / "rows.json"
    array.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(array), "--db", str(db), "-q")
    assert landed_messages(db) == given_messages(rows)
    assert query(db, "select tools from raw.conversations order by row_index") == [
        (None,),
        (None,),
        ('[{"name": "terminal"}]',),
    ]


def test_a_folder_of_jsonl_files_without_readme_is_ingested_like_a_folder_of_parquet(tmp_path):
    parts = [[conversation_row(index) for index in range(start, start + 2)] for start in (0, 2)]
    jsonl, parquet = tmp_path / "jsonl", tmp_path / "parquet"
    for folder in (jsonl, parquet):
        folder.mkdir()
    for number, rows in enumerate(parts):
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        (jsonl / f"part-{number}.jsonl").write_text(lines, encoding="utf-8")
        pq.write_table(hermes_table(rows), parquet / f"part-{number}.parquet")
    from_jsonl, from_parquet = tmp_path / "jsonl.duckdb", tmp_path / "parquet.duckdb"
    tracehouse("ingest", str(jsonl), "--db", str(from_jsonl), "-q")
    tracehouse("ingest", str(parquet), "--db", str(from_parquet), "-q")
    assert landed_messages(from_jsonl) == landed_messages(from_parquet)
    assert len(landed_messages(from_jsonl)) == 8


# --- nothing left behind -------------------------------------------------------------------


def test_ingest_leaves_no_lock_files_in_the_datasets_cache(generated_dir, tmp_path):
    """`datasets` writes a 0-byte lock file per builder into its cache and keeps it."""
    home = tmp_path / "hf-home"
    env = {**os.environ, "HF_HOME": str(home)}
    jsonl = tmp_path / "one.jsonl"
    jsonl.write_text(json.dumps(conversation_row(0)) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(generated_dir), "--db", str(db), "-q", env=env)
    tracehouse("ingest", str(jsonl), "--db", str(db), "-q", env=env)
    left = sorted(str(path.relative_to(home)) for path in home.rglob("*")) if home.exists() else []
    assert [path for path in left if path.endswith(".lock")] == []


def test_the_test_session_keeps_its_files_in_a_removed_scratch_folder(
    pytestconfig, tmp_path_factory
):
    """Everything under SCRATCH, which tests/conftest.py removes at the end of the session."""
    import datasets

    from tests.conftest import SCRATCH

    assert tmp_path_factory.getbasetemp().is_relative_to(SCRATCH.resolve())
    assert pytestconfig.getini("tmp_path_retention_policy") == "failed"
    assert Path(datasets.config.HF_DATASETS_CACHE).is_relative_to(SCRATCH)
    assert Path(os.environ["DBT_TARGET_PATH"]).is_relative_to(SCRATCH)
    assert not SCRATCH.is_relative_to(Path.home())
