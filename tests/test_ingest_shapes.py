"""Ingest of the OpenAI chat and Anthropic Messages shapes, derived ids, refused shapes.

Expectations are read from the source files with `json`/pyarrow here; the contract they
check (README "Trace formats"): a structured message lands as
`json.dumps(message without its null-valued keys, ensure_ascii=False)`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import (
    MESSAGE_TYPE,
    WEIGHTED_MESSAGE_TYPE,
    WEIGHTED_ROW,
    hermes_table,
    tracehouse,
    write_hub_layout,
)
from tracehouse.commands.ingest import ingest_source
from tracehouse.ingest.schema import DDL
from tracehouse.sample.dataset import generate_dataset

CONFIGS = ("kimi", "glm-5.1")
CONVERSATIONS = 30


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def ingest(source: Path, db: Path, **options) -> list:
    return ingest_source(
        str(source),
        configs=options.pop("configs", []),
        split="train",
        db=db,
        quiet=True,
        **options,
    )


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def landed(db: Path, config: str = "default") -> list[tuple]:
    return query(
        db,
        "select row_index, message_index, role, value, value_format from raw.messages "
        "where config = ? order by row_index, message_index",
        [config],
    )


def issues(db: Path) -> list[tuple]:
    return query(
        db,
        "select row_index, message_index, field, issue, detail from raw.ingest_issues order by all",
    )


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- generated data in each shape -----------------------------------------------------------


@pytest.fixture(scope="module")
def shaped(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The same conversations, generated and ingested in each shape."""
    root = tmp_path_factory.mktemp("shaped")
    found = {}
    for name in ("hermes", "openai", "anthropic"):
        data, db = root / name, root / f"{name}.duckdb"
        generate_dataset(data, CONVERSATIONS, seed=5, duplicate_ids=1, trace_format=name)
        ingest(data, db)
        found[name] = {"data": data, "db": db}
    return found


def expected_openai(path: Path) -> list[tuple]:
    return [
        (row_index, position, message["role"], without_nulls(message))
        for row_index, row in enumerate(read_lines(path))
        for position, message in enumerate(row["messages"])
    ]


def expected_anthropic(path: Path) -> list[tuple]:
    rows = []
    for row_index, row in enumerate(read_lines(path)):
        messages = [{"role": "system", "content": row["system"]}, *row["messages"]]
        for position, message in enumerate(messages):
            rows.append((row_index, position, message["role"], without_nulls(message)))
    return rows


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_structured_messages_land_as_their_json_without_nulls(shaped, name):
    expected_of = {"openai": expected_openai, "anthropic": expected_anthropic}[name]
    db = shaped[name]["db"]
    for config in CONFIGS:
        expected = expected_of(shaped[name]["data"] / "data" / config / "train.jsonl")
        rows = landed(db, config)
        assert [(r, i, role, json.loads(value)) for r, i, role, value, _ in rows] == expected
        # JSON lines keep the source's key order: the text itself is the contract's
        assert [value for *_, value, _ in rows] == [
            json.dumps(message, ensure_ascii=False) for *_, message in expected
        ]
        assert {value_format for *_, value_format in rows} == {name}
    assert any('"content": null' in line for line in _lines(shaped[name]["data"])) == (
        name == "openai"
    ), "OpenAI calling turns without text have content null in the source"
    assert query(db, "select distinct trace_format from raw.conversations") == [(name,)]


def _lines(data: Path) -> list[str]:
    return [
        line
        for config in CONFIGS
        for line in (data / "data" / config / "train.jsonl").read_text("utf-8").splitlines()
    ]


@pytest.mark.parametrize("name", ["hermes", "openai", "anthropic"])
def test_landed_counts_and_characters_are_the_ground_truths_of_the_shape(shaped, name):
    truth = json.loads((shaped[name]["data"] / "ground_truth.json").read_text())
    db = shaped[name]["db"]
    for config in CONFIGS:
        figures = truth["configs"][config]["formats"][name]
        (messages, chars, declared) = query(
            db,
            "select count(*), sum(length(value)), "
            "(select sum(message_count) from raw.conversations where config = $1) "
            "from raw.messages where config = $1",
            [config],
        )[0]
        assert messages == declared == figures["messages"]
        assert chars == figures["message_chars"]
        ids = query(
            db,
            "select conversation_id from raw.conversations where config = ? order by row_index",
            [config],
        )
        assert [row[0] for row in ids] == [
            p["id"] for p in truth["configs"][config]["per_conversation"]
        ]
        assert query(
            db,
            "select count(*) from raw.conversations where config = ? and is_duplicate_id",
            [config],
        ) == [(2,)]
    assert query(db, "select issue, count(*) from raw.ingest_issues group by 1 order by 1") == [
        ("duplicate_id", 4)
    ]


