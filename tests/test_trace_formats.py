"""Trace formats (issue 20), end to end: the same generated conversations in the Hermes,
OpenAI and Anthropic shapes build to equal marts, each equal to the generator's ground truth;
every `tracehouse export` of a built warehouse, ingested again, builds to the figures of its
source; and tools declared only in a system prompt's `<tools>` block count as declared.

Real `tracehouse generate`, `ingest`, `build` and `export` in child processes, real DuckDB
and dbt, generated data. Expected figures come from ground_truth.json, from the generated
files read here with `json` and pyarrow, or from another warehouse built from the same
conversations, never from the build under test alone.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.conftest import hermes_table, tracehouse, write_hub_layout

SHAPES = ("hermes", "openai", "anthropic")
CONFIGS = ("kimi", "glm-5.1")
CONVERSATIONS = 30  # per config
SEED = 17


# --- building -------------------------------------------------------------------------------


def ingest_and_build(source: Path, db: Path) -> Path:
    """`tracehouse ingest SOURCE` into a fresh warehouse, then `tracehouse build` (every model
    and data test)."""
    assert not db.exists()
    tracehouse("ingest", str(source), "--db", str(db), "-q")
    work = db.parent / f"{db.stem}-dbt"
    tracehouse(
        "build", "--db", str(db), "-q", "--",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    )  # fmt: skip
    return db


class Warehouses:
    """Each warehouse is generated, ingested and built once, when a test first asks for it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[str, dict[str, Any]] = {}

    def shape(self, shape: str) -> dict[str, Any]:
        if shape not in self.built:
            data = self.root / shape
            tracehouse(
                "generate", str(data), "--conversations", str(CONVERSATIONS),
                "--seed", str(SEED), "--format", shape, "-q",
            )  # fmt: skip
            truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
            db = ingest_and_build(data, self.root / f"{shape}.duckdb")
            self.built[shape] = {"data": data, "db": db, "truth": truth}
        return self.built[shape]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> Warehouses:
    return Warehouses(tmp_path_factory.mktemp("trace-formats"))


# --- what is compared -----------------------------------------------------------------------


def figures(db: Path, ids: list[str] | None = None) -> dict[str, Any]:
    """The compared figures, from the marts (and the declared tools), over every
    conversation or over those whose conversation_id is in `ids`."""

    def in_ids(column: str) -> str:
        return "true" if ids is None else f"list_contains($ids, {column})"

    where = in_ids("conversation_id")
    params = {} if ids is None else {"ids": ids}
    calls = f"from marts.fct_tool_calls where {where}"
    turns = f"from marts.fct_assistant_turns where {where}"
    conversations = f"from marts.fct_conversations where {where}"
    with duckdb.connect(str(db), read_only=True) as con:

        def number(sql: str) -> int:
            return int(con.execute(sql, params).fetchone()[0] or 0)

        def counts(sql: str) -> dict:
            return {key: int(n) for key, n in con.execute(sql, params).fetchall() if n}

        declared_rows = con.execute(
            "select conversations.conversation_key, declared.tool_index, declared.tool_name, "
            "declared.tool_description, cast(declared.tool_parameters as varchar) "
            "from marts.fct_conversations as conversations "
            "left join marts.tool_declaration_texts as declared "
            "on conversations.conversation_key = declared.conversation_key "
            f"where {in_ids('conversations.conversation_id')} order by 1, 2",
            params,
        ).fetchall()
        return {
            "conversations": number(f"select count(*) {conversations}"),
            "tool_calls": number(f"select count(*) {calls}"),
            "malformed_tool_calls": number(f"select count(*) {calls} and is_malformed"),
            "failed_tool_calls": number(f"select count(*) {calls} and status = 'error'"),
            "undeclared_tool_calls": number(
                f"select count(*) {calls} and not is_malformed and not is_declared_tool"
            ),
            "tool_calls_by_name": counts(
                f"select tool_name, count(*) {calls} and not is_malformed group by 1"
            ),
            "failed_tool_calls_by_name": counts(
                f"select tool_name, count(*) {calls} and not is_malformed "
                "and status = 'error' group by 1"
            ),
            "failed_malformed_tool_calls": number(
                f"select count(*) {calls} and is_malformed and status = 'error'"
            ),
            "think_words": number(f"select sum(think_words) {turns}"),
            "think_blocks": number(f"select sum(think_blocks) {turns}"),
            "outcome_counts": counts(f"select outcome, count(*) {conversations} group by 1"),
            "turn_kind_counts": counts(f"select turn_kind, count(*) {turns} group by 1"),
            "parallel_width_counts": counts(
                f"select cast(tool_calls as varchar), count(*) {turns} and tool_calls > 0 "
                "group by 1"
            ),
            "declared_tools": declared_tools(declared_rows),
        }


