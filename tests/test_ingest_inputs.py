"""Ingest inputs: every data file of a folder read or the folder refused, JSON that is not
UTF-8 named by line, gzipped JSON, and the same conversations landed under a second path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import hermes_table, tracehouse
from tests.test_ingest import conversation_row, given_messages, landed_messages, query


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def refused(source: Path, db: Path, *args: str) -> str:
    """The one error line of an ingest that must fail and leave no warehouse behind."""
    result = tracehouse("ingest", str(source), "--db", str(db), *args, check=False)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()
    (line,) = result.stderr.strip().splitlines()
    return line


# --- a folder of several file types ----------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "read", "skipped"),
    [
        ({"a.jsonl": 5, "b.parquet": 30}, "parquet: b.parquet", "json: a.jsonl"),
        (
            {"a.jsonl": 5, "b.jsonl": 5, "c.parquet": 30},
            "json: a.jsonl, b.jsonl",
            "parquet: c.parquet",
        ),
    ],
)
def test_a_folder_mixing_file_types_is_refused_naming_every_file(tmp_path, files, read, skipped):
    """`datasets` reads the most common type of a folder and skipped the others: 30 or 10
    conversations landed, with no issue recorded."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    start = 0
    for name, count in files.items():
        rows = [conversation_row(index) for index in range(start, start + count)]
        start += count
        if name.endswith(".parquet"):
            pq.write_table(hermes_table(rows), folder / name)
        else:
            jsonl(folder / name, rows)
    line = refused(folder, tmp_path / "wh.duckdb")
    assert line == (
        f"tracehouse ingest: error: {folder} [default]: split 'train' mixes file types, and "
        f"`datasets` reads a dataset as one type (here {read}), so it would not read "
        f"{skipped}. Ingest each type on its own: move the files of each type into a folder "
        "of their own and ingest each folder, or ingest each file by its path"
    )


def test_each_type_of_a_mixed_folder_lands_from_a_folder_of_its_own(tmp_path):
    """What the error advises lands every row."""
    json_rows = [conversation_row(index) for index in range(5)]
    parquet_rows = [conversation_row(index) for index in range(5, 35)]
    jsonl((tmp_path / "json").mkdir() or tmp_path / "json" / "a.jsonl", json_rows)
    (tmp_path / "parquet").mkdir()
    pq.write_table(hermes_table(parquet_rows), tmp_path / "parquet" / "b.parquet")
    db = tmp_path / "wh.duckdb"
    for folder in ("json", "parquet"):
        tracehouse("ingest", str(tmp_path / folder), "--db", str(db), "-q")
    assert query(db, "select source, count(*) from raw.conversations group by 1 order by 1") == [
        (str(tmp_path / "json"), 5),
        (str(tmp_path / "parquet"), 30),
    ]


def test_a_readme_config_of_json_files_read_as_parquet_is_refused(tmp_path):
    """With a `configs:` block, `datasets` reads every config with the type of the first
    config's files: the JSON config failed on 'Parquet magic bytes not found'."""
    folder = tmp_path / "hub"
    (folder / "data").mkdir(parents=True)
    pq.write_table(hermes_table([conversation_row(0)]), folder / "data" / "b.parquet")
    jsonl(folder / "data" / "a.jsonl", [conversation_row(1)])
    (folder / "README.md").write_text(
        "---\nconfigs:\n"
        "  - config_name: p\n    data_files:\n      - split: train\n        path: data/b.parquet\n"
        "  - config_name: j\n    data_files:\n      - split: train\n        path: data/a.jsonl\n"
        "---\n",
        encoding="utf-8",
    )
    line = refused(folder, tmp_path / "wh.duckdb", "--config", "j")
    assert line.startswith(
        f"tracehouse ingest: error: {folder} [j]: split 'train' holds json: data/a.jsonl, "
        "but `datasets` reads this dataset as parquet (the type of the first config's files)"
    )


# --- JSON that is not UTF-8, or not JSON -----------------------------------------------------


def test_invalid_utf8_in_a_jsonl_file_is_named_by_file_line_and_column(tmp_path):
    lines = [json.dumps(conversation_row(index)).encode() for index in range(3)]
    at = lines[1].index(b"hi 1")
    lines[1] = lines[1][:at] + b"\xff" + lines[1][at:]
    source = tmp_path / "bad.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    line = refused(source, tmp_path / "wh.duckdb")
    assert line == (
        f"tracehouse ingest: error: {source}, line 2, column {at + 1}: invalid UTF-8 "
        "(invalid start byte, byte 0xff); JSON files must be UTF-8: re-encode the file"
    )


def test_invalid_utf8_in_a_json_array_is_named_by_its_line(tmp_path):
    text = json.dumps([conversation_row(index) for index in range(3)], indent=1).encode()
    at = text.index(b"hi 2")
    source = tmp_path / "rows.json"
    source.write_bytes(text[:at] + b"\xc3\x28" + text[at:])
    line = refused(source, tmp_path / "wh.duckdb")
    line_number = text[:at].count(b"\n") + 1
    column = at - text[:at].rfind(b"\n")
    assert line.startswith(
        f"tracehouse ingest: error: {source}, line {line_number}, column {column}: invalid UTF-8"
    )