def test_tools_land_as_the_json_text_of_the_list(shaped):
    hermes = query(shaped["hermes"]["db"], "select config, row_index, tools from raw.conversations")
    by_key = {(config, row): tools for config, row, tools in hermes}
    for name in ("openai", "anthropic"):
        for config in CONFIGS:
            rows = read_lines(shaped[name]["data"] / "data" / config / "train.jsonl")
            tools = query(
                shaped[name]["db"],
                "select row_index, tools from raw.conversations where config = ? order by 1",
                [config],
            )
            assert [json.loads(text) for _, text in tools] == [row["tools"] for row in rows]
            if name == "openai":  # the same declarations as the Hermes string
                assert [json.loads(text) for _, text in tools] == [
                    json.loads(by_key[(config, row)]) for row, _ in tools
                ]


def test_hermes_still_lands_as_text_byte_exact(shaped):
    db = shaped["hermes"]["db"]
    for config in CONFIGS:
        table = pq.read_table(shaped["hermes"]["data"] / "data" / config / "train.parquet")
        expected = [
            (row_index, position, message["from"], message["value"], "text")
            for row_index, row in enumerate(table.to_pylist())
            for position, message in enumerate(row["conversations"])
        ]
        assert landed(db, config) == expected
    assert query(db, "select distinct trace_format from raw.conversations") == [("hermes",)]


# --- shapes as other tools write them ---------------------------------------------------------

OPENAI_ROWS = [
    {
        "id": "o1",
        "model": "gpt-x",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "List files"}]},
            {
                "role": "assistant",
                "content": None,
                "reasoning": "I should call ls.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "terminal", "arguments": {"command": "ls"}},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "a.txt\nb.txt"},
            {"role": "assistant", "content": "Two files: a.txt, b.txt ✓"},
        ],
        "tools": '[{"type": "function", "function": {"name": "terminal"}}]',
        "metadata": {"run": 7, "tags": ["x"]},
    },
    {
        "id": "o2",
        "model": "gpt-x",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
        "tools": [{"type": "function", "function": {"name": "terminal", "strict": None}}],
        "metadata": None,
    },
]


def test_openai_json_lines_with_parts_object_arguments_and_extra_columns(tmp_path):
    db = tmp_path / "wh.duckdb"
    ingest(write_jsonl(tmp_path / "chat.jsonl", OPENAI_ROWS), db)
    expected = [
        (row_index, position, message["role"], without_nulls(message))
        for row_index, row in enumerate(OPENAI_ROWS)
        for position, message in enumerate(row["messages"])
    ]
    assert [(r, i, role, json.loads(v)) for r, i, role, v, _ in landed(db)] == expected
    assert query(db, "select tools, extra_columns from raw.conversations order by row_index") == [
        (OPENAI_ROWS[0]["tools"], '{"model": "gpt-x", "metadata": {"run": 7, "tags": ["x"]}}'),
        (
            '[{"type": "function", "function": {"name": "terminal"}}]',
            '{"model": "gpt-x", "metadata": null}',
        ),
    ]
    assert [row[3] for row in issues(db)] == ["missing_column"] * 3  # category, subcategory, task


def test_openai_parquet_with_a_tools_list_lands_instead_of_a_cast_traceback(tmp_path):
    """The failure reported in #20: struct-typed messages and `tools` a list."""
    rows = [
        {
            "id": row["id"],
            "messages": [
                {**m, "content": m["content"] if isinstance(m["content"], str) else None}
                | ({"tool_calls": None} if "tool_calls" not in m else {})
                for m in row["messages"]
                if not isinstance(m.get("content"), list)
            ],
        }
        for row in OPENAI_ROWS
    ]
    for row in rows:  # arguments as strings, the way OpenAI writes them
        for message in row["messages"]:
            for call in message.get("tool_calls") or []:
                call["function"]["arguments"] = json.dumps(call["function"]["arguments"])
        row["tools"] = [{"type": "function", "function": {"name": "terminal", "description": "d"}}]
    table = pa.Table.from_pylist(rows)
    assert pa.types.is_struct(table.schema.field("messages").type.value_type)
    path = tmp_path / "chat.parquet"
    pq.write_table(table, path)
    db = tmp_path / "wh.duckdb"
    ingest(path, db)
    expected = [
        (row_index, position, message["role"], without_nulls(message))
        for row_index, row in enumerate(rows)
        for position, message in enumerate(row["messages"])
    ]
    assert [(r, i, role, json.loads(v)) for r, i, role, v, _ in landed(db)] == expected
    assert {fmt for *_, fmt in landed(db)} == {"openai"}
    assert (
        query(db, "select tools from raw.conversations")
        == [('[{"type": "function", "function": {"name": "terminal", "description": "d"}}]',)] * 2
    )