def canonical_json(text: str | None) -> str | None:
    return None if text is None else json.dumps(json.loads(text), sort_keys=True)


def declared_tools(rows: list[tuple]) -> Counter:
    """How many conversations declare each list of tools: (name, description, parameters)
    in declaration order, the parameters as canonical JSON."""
    lists: dict[str, list[tuple]] = {}
    for key, index, name, description, parameters in rows:
        tools = lists.setdefault(key, [])
        if index is not None:
            tools.append((name, description, canonical_json(parameters)))
    return Counter(tuple(tools) for tools in lists.values())


TRUTH_KEYS = (
    "conversations",
    "tool_calls",
    "malformed_tool_calls",
    "failed_tool_calls",
    "undeclared_tool_calls",
    "tool_calls_by_name",
    "think_words",
    "think_blocks",
    "outcome_counts",
    "turn_kind_counts",
    "parallel_width_counts",
)


def truth_figures(truth: dict[str, Any]) -> dict[str, Any]:
    """The ground truth's figures of TRUTH_KEYS, zero counts left out (marts have no row)."""
    total = truth["total"]
    return {
        key: {str(k): n for k, n in total[key].items() if n}
        if isinstance(total[key], dict)
        else total[key]
        for key in TRUTH_KEYS
    }


def hermes_tools(data: Path) -> dict[tuple[str, int], list[dict]]:
    """(config, row_index) -> the `tools` list of the generated Hermes files, read with json."""
    tools = {}
    for config in CONFIGS:
        table = pq.read_table(data / "data" / config / "train.parquet", columns=["tools"])
        for row_index, text in enumerate(table.column("tools").to_pylist()):
            tools[(config, row_index)] = json.loads(text)
    return tools