def test_an_unterminated_string_is_named_once_with_its_column(tmp_path):
    lines = [json.dumps(conversation_row(index)) for index in range(3)]
    lines.append('{"id": "x", "conversations": "abc')
    source = tmp_path / "malformed.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = refused(source, tmp_path / "wh.duckdb")
    assert line == (
        f"tracehouse ingest: error: {source}, line 4: invalid JSON "
        f"(Unterminated string starting at column {lines[3].index('abc')})"
    )


def test_a_lone_surrogate_escape_is_named_by_file_line_and_column(tmp_path):
    """Python's json reads `\\ud800` alone; pyarrow stopped at it naming neither line nor
    column ("The surrogate pair in string is invalid. in row 1")."""
    lines = [json.dumps(conversation_row(index)) for index in range(3)]
    lines[1] = lines[1].replace("hi 1", "hi \\ud800 1")
    source = tmp_path / "lone.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    column = lines[1].index("\\ud800") + 1
    line = refused(source, tmp_path / "wh.duckdb")
    assert line == (
        f"tracehouse ingest: error: {source}, line 2, column {column}: "
        "a lone UTF-16 surrogate escape (\\ud800) is not text; write the character, or its "
        "pair of escapes"
    )


def test_a_lone_low_surrogate_in_a_json_array_is_named_by_its_line(tmp_path):
    text = json.dumps([conversation_row(index) for index in range(3)], indent=1)
    text = text.replace("hi 2", "hi \\uDC00 2")
    source = tmp_path / "rows.json"
    source.write_text(text, encoding="utf-8")
    line = refused(source, tmp_path / "wh.duckdb")
    at = text.index("\\uDC00")
    line_number = text[:at].count("\n") + 1
    column = at - text[:at].rfind("\n")
    assert line.startswith(
        f"tracehouse ingest: error: {source}, line {line_number}, column {column}: "
        "a lone UTF-16 surrogate escape (\\uDC00)"
    )


def test_surrogate_pairs_and_escaped_backslashes_land_as_text(tmp_path):
    rows = [conversation_row(index) for index in range(2)]
    # an emoji as a pair of escapes, and a literal backslash before "ud800"
    lines = [json.dumps(row) for row in rows]
    lines[0] = lines[0].replace("hi 0", "hi \\ud83d\\ude00 \\\\ud800 0")
    source = tmp_path / "ok.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(source), "--db", str(db), "-q")
    values = [row[-1] for row in landed_messages(db)]
    assert "hi \U0001f600 \\ud800 0" in values


def test_sharegpt_messages_with_a_key_only_some_have_land_every_message(tmp_path):
    """axolotl's `weight` on some turns only: the JSON scan typed such messages as JSON text,
    and the ingest refused the file as no trace shape."""
    rows = [conversation_row(index) for index in range(3)]
    rows[1]["conversations"][1]["weight"] = 0
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(jsonl(tmp_path / "weights.jsonl", rows)), "--db", str(db), "-q")
    assert landed_messages(db) == given_messages(rows)
    weights = query(
        db,
        "select row_index, message_index, extra_keys from raw.messages "
        "order by row_index, message_index",
    )
    assert [(row, index, json.loads(extra)["weight"]) for row, index, extra in weights] == [
        (row_index, index, message.get("weight"))
        for row_index, row in enumerate(rows)
        for index, message in enumerate(row["conversations"])
    ]


# --- gzipped JSON ----------------------------------------------------------------------------


def test_gzipped_json_lines_land_as_the_plain_file_does(tmp_path):
    rows = [conversation_row(index) for index in range(4)]
    rows[2]["id"] = 7  # an id of another type: read with every row's types (the JSON scan)
    text = "".join(json.dumps(row) + "\n\n" for row in rows)  # blank lines: copied without
    plain, packed = tmp_path / "rows.jsonl", tmp_path / "rows.jsonl.gz"
    plain.write_text(text, encoding="utf-8")
    packed.write_bytes(gzip.compress(text.encode()))
    from_plain, from_packed = tmp_path / "plain.duckdb", tmp_path / "packed.duckdb"
    tracehouse("ingest", str(plain), "--db", str(from_plain), "-q")
    tracehouse("ingest", str(packed), "--db", str(from_packed), "-q")
    expected = [
        (row_index, str(row_id), position, role, value)
        for row_index, row_id, position, role, value in given_messages(rows)
    ]
    assert landed_messages(from_packed) == landed_messages(from_plain) == expected