ANTHROPIC_ROWS = [
    {
        "system": [{"type": "text", "text": "You are terse."}],
        "messages": [
            {"role": "user", "content": "Read a.txt"},
            {
                "role": "assistant",
                "content": [
                    {"type": "redacted_thinking", "data": "c2VjcmV0"},
                    {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {"p": None}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "no such file"}],
                        "is_error": True,
                    }
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "It is missing."}]},
        ],
        "tools": [{"name": "read", "description": "Read", "input_schema": {"type": "object"}}],
    },
    {"system": None, "messages": [{"role": "user", "content": "hi"}]},
]


def test_anthropic_json_lines_land_with_the_system_prompt_first(tmp_path):
    db = tmp_path / "wh.duckdb"
    ingest(write_jsonl(tmp_path / "messages.jsonl", ANTHROPIC_ROWS), db)
    system = {"role": "system", "content": ANTHROPIC_ROWS[0]["system"]}
    expected = [
        (0, i, m["role"], without_nulls(m))
        for i, m in enumerate([system] + ANTHROPIC_ROWS[0]["messages"])
    ]
    expected.append((1, 0, "user", {"role": "user", "content": "hi"}))
    assert [(r, i, role, json.loads(v)) for r, i, role, v, _ in landed(db)] == expected
    assert query(db, "select trace_format, message_count from raw.conversations order by 1, 2") == [
        ("anthropic", 1),
        ("anthropic", 5),
    ]
    assert query(db, "select distinct value_format from raw.messages") == [("anthropic",)]


def test_anthropic_is_told_from_its_blocks_without_a_system_column(tmp_path):
    rows = [{"id": "a", "messages": ANTHROPIC_ROWS[0]["messages"]}]
    db = tmp_path / "wh.duckdb"
    ingest(write_jsonl(tmp_path / "blocks.jsonl", rows), db)
    assert query(db, "select trace_format from raw.conversations") == [("anthropic",)]
    parquet = tmp_path / "blocks.parquet"
    struct_rows = [{"id": "a", "messages": [ANTHROPIC_ROWS[0]["messages"][1]]}]
    pq.write_table(pa.Table.from_pylist(struct_rows), parquet)  # content: list of structs
    ingest(parquet, db, configs=["pq"])
    assert query(db, "select config, trace_format from raw.conversations order by 1") == [
        ("default", "anthropic"),
        ("pq", "anthropic"),
    ]
    (value,) = query(db, "select value from raw.messages where config = 'pq'")[0]
    assert json.loads(value) == without_nulls(struct_rows[0]["messages"][0])


def test_role_and_content_text_pairs_stay_text_with_their_roles(tmp_path):
    rows = [
        {
            "id": "a",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "<think>x</think>yo"},
            ],
        }
    ]
    db = tmp_path / "wh.duckdb"
    ingest(write_jsonl(tmp_path / "pairs.jsonl", rows), db)
    assert landed(db) == [
        (0, 0, "user", "hi", "text"),
        (0, 1, "assistant", "<think>x</think>yo", "text"),
    ]
    assert query(db, "select trace_format from raw.conversations") == [("hermes",)]
    assert "unknown_role" not in {row[3] for row in issues(db)}


def json_messages(rows: list[list[str]]) -> pa.Array:
    """A list<arrow.json> column, as `datasets` reads messages whose keys differ."""
    storage = pa.array(rows, pa.list_(pa.string()))
    items = pa.ExtensionArray.from_storage(pa.json_(), storage.values)
    return pa.ListArray.from_arrays(storage.offsets, items)