def declared_by_row(db: Path) -> dict[tuple[str, int], list[tuple]]:
    """(config, row_index) -> [(name, description, parameters, declared_in)] in order."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select conversations.config, conversations.row_index, declared.tool_name, "
            "declared.tool_description, cast(declared.tool_parameters as varchar), "
            "declared.declared_in "
            "from marts.tool_declaration_texts as declared "
            "inner join marts.fct_conversations as conversations "
            "on declared.conversation_key = conversations.conversation_key "
            "order by conversations.config, conversations.row_index, declared.tool_index"
        ).fetchall()
    found: dict[tuple[str, int], list[tuple]] = {}
    for config, row_index, name, description, parameters, declared_in in rows:
        found.setdefault((config, row_index), []).append(
            (name, description, canonical_json(parameters), declared_in)
        )
    return found


def expected_declarations(
    tools: dict[tuple[str, int], list[dict]], declared_in: str
) -> dict[tuple[str, int], list[tuple]]:
    return {
        key: [
            (
                tool["function"]["name"],
                tool["function"]["description"],
                json.dumps(tool["function"]["parameters"], sort_keys=True),
                declared_in,
            )
            for tool in declared
        ]
        for key, declared in tools.items()
    }


def mismatches(actual: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"marts": actual[key], "expected": expected[key]}
        for key in expected
        if actual[key] != expected[key]
    }


# --- a. the three shapes --------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_builds_to_the_generators_ground_truth(warehouses, shape):
    built = warehouses.shape(shape)
    truth = built["truth"]
    assert truth["parameters"]["seed"] == SEED
    found = figures(built["db"])
    wrong = mismatches(found, truth_figures(truth))
    assert not wrong, json.dumps(wrong, indent=1, sort_keys=True, default=str)
    # the sample holds what the comparison is about
    assert found["failed_tool_calls"] > 0 and found["malformed_tool_calls"] > 0
    assert len(found["parallel_width_counts"]) > 1 and found["undeclared_tool_calls"] > 0


@pytest.mark.parametrize("shape", SHAPES)
def test_each_conversation_of_each_shape_equals_its_ground_truth_row(warehouses, shape):
    built = warehouses.shape(shape)
    with duckdb.connect(str(built["db"]), read_only=True) as con:
        marts = {
            (config, row_index): rest
            for config, row_index, *rest in con.execute(
                "select config, row_index, conversation_id, trace_format, outcome, tool_calls, "
                "failed_tool_calls from marts.fct_conversations"
            ).fetchall()
        }
    expected = {
        (config, row["row_index"]): [
            row["id"],
            shape,
            row["outcome"],
            row["tool_calls"],
            row["failed_tool_calls"],
        ]
        for config in CONFIGS
        for row in built["truth"]["configs"][config]["per_conversation"]
    }
    wrong = {key: (marts.get(key), row) for key, row in expected.items() if marts.get(key) != row}
    assert len(marts) == len(expected) == len(CONFIGS) * CONVERSATIONS
    assert not wrong, list(wrong.items())[:5]


@pytest.mark.parametrize("shape", ["openai", "anthropic"])
def test_structured_shapes_build_to_the_marts_of_the_hermes_shape(warehouses, shape):
    """Beyond the ground truth: failed calls per tool and the declared tools, conversation
    by conversation through the counts, equal those of the same conversations as Hermes."""
    hermes = figures(warehouses.shape("hermes")["db"])
    found = figures(warehouses.shape(shape)["db"])
    wrong = mismatches(found, hermes)
    assert not wrong, json.dumps(wrong, indent=1, sort_keys=True, default=str)


@pytest.mark.parametrize("shape", SHAPES)
def test_declared_tools_are_the_generated_tools_lists_in_each_shape(warehouses, shape):
    """Anthropic's {name, description, input_schema} reads as OpenAI's function.* does."""
    built = warehouses.shape(shape)
    # the same conversations: the Hermes files' tools lists are every shape's
    tools = hermes_tools(warehouses.shape("hermes")["data"])
    assert declared_by_row(built["db"]) == expected_declarations(tools, "tools_column")
    with duckdb.connect(str(built["db"]), read_only=True) as con:
        types = con.execute("select distinct tool_type from intermediate.int_tools_declared")
        # OpenAI's shape says `function`; Anthropic's custom tools have no type
        assert types.fetchall() == ([(None,)] if shape == "anthropic" else [("function",)])
        declared = dict(
            con.execute(
                "select config || ':' || row_index, declared_tools from marts.fct_conversations"
            ).fetchall()
        )
    assert declared == {
        f"{config}:{row_index}": len({tool["function"]["name"] for tool in listed})
        for (config, row_index), listed in tools.items()
    }


# --- b. every export comes back -------------------------------------------------------------

KEEP_ALL = "--keep-without-assistant"
EXPORTS = {
    "messages": ["--format", "messages", KEEP_ALL],
    "messages-openai": ["--format", "messages", "--openai"],
    "sharegpt": ["--format", "sharegpt", KEEP_ALL],
    "sharegpt-tools-column": ["--format", "sharegpt", KEEP_ALL, "--tools", "column"],
}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def exports(warehouses) -> dict[str, dict[str, Any]]:
    """Each export of the Hermes-shaped warehouse, re-ingested and built into its own."""
    source = warehouses.shape("hermes")["db"]
    folder = warehouses.root / "exports"
    folder.mkdir()
    done = {}
    for name, options in EXPORTS.items():
        out = folder / f"{name}.jsonl"
        tracehouse("export", "--db", str(source), "--out", str(out), "-q", *options)
        sidecar = out.with_suffix(".meta.jsonl")
        rows = read_jsonl(out)
        ids = [row["id"] for row in read_jsonl(sidecar)] if sidecar.exists() else None
        ids = ids or [row["id"] for row in rows]
        done[name] = {
            "file": out,
            "rows": rows,
            "ids": ids,
            "db": ingest_and_build(out, folder / f"{name}.duckdb"),
        }
    return done


def test_the_exports_hold_every_conversation_once(warehouses, exports):
    """Ids are unique in the sample, so a subset of the source is told by its ids. Every
    export but --openai keeps every conversation (--keep-without-assistant); --openai leaves
    out only the ones its manifest counts as excluded."""
    with duckdb.connect(str(warehouses.shape("hermes")["db"]), read_only=True) as con:
        rows = con.execute("select conversation_id from raw.conversations").fetchall()
    source_ids = [conversation_id for (conversation_id,) in rows]
    assert len(set(source_ids)) == len(source_ids) == len(CONFIGS) * CONVERSATIONS
    for name, export in exports.items():
        assert len(set(export["ids"])) == len(export["ids"]), name
        manifest = json.loads(export["file"].with_suffix(".manifest.json").read_text())
        excluded = sum(manifest["counts"]["excluded_by_filter"].values())
        assert set(export["ids"]) <= set(source_ids), name
        assert len(export["ids"]) == len(source_ids) - excluded, name
        if name != "messages-openai":
            assert excluded == 0, name


@pytest.mark.parametrize("name", list(EXPORTS))
def test_an_export_ingested_again_builds_to_the_figures_of_its_source(warehouses, exports, name):
    export = exports[name]
    source = figures(warehouses.shape("hermes")["db"], export["ids"])
    found = figures(export["db"])
    wrong = mismatches(found, source)
    assert not wrong, json.dumps(wrong, indent=1, sort_keys=True, default=str)
    expected_format = "hermes" if name.startswith("sharegpt") else "openai"
    expected_in = "tools_column" if name.endswith("tools-column") else "system_prompt"
    with duckdb.connect(str(export["db"]), read_only=True) as con:
        assert con.execute(
            "select distinct trace_format from marts.fct_conversations"
        ).fetchall() == [(expected_format,)]
        assert con.execute(
            "select distinct declared_in from intermediate.int_tools_declared"
        ).fetchall() == [(expected_in,)]


@pytest.mark.parametrize("name", ["messages", "sharegpt"])
def test_an_export_keeps_each_conversations_figures_and_its_config(warehouses, exports, name):
    """Rows that carry their id come back conversation by conversation; the config the
    export wrote as a column is queryable in extra_columns through `tracehouse sql`."""
    export = exports[name]
    figures_sql = "outcome, tool_calls, failed_tool_calls, think_words, declared_tools"
    with duckdb.connect(str(warehouses.shape("hermes")["db"]), read_only=True) as con:
        source = {
            conversation_id: (config, *rest)
            for conversation_id, config, *rest in con.execute(
                f"select conversation_id, config, {figures_sql} from marts.fct_conversations"
            ).fetchall()
        }
    query = (
        "select conversation_id, extra_columns->>'config' as config, "
        f"{figures_sql} from fct_conversations"
    )
    printed = tracehouse("sql", "--db", str(export["db"]), "--format", "json", query).stdout
    rows = [json.loads(line) for line in printed.splitlines()]
    again = {row.pop("conversation_id"): tuple(row.values()) for row in rows}
    assert again == source


def test_prompt_response_is_not_a_trace_shape_and_is_refused_in_one_line(warehouses, tmp_path):
    """prompt-response writes one row per assistant turn (a ChatML prompt and a response),
    not a conversation: ingest refuses it before the warehouse is touched."""
    out = tmp_path / "pairs.jsonl"
    tracehouse(
        "export", "--db", str(warehouses.shape("hermes")["db"]), "--format", "prompt-response",
        "--out", str(out), "-q",
    )  # fmt: skip
    assert set(read_jsonl(out)[0]) == {
        "id",
        "config",
        "category",
        "message_index",
        "prompt",
        "response",
    }
    db = tmp_path / "pairs.duckdb"
    result = tracehouse("ingest", str(out), "--db", str(db), check=False)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "not a trace shape tracehouse reads: no 'conversations' or 'messages' column" in (
        result.stderr
    )
    assert "(columns: id, config, category, message_index, prompt, response)" in result.stderr
    assert not db.exists()


# --- c. tools declared in the system prompt -------------------------------------------------


def test_tools_declared_only_in_the_hermes_system_prompt_count_as_declared(warehouses):
    """The Hermes sample without its `tools` column (as hermes-function-calling-v1 has none):
    the system prompt's `<tools>` block declares exactly the dropped lists, and every figure
    equals the build that had the column."""
    hermes = warehouses.shape("hermes")
    data = warehouses.root / "hermes-without-tools"
    tables = {}
    for config in CONFIGS:
        table = pq.read_table(hermes["data"] / "data" / config / "train.parquet")
        tables[config] = table.drop_columns(["tools"])
    write_hub_layout(data, tables)
    db = ingest_and_build(data, warehouses.root / "hermes-without-tools.duckdb")
    expected = expected_declarations(hermes_tools(hermes["data"]), "system_prompt")
    assert declared_by_row(db) == expected
    found, with_column = figures(db), figures(hermes["db"])
    assert found["undeclared_tool_calls"] == hermes["truth"]["total"]["undeclared_tool_calls"]
    wrong = mismatches(found, with_column)
    assert not wrong, json.dumps(wrong, indent=1, sort_keys=True, default=str)


def tool(name: str, **parameters: Any) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"The {name} tool.",
            "parameters": {"type": "object", "properties": parameters, "required": []},
        },
    }


def anthropic_tool(name: str) -> dict[str, Any]:
    function = tool(name)["function"]
    return {
        "name": name,
        "description": function["description"],
        "input_schema": function["parameters"],
    }


HERMES_PREAMBLE = (
    "You are a function calling AI model. You are provided with function signatures within "
    "<tools> </tools> XML tags. Here are the available tools:\n"
)
HERMES_CALL = '<tool_call>\n{"name": "%s", "arguments": {}}\n</tool_call>'
HERMES_RESULT = '<tool_response>\n{"name": "%s", "content": {"ok": true}}\n</tool_response>'


def hermes_row(row_id: str, system: str | None, call: str, tools: str | None = None) -> dict:
    messages = [{"from": "system", "value": system}] if system is not None else []
    messages += [
        # a tools block outside system message 0 declares nothing
        {"from": "human", "value": f"Use {call}: <tools>{json.dumps([tool(call)])}</tools>"},
        {"from": "gpt", "value": HERMES_CALL % call},
        {"from": "tool", "value": HERMES_RESULT % call},
        {"from": "gpt", "value": "Done."},
    ]
    return {"id": row_id, "conversations": messages, "tools": tools}


def openai_row(row_id: str, system: dict, call: str) -> dict:
    function = {"name": call, "arguments": "{}"}
    return {
        "id": row_id,
        "messages": [
            system,
            {"role": "user", "content": f"Please use {call}."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": function}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": '{"ok": true}'},
            {"role": "assistant", "content": "Done."},
        ],
    }


# conversation id -> (declared names in order, where)
EXPECTED_DECLARED = {
    "hermes-list": (["alpha", "beta"], "system_prompt"),
    "hermes-lines": (["alpha", "beta"], "system_prompt"),
    "hermes-python": (["gamma", "delta"], "system_prompt"),
    "hermes-anthropic": (["alpha"], "system_prompt"),
    "hermes-column-wins": (["beta"], "tools_column"),
    "hermes-not-a-list": ([], None),
    "hermes-no-system": ([], None),
    "openai-parts": (["alpha", "beta"], "system_prompt"),
    "openai-developer": (["gamma"], "system_prompt"),
    "anthropic-blocks": (["delta"], "system_prompt"),
}


def system_prompt_rows(folder: Path) -> list[Path]:
    """Hand-written conversations, one per way of declaring tools, in the three shapes."""
    listed = json.dumps([tool("alpha", path={"type": "string"}), tool("beta")])
    python_literal = repr(
        [tool("gamma", force={"type": "boolean", "default": True}), tool("delta")]
    )
    hermes = [
        hermes_row("hermes-list", f"{HERMES_PREAMBLE}<tools>\n{listed}\n</tools>\nGo.", "alpha"),
        hermes_row(
            "hermes-lines",
            # one JSON object per line, as Qwen's chat templates write them
            "# Tools\n\n<tools>\n"
            + "\n".join(json.dumps(t) for t in json.loads(listed))
            + "\n</tools>",
            "beta",
        ),
        hermes_row(
            "hermes-python", f"{HERMES_PREAMBLE}<tools>\n{python_literal}\n</tools>", "gamma"
        ),
        hermes_row(
            "hermes-anthropic", f"<tools>{json.dumps([anthropic_tool('alpha')])}</tools>", "alpha"
        ),
        hermes_row(
            "hermes-column-wins",
            f"<tools>\n{listed}\n</tools>",
            "alpha",
            tools=json.dumps([tool("beta")]),
        ),
        hermes_row("hermes-not-a-list", "<tools>\nterminal, read_file\n</tools>", "alpha"),
        hermes_row("hermes-no-system", None, "alpha"),
    ]
    split_at = listed.index('"beta"')
    parts = [
        {"type": "text", "text": f"{HERMES_PREAMBLE}<tools>\n{listed[:split_at]}"},
        {"type": "text", "text": f"{listed[split_at:]}\n</tools>"},
    ]
    gamma = f"<tools>\n{json.dumps([tool('gamma')])}\n</tools>"
    openai = [
        openai_row("openai-parts", {"role": "system", "content": parts}, "alpha"),
        openai_row("openai-developer", {"role": "developer", "content": gamma}, "gamma"),
    ]
    anthropic = [
        {
            "id": "anthropic-blocks",
            "system": [
                {"type": "text", "text": HERMES_PREAMBLE},
                {"type": "text", "text": f"<tools>\n{json.dumps([tool('delta')])}\n</tools>"},
            ],
            "messages": [
                {"role": "user", "content": "Please use delta."},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "t1", "name": "delta", "input": {}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": '{"ok": true}'},
                ]},
                {"role": "assistant", "content": "Done."},
            ],
        }
    ]  # fmt: skip
    folder.mkdir()
    write_hub_layout(folder / "hermes", {"prompts": hermes_table(hermes)})
    for name, rows in (("openai", openai), ("anthropic", anthropic)):
        path = folder / f"{name}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return [folder / "hermes", folder / "openai.jsonl", folder / "anthropic.jsonl"]


@pytest.fixture(scope="module")
def prompts_warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("system-prompts")
    db = root / "prompts.duckdb"
    for source in system_prompt_rows(root / "data"):
        tracehouse("ingest", str(source), "--db", str(db), "-q")
    tracehouse(
        "build", "--db", str(db), "-q", "--",
        "--target-path", str(root / "target"), "--log-path", str(root / "logs"),
    )  # fmt: skip
    return db


def test_each_way_of_declaring_tools_in_a_system_prompt_is_read(prompts_warehouse):
    """A JSON list (after a literal `<tools> </tools>` mention), JSON objects one per line,
    a Python literal, Anthropic's shape, text blocks (a block split between two of them),
    an OpenAI developer message; the tools column wins over the prompt; a block that is not
    a list, or a block outside system message 0, declares nothing."""
    with duckdb.connect(str(prompts_warehouse), read_only=True) as con:
        rows = con.execute(
            "select conversations.conversation_id, declared.tool_name, declared.declared_in "
            "from marts.fct_conversations as conversations "
            "left join intermediate.int_tools_declared as declared "
            "on conversations.conversation_key = declared.conversation_key "
            "order by conversations.conversation_id, declared.tool_index"
        ).fetchall()
    found: dict[str, tuple[list[str], str | None]] = {}
    for conversation_id, name, declared_in in rows:
        names, _ = found.get(conversation_id, ([], None))
        found[conversation_id] = (names + [name] if name else names, declared_in)
    assert found == EXPECTED_DECLARED


def test_a_declarations_text_is_cut_from_where_it_was_declared(prompts_warehouse):
    """marts.tool_declaration_texts reads each declaration's description and parameters from
    its list when queried, on a connection without tracehouse's functions (as the stock
    DuckDB shell): null for a list written as a Python literal, which needs one."""
    with duckdb.connect(str(prompts_warehouse), read_only=True) as con:
        rows = con.execute(
            "select conversation_id, tool_name, tool_description, "
            "cast(tool_parameters as varchar) "
            "from marts.tool_declaration_texts order by conversation_id, tool_index"
        ).fetchall()
    found = {
        (conversation_id, name): (description, parameters and json.loads(parameters))
        for conversation_id, name, description, parameters in rows
    }
    expected = {}
    for conversation_id, (names, _) in EXPECTED_DECLARED.items():
        for name in names:
            function = tool(name)["function"]
            if name == "alpha" and conversation_id != "hermes-anthropic":
                function = tool(name, path={"type": "string"})["function"]
            expected[(conversation_id, name)] = (function["description"], function["parameters"])
    expected.update({("hermes-python", name): (None, None) for name in ("gamma", "delta")})
    assert found == expected


def test_calls_to_tools_declared_in_a_system_prompt_are_not_undeclared(prompts_warehouse):
    with duckdb.connect(str(prompts_warehouse), read_only=True) as con:
        found = dict(
            con.execute(
                "select conversation_id, undeclared_tool_calls from marts.fct_conversations"
            ).fetchall()
        )
    undeclared = {"hermes-column-wins", "hermes-not-a-list", "hermes-no-system"}
    assert found == {key: int(key in undeclared) for key in EXPECTED_DECLARED}