def test_a_folder_of_gzipped_json_arrays_is_read_through_the_json_scan(tmp_path):
    folder = tmp_path / "packed"
    folder.mkdir()
    rows = [conversation_row(index) for index in range(3)]
    rows[2]["tools"] = '[{"name": "terminal"}]'  # a column the first rows do not have
    (folder / "rows.json.gz").write_bytes(gzip.compress(json.dumps(rows).encode()))
    db = tmp_path / "wh.duckdb"
    tracehouse("ingest", str(folder), "--db", str(db), "-q")
    assert landed_messages(db) == given_messages(rows)
    assert query(db, "select tools from raw.conversations order by row_index")[2] == (
        '[{"name": "terminal"}]',
    )


def test_a_broken_line_in_a_gzipped_file_is_named_by_line(tmp_path):
    lines = [json.dumps(conversation_row(index)) for index in range(3)]
    lines[1] = lines[1][:-1]
    source = tmp_path / "rows.jsonl.gz"
    source.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    assert refused(source, tmp_path / "wh.duckdb").startswith(
        f"tracehouse ingest: error: {source}, line 2: invalid JSON"
    )


@pytest.mark.parametrize("name", ["rows.gz", "rows.parquet.gz", "rows.csv"])
def test_an_unsupported_file_type_is_named_with_its_absolute_path(tmp_path, name):
    (tmp_path / name).write_bytes(b"not read")
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", name, "--db", str(db), check=False, cwd=tmp_path)
    assert result.returncode == 1
    suffix = name.removeprefix("rows")
    assert result.stderr.strip() == (
        f"tracehouse ingest: error: {tmp_path / name}: unsupported file type {suffix!r} "
        "(expected one of .json, .json.gz, .jsonl, .jsonl.gz, .parquet)"
    )
    assert not db.exists()


# --- the same conversations in two slices ----------------------------------------------------


def test_the_same_files_under_a_second_path_land_and_are_warned_about(tmp_path):
    rows = [conversation_row(index) for index in range(6)]
    old, new = tmp_path / "old", tmp_path / "moved"
    for folder in (old, new):
        folder.mkdir()
        pq.write_table(hermes_table(rows), folder / "train.parquet")
    db = tmp_path / "wh.duckdb"
    first = tracehouse("ingest", str(old), "--db", str(db), "-q")
    assert first.stderr == ""
    second = tracehouse("ingest", str(new), "--db", str(db), "-q")  # warned even when quiet
    assert second.stderr.strip() == (
        f"tracehouse ingest: warning: {new} [default/train] shares 6 conversation ids with "
        f"the slice {old} [default/train], which the warehouse also holds: the marts count "
        "those conversations once per slice (recorded in raw.ingest_issues as "
        "id_in_other_slice). If that slice is an old copy of this one, no tracehouse command "
        f"removes it: delete its rows (source = '{old}', config = 'default', split = 'train') "
        "from raw.conversations, raw.messages and raw.ingest_issues, then run `tracehouse build`"
    )
    assert query(db, "select source, count(*) from raw.conversations group by 1 order by 1") == [
        (str(new), 6),
        (str(old), 6),
    ]
    assert query(
        db, "select source, row_index, conversation_id, field, issue, detail from raw.ingest_issues"
    ) == [
        (
            str(new),
            None,
            None,
            "id",
            "id_in_other_slice",
            f"6 conversation ids of this slice are also in the slice {old} [default/train]; "
            "both are kept, and the marts count each of those conversations once per slice",
        )
    ]
    assert query(db, "select source, issues from raw.loads order by finished_at") == [
        (str(old), 0),
        (str(new), 1),
    ]


def test_slices_with_distinct_ids_get_no_warning_and_a_reingest_counts_itself_once(tmp_path):
    db = tmp_path / "wh.duckdb"
    sources = []
    for name, start in (("a.jsonl", 0), ("b.jsonl", 3)):
        rows = [conversation_row(index) for index in range(start, start + 3)]
        sources.append(jsonl(tmp_path / name, rows))
        result = tracehouse("ingest", str(sources[-1]), "--db", str(db), "-q")
        assert result.stderr == ""
    shared = jsonl(tmp_path / "c.jsonl", [conversation_row(index) for index in (1, 2, 4)])
    warnings = tracehouse("ingest", str(shared), "--db", str(db), "-q").stderr.splitlines()
    head = f"tracehouse ingest: warning: {shared} [default/train] shares"
    assert [line.split(" [default/train], which")[0] for line in warnings] == [
        f"{head} 2 conversation ids with the slice {sources[0]}",  # the most shared first
        f"{head} 1 conversation id with the slice {sources[1]}",
    ]
    again = tracehouse("ingest", str(sources[0]), "--db", str(db), "-q")  # replaces its slice
    assert f"shares 2 conversation ids with the slice {shared} [" in again.stderr
    recorded = "select source, count(*) from raw.ingest_issues where issue = 'id_in_other_slice' "
    assert query(db, recorded + "group by 1 order by 1") == [
        (str(sources[0]), 1),
        (str(shared), 2),
    ]