def test_a_lone_surrogate_escape_is_replaced_and_recorded(tmp_path):
    """JSON text may escape a lone surrogate (`\\ud800`), which no UTF-8 text can hold."""
    texts = ['{"role": "user", "content": "bad \\ud800 end"}', '{"role": "tool", "content": "ok"}']
    path = tmp_path / "surrogate.parquet"
    pq.write_table(pa.table({"id": ["a"], "messages": json_messages([texts])}), path)
    db = tmp_path / "wh.duckdb"
    ingest(path, db)
    assert [json.loads(row[3]) for row in landed(db)] == [
        {"role": "user", "content": "bad \ufffd end"},
        {"role": "tool", "content": "ok"},
    ]
    assert (0, 0, "value", "invalid_utf8") in {row[:4] for row in issues(db)}
    assert query(db, "select trace_format from raw.conversations") == [("openai",)]


def test_json_typed_messages_with_text_parts_only_are_openai(tmp_path):
    texts = ['{"role": "user", "content": [{"type": "text", "text": "hi"}]}']
    path = tmp_path / "parts.parquet"
    pq.write_table(pa.table({"id": ["a"], "messages": json_messages([texts])}), path)
    db = tmp_path / "wh.duckdb"
    ingest(path, db)
    assert query(db, "select trace_format from raw.conversations") == [("openai",)]
    assert landed(db)[0][3] == json.dumps(json.loads(texts[0]), ensure_ascii=False)


# --- ids derived from the content -------------------------------------------------------------


def test_rows_without_an_id_get_a_stable_id_derived_from_their_messages(tmp_path):
    conversations = [
        [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}],
        [{"from": "human", "value": "bye ✓"}],
        [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}],  # the same as row 0
    ]
    rows = [{"conversations": c, "task": "t"} for c in conversations]
    jsonl = write_jsonl(tmp_path / "no-ids.jsonl", rows)
    parquet = tmp_path / "no-ids.parquet"
    pq.write_table(pa.table({"conversations": pa.array(conversations, MESSAGE_TYPE)}), parquet)
    db = tmp_path / "wh.duckdb"
    ingest(jsonl, db, configs=["jsonl"])
    ingest(parquet, db, configs=["parquet"])
    expected = [
        "sha256:"
        + hashlib.sha256(
            json.dumps(
                [[m["from"], m["value"]] for m in c], ensure_ascii=False, separators=(",", ":")
            ).encode()
        ).hexdigest()[:32]
        for c in conversations
    ]
    for config in ("jsonl", "parquet"):
        ids = query(
            db,
            "select conversation_id, is_duplicate_id from raw.conversations where config = ? "
            "order by row_index",
            [config],
        )
        assert ids == [(expected[0], True), (expected[1], False), (expected[0], True)]
        message_ids = query(
            db, "select distinct conversation_id from raw.messages where config = ?", [config]
        )
        assert {row[0] for row in message_ids} == set(expected)
        recorded = query(
            db,
            "select row_index, field, issue, detail from raw.ingest_issues "
            "where config = ? and issue = 'derived_id'",
            [config],
        )
        assert [row[:3] for row in recorded] == [(None, "id", "derived_id")]
        assert recorded[0][3].startswith("3 rows have no id")
    before = query(db, "select conversation_id from raw.conversations order by all")
    ingest(jsonl, db, configs=["jsonl"])
    assert query(db, "select conversation_id from raw.conversations order by all") == before


def test_only_the_rows_with_a_null_id_get_one(tmp_path):
    rows = [
        {"id": "given", "conversations": [{"from": "human", "value": "a"}]},
        {"id": None, "conversations": [{"from": "human", "value": "b"}]},
    ]
    db = tmp_path / "wh.duckdb"
    ingest(write_hub_layout(tmp_path / "hub", {"kimi": hermes_table(rows)}), db)
    ids = [
        row[0]
        for row in query(db, "select conversation_id from raw.conversations order by row_index")
    ]
    assert ids[0] == "given" and ids[1].startswith("sha256:") and len(ids[1]) == 7 + 32
    assert ("id", "derived_id") in {row[2:4] for row in issues(db)}
    assert "missing_column" not in {row[3] for row in issues(db) if row[2] == "id"}


# --- refused shapes, and a warehouse of an older ingest -----------------------------------------


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([{"id": "a", "text": "x"}], "no 'conversations' or 'messages' column (columns: id, text)"),
        ([{"id": "a", "messages": ["hi", "yo"]}], "column 'messages' has type list<item: string>"),
        (
            [{"id": "a", "messages": [{"author": "me", "content": "x"}]}],
            "the messages of 'messages' have no 'role' (keys: author, content)",
        ),
        (
            [
                {
                    "id": "a",
                    "messages": [
                        {"role": "user", "content": "x"},
                        {"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]},
                        {"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]},
                    ],
                }
            ],
            "the messages mix OpenAI (key 'tool_calls') and Anthropic (block 'tool_use') keys",
        ),
    ],
)
def test_a_file_in_no_shape_fails_before_anything_is_written(tmp_path, rows, reason):
    db = tmp_path / "wh.duckdb"
    source = write_jsonl(tmp_path / "odd.jsonl", rows)
    result = tracehouse("ingest", str(source), "--db", str(db), check=False)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"{source} [default]: not a trace shape tracehouse reads: {reason}" in line
    assert "; accepted: hermes ('conversations'" in line or "accepted: hermes (" in line
    assert not db.exists()


OLD_DDL = (
    "create schema raw",
    "create table raw.conversations (source varchar not null, config varchar not null, "
    "split varchar not null, row_index bigint not null, conversation_id varchar, "
    "category varchar, subcategory varchar, task varchar, tools varchar, "
    "message_count integer not null, is_duplicate_id boolean not null, extra_columns varchar, "
    "load_id varchar not null, loaded_at timestamp not null)",
    "create table raw.messages (source varchar not null, config varchar not null, "
    "split varchar not null, row_index bigint not null, conversation_id varchar, "
    "message_index integer not null, role varchar, value varchar)",
    "insert into raw.conversations values ('old', 'kimi', 'train', 0, 'x', null, null, null, "
    "null, 1, false, null, 'l0', now())",
    "insert into raw.messages values ('old', 'kimi', 'train', 0, 'x', 0, 'human', 'hi')",
)


def test_a_warehouse_of_an_older_ingest_gains_the_format_columns(tmp_path):
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        for statement in OLD_DDL:
            con.execute(statement)
    ingest(write_jsonl(tmp_path / "chat.jsonl", OPENAI_ROWS), db)
    assert query(db, "select trace_format from raw.conversations where source = 'old'") == [
        ("hermes",)
    ]
    assert query(db, "select value_format, count(*) from raw.messages group by 1 order by 1") == [
        ("openai", 7),
        ("text", 1),
    ]
    assert query(
        db,
        "select table_name, column_name, is_nullable, column_default "
        "from information_schema.columns where column_name in ('trace_format', 'value_format') "
        "order by 1",
    ) == [("conversations", "trace_format", "NO", None), ("messages", "value_format", "NO", None)]
    assert query(db, "select extra_keys from raw.messages where source = 'old'") == [(None,)]
    assert table_columns(db) == table_columns(fresh_warehouse(tmp_path))


def table_columns(db: Path) -> list[tuple]:
    """Every raw table's columns in their order, with their type and nullability."""
    return query(
        db,
        "select table_name, column_index, column_name, data_type, is_nullable "
        "from duckdb_columns() where schema_name = 'raw' order by table_name, column_index",
    )


def fresh_warehouse(tmp_path: Path) -> Path:
    """A warehouse that this ingest created."""
    db = tmp_path / "fresh.duckdb"
    ingest(write_jsonl(tmp_path / "fresh.jsonl", OPENAI_ROWS), db)
    return db


def test_a_warehouse_without_extra_keys_gains_it_where_a_new_one_has_it(tmp_path):
    """The previous raw.messages (value_format, no extra_keys) is upgraded in place by the
    next ingest: its rows keep a null extra_keys, the new slice's message keys land in it,
    and the columns end in the order a new warehouse has."""
    previous = tuple(statement.replace(",\n        extra_keys varchar", "") for statement in DDL)
    assert previous != DDL
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        for statement in previous:
            con.execute(statement)
        con.execute(
            "insert into raw.messages values ('old', 'kimi', 'train', 0, 'x', 0, 'human', 'hi', "
            "'text')"
        )
    table = hermes_table([WEIGHTED_ROW], WEIGHTED_MESSAGE_TYPE)
    source = write_hub_layout(tmp_path / "hub", {"kimi": table})
    ingest(source, db)
    written = pq.read_table(source / "data" / "kimi" / "train.parquet").to_pylist()
    assert query(
        db,
        "select source, message_index, extra_keys from raw.messages "
        "order by source = 'old' desc, message_index",
    ) == [("old", 0, None)] + [
        (str(source), index, json.dumps({"weight": given["weight"]}))
        for index, given in enumerate(written[0]["conversations"])
    ]
    (column,) = [row for row in table_columns(db) if row[2] == "extra_keys"]
    assert column[3:] == ("VARCHAR", True)
    assert table_columns(db) == table_columns(fresh_warehouse(tmp_path))


def test_a_system_column_beside_openai_messages_lands_as_message_0(tmp_path):
    rows = [{"id": "a", "system": "Be brief.", "messages": OPENAI_ROWS[0]["messages"][1:]}]
    db = tmp_path / "wh.duckdb"
    ingest(write_jsonl(tmp_path / "chat.jsonl", rows), db)
    assert query(db, "select trace_format, extra_columns from raw.conversations") == [
        ("openai", None)
    ]
    first = landed(db)[0]
    assert first[1:3] == (0, "system") and first[4] == "openai"
    assert json.loads(first[3]) == {"role": "system", "content": "Be brief."}
    assert [json.loads(row[3]) for row in landed(db)[1:]] == [
        without_nulls(m) for m in rows[0]["messages"]
    ]


def test_a_hermes_variant_without_ids_keeps_its_other_columns(tmp_path):
    """interstellarninja/hermes_reasoning_tool_use: no id, `source` and `scenario_category`."""
    rows = [
        {
            "conversations": [
                {"from": "human", "value": "Weather in Paris?"},
                {
                    "from": "gpt",
                    "value": "<tool_call>\n{'arguments': {'city': 'Paris'}, 'name': 'weather'}\n"
                    "</tool_call>",
                },
            ],
            "tools": '[{"name": "weather"}]',
            "task": "weather",
            "category": "Tools",
            "source": "Glaive",
            "scenario_category": "single",
        }
    ]
    db = tmp_path / "wh.duckdb"
    ingest(write_jsonl(tmp_path / "variant.jsonl", rows), db)
    ((conversation_id, extra, trace_format),) = query(
        db, "select conversation_id, extra_columns, trace_format from raw.conversations"
    )
    assert conversation_id.startswith("sha256:") and trace_format == "hermes"
    assert json.loads(extra) == {"source": "Glaive", "scenario_category": "single"}
    assert [row[3] for row in landed(db)] == [m["value"] for m in rows[0]["conversations"]]


def openai_export(folder: Path) -> tuple[Path, list[dict], list[dict]]:
    """Two rows as `tracehouse export --openai` writes them, with their sidecar lines."""
    rows = [
        {
            "messages": [
                {"role": "user", "content": "List the files."},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "call_0",
                            "type": "function",
                            "function": {"name": "terminal", "arguments": '{"command": "ls"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_0", "content": "a.txt"},
                {"role": "assistant", "content": "One file."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "Hi."},
                {"role": "assistant", "content": "Hello."},
            ]
        },
    ]
    metas = [
        {
            "id": "row-a",
            "config": "kimi",
            "category": "Files",
            "messages": [
                {},
                {"reasoning_content": "I should list them."},
                {"name": "terminal"},
                {"reasoning_content": ""},
            ],
        },
        {"id": "row-b", "config": "kimi", "category": "Chat", "messages": [{}, {}]},
    ]
    data = write_jsonl(folder / "train.jsonl", rows)
    write_jsonl(folder / "train.meta.jsonl", metas)
    return data, rows, metas


def test_an_openai_export_is_read_with_its_sidecar(tmp_path):
    """The sidecar's ids and category land, and the reasoning and the tool name it keeps are
    in the landed messages, as the source had them."""
    data, _, metas = openai_export(tmp_path)
    db = tmp_path / "wh.duckdb"
    ingest(data, db)
    assert query(db, "select conversation_id, category from raw.conversations order by 1") == [
        (meta["id"], meta["category"]) for meta in metas
    ]
    (assistant,) = query(
        db,
        "select value from raw.messages where conversation_id = 'row-a' and message_index = 1",
    )
    assert json.loads(assistant[0])["reasoning_content"] == "I should list them."
    (tool,) = query(
        db,
        "select value from raw.messages where conversation_id = 'row-a' and message_index = 2",
    )
    assert json.loads(tool[0])["name"] == "terminal"
    assert query(db, "select distinct source from raw.conversations") == [(str(data.resolve()),)]


def test_a_sidecar_that_does_not_match_its_export_fails_naming_the_line(tmp_path):
    data, _, metas = openai_export(tmp_path)
    write_jsonl(tmp_path / "train.meta.jsonl", metas[:1])
    db = tmp_path / "wh.duckdb"
    result = tracehouse("ingest", str(data), "--db", str(db), check=False)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"{data.with_name('train.meta.jsonl')}, line 2: the export and its sidecar" in line
    assert not db.exists()


# --- rows past the 10 MB from which `datasets` reads the types ------------------------------


def late_change(rows: list[dict], row: int, change: str) -> None:
    """Make rows[row] differ from the others in one way that `datasets` types as JSON."""
    if change == "a message with keys the first rows lack":
        rows[row]["messages"] += [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "terminal", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "ok"},
        ]
    elif change == "a content that is a list of parts":
        rows[row]["messages"][0]["content"] = [{"type": "text", "text": "hello parts"}]
    elif change == "a field the first rows hold only as null":
        rows[row]["messages"][1]["tool_calls"] = [
            {"id": "t2", "type": "function", "function": {"name": "read_file", "arguments": "{}"}}
        ]
    else:
        rows[row]["category"] = "coding"


@pytest.mark.parametrize("row", [1, 5500], ids=["early", "past the first chunk"])
@pytest.mark.parametrize(
    "change",
    [
        "a message with keys the first rows lack",
        "a content that is a list of parts",
        "a field the first rows hold only as null",
        "a column the first rows lack",
    ],
)
def test_a_row_that_differs_lands_the_same_early_or_past_the_first_chunk(tmp_path, change, row):
    """Past its first 10 MB `datasets` cast such a row to the first rows' types: message
    content landed as quoted JSON text, and a new key, a value where the first rows had only
    nulls or a new column stopped the ingest. Contents that are strings spelling JSON stay
    strings whatever the others are."""
    padding = "x" * 2000
    rows = [
        {
            "id": f"c{index}",
            "messages": [
                {"role": "user", "content": f"{padding} {index}"},
                {
                    "role": "assistant",
                    "content": "yo",
                    "reasoning_content": "think",
                    "tool_calls": None,
                },
            ],
        }
        for index in range(6000)
    ]
    rows[2]["messages"][1]["content"] = '{"ok": true}'
    rows[3]["messages"][1]["content"] = "42"
    late_change(rows, row, change)
    source = write_jsonl(tmp_path / "rows.jsonl", rows)
    assert source.stat().st_size > 11_000_000
    db = tmp_path / "wh.duckdb"
    ingest(source, db)
    assert [(i, p, role, json.loads(value), fmt) for i, p, role, value, fmt in landed(db)] == [
        (index, position, message["role"], without_nulls(message), "openai")
        for index, item in enumerate(rows)
        for position, message in enumerate(item["messages"])
    ]
    categories = query(
        db, "select row_index, category from raw.conversations where category is not null"
    )
    assert categories == ([(row, "coding")] if change == "a column the first rows lack" else [])


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_blank_lines_between_structured_rows_are_skipped(shaped, tmp_path, name):
    """Where messages are read as JSON text, `datasets` parses every line of a chunk and a
    blank one stopped it; the rows land as they do without the blank lines."""
    source = shaped[name]["data"] / "data" / "kimi" / "train.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text("\n\n".join(lines) + "\n  \n\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    ingest(spaced, db)
    expected_of = {"openai": expected_openai, "anthropic": expected_anthropic}[name]
    rows = landed(db)
    assert [(r, i, role, json.loads(value)) for r, i, role, value, _ in rows] == expected_of(source)
    assert [value for *_, value, _ in rows] == [
        value for *_, value, _ in landed(shaped[name]["db"], "kimi")
    ]


def test_an_integer_beyond_int64_lands_as_pyarrow_reads_it(tmp_path):
    rows = [
        {
            "id": f"c{index}",
            "hash": 2**64 - 1 if index == 1 else index,
            "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
        }
        for index in range(3)
    ]
    db = tmp_path / "wh.duckdb"
    ingest(write_jsonl(tmp_path / "rows.jsonl", rows), db)
    extras = query(db, "select extra_columns from raw.conversations order by row_index")
    assert [json.loads(value)["hash"] for (value,) in extras] == [0.0, float(2**64 - 1), 2.0]
