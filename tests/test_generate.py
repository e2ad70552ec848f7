"""The synthetic dataset: hub layout, schema, determinism, quirks, and its ground truth.

The ground truth is checked against counts made here from the written Parquet files only:
simple tag counts first, then an independent reading of the rules in
dbt_project/models/_definitions.md (segments, pairing, failures, turn kinds, outcomes).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tracehouse.sample.dataset as generate
from tracehouse.sample.dataset import generate_dataset

CONFIGS = ("kimi", "glm-5.1")
COLUMNS = ["id", "conversations", "tools", "category", "subcategory", "task"]
EXPECTED_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("conversations", pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))),
        ("tools", pa.string()),
        ("category", pa.string()),
        ("subcategory", pa.string()),
        ("task", pa.string()),
    ]
)
ITERATION_MARK = "maximum number of tool-calling iterations"
TRACEBACK = "Traceback (most recent call last)"
SYSTEM_EXAMPLE = (
    "Example:\n<tool_call>\n{'name': <function-name>,'arguments': <args-dict>}\n</tool_call>"
)


# --- helpers --------------------------------------------------------------------------------


def read_rows(root: Path, config: str) -> list[dict[str, Any]]:
    return pq.read_table(root / "data" / config / "train.parquet").to_pylist()


def read_truth(root: Path) -> dict[str, Any]:
    return json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def gpt_values(rows: list[dict[str, Any]]) -> list[str]:
    return [m["value"] for row in rows for m in row["conversations"] if m["from"] == "gpt"]


def tool_values(rows: list[dict[str, Any]]) -> list[str]:
    return [m["value"] for row in rows for m in row["conversations"] if m["from"] == "tool"]


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory) -> Path:
    """Exactly at the quota threshold: every quirk must already be there."""
    out = tmp_path_factory.mktemp("generated30")
    generate_dataset(out, generate.QUOTA_MIN_CONVERSATIONS, seed=3)
    return out


# --- layout, schema, API --------------------------------------------------------------------


def test_hub_layout_loads_with_datasets(generated_dir: Path, tmp_path: Path) -> None:
    assert datasets.get_dataset_config_names(str(generated_dir)) == list(CONFIGS)
    readme = (generated_dir / "README.md").read_text(encoding="utf-8")
    assert "  - config_name: kimi\n    data_files:\n      - split: train\n" in readme
    assert "        path: data/glm-5.1/train.parquet\n" in readme
    for config in CONFIGS:
        dataset = datasets.load_dataset(
            str(generated_dir), config, split="train", cache_dir=str(tmp_path)
        )
        assert dataset.num_rows == 60
        assert dataset.column_names == COLUMNS
        assert dataset[0]["conversations"][0]["from"] == "system"


def test_schema_column_order_and_row_groups(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(generate, "ROW_GROUP_ROWS", 25)
    written: list[int] = []
    generate_dataset(tmp_path, 60, seed=5, configs=["kimi"], progress=written.append)
    metadata = pq.ParquetFile(tmp_path / "data" / "kimi" / "train.parquet").metadata
    assert pq.read_schema(tmp_path / "data" / "kimi" / "train.parquet").equals(EXPECTED_SCHEMA)
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [25, 25, 10]
    assert written == [25, 25, 10]


def test_same_arguments_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = generate_dataset(tmp_path / "a", 30, seed=7)
    generate_dataset(tmp_path / "b", 30, seed=7)
    generate_dataset(tmp_path / "c", 30, seed=8)
    a, b, c = (tree_bytes(tmp_path / name) for name in "abc")
    assert a == b
    assert set(a) == set(c)
    assert a["data/kimi/train.parquet"] != c["data/kimi/train.parquet"]
    assert a["data/glm-5.1/train.parquet"] != c["data/glm-5.1/train.parquet"]
    assert json.loads(a["ground_truth.json"]) == json.loads(json.dumps(first))


def test_configs_can_be_chosen_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    truth = generate_dataset(tmp_path / "glm", 3, configs=["glm-5.1"])
    assert list(truth["configs"]) == ["glm-5.1"]
    assert datasets.get_dataset_config_names(str(tmp_path / "glm")) == ["glm-5.1"]
    with pytest.raises(ValueError, match="'gpt-9'"):
        generate_dataset(tmp_path / "bad", 3, configs=["kimi", "gpt-9"])
    with pytest.raises(ValueError, match="duplicate_ids"):
        generate_dataset(tmp_path / "bad", 3, duplicate_ids=3)
    assert not (tmp_path / "bad" / "ground_truth.json").exists()


def test_ids_are_uuid4_with_the_requested_duplicates(generated_dir: Path) -> None:
    truth = read_truth(generated_dir)
    all_ids: list[str] = []
    for config in CONFIGS:
        ids = [row["id"] for row in read_rows(generated_dir, config)]
        assert all(uuid.UUID(value).version == 4 and len(value) == 36 for value in ids)
        assert len(ids) - len(set(ids)) == 2 == truth["configs"][config]["duplicate_ids"]
        all_ids += sorted(set(ids))
    assert len(all_ids) == len(set(all_ids)), "ids repeat across configs"


# --- content --------------------------------------------------------------------------------


def test_system_prompt_declares_exactly_the_tools_column(generated_dir: Path) -> None:
    for config in CONFIGS:
        for row in read_rows(generated_dir, config):
            system = row["conversations"][0]
            assert system["from"] == "system"
            inner = system["value"].split("<tools>\n", 1)[1].split("\n</tools>", 1)[0]
            assert inner == row["tools"]
            assert system["value"].endswith(SYSTEM_EXAMPLE)
            for tool in json.loads(row["tools"]):
                assert tool["type"] == "function"
                assert list(tool["function"]) == ["name", "description", "parameters"]


def test_messages_stay_within_the_cap_and_look_like_hermes(generated_dir: Path) -> None:
    for config in CONFIGS:
        rows = read_rows(generated_dir, config)
        sizes = [len(row["conversations"]) for row in rows]
        assert max(sizes) <= 54
        assert {m["from"] for row in rows for m in row["conversations"]} == {
            "system",
            "human",
            "gpt",
            "tool",
        }
        thinking = [v for v in gpt_values(rows) if v.startswith("<think>\n") and "\n</think>" in v]
        assert all(v.startswith(("<think>\n ", "<think>\n</think>")) for v in thinking)
        for value in thinking:
            after = value.split("\n</think>\n", 1)[1]
            assert after == "" or after.startswith(("<tool_call>", " ")), after[:40]
        for row in rows:
            assert 8 <= len(row["task"]) <= 100 or row["category"] == "Conversational"


def test_call_ids_follow_each_config_style(generated_dir: Path) -> None:
    kimi = "\n".join(tool_values(read_rows(generated_dir, "kimi")))
    assert re.search(r'"tool_call_id": "functions\.terminal:\d+"', kimi)
    assert '"tool_call_id": "call_' not in kimi
    glm = tool_values(read_rows(generated_dir, "glm-5.1"))
    assert re.search(r'"tool_call_id": "call_[0-9a-f]{24}"', "\n".join(glm))
    assert "functions." not in "\n".join(glm)


def test_kimi_ids_count_calls_across_the_conversation(generated_dir: Path) -> None:
    for row in read_rows(generated_dir, "kimi"):
        numbers = [
            int(n)
            for m in row["conversations"]
            if m["from"] == "tool"
            for n in re.findall(r'"tool_call_id": "functions\.[^"]*:(\d+)"', m["value"])
        ]
        calls = sum(m["value"].count("<tool_call>") for m in row["conversations"])
        assert len(set(numbers)) == len(numbers)
        assert set(numbers) <= set(range(calls))


# --- ground truth: simple counts ------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_ground_truth_agrees_with_simple_counts(generated_dir: Path, config: str) -> None:
    truth = read_truth(generated_dir)["configs"][config]
    rows = read_rows(generated_dir, config)
    messages = [m for row in rows for m in row["conversations"]]
    assert truth["conversations"] == len(rows) == 60
    assert truth["messages"] == len(messages)
    assert truth["messages_by_role"] == dict(Counter(m["from"] for m in messages)) | {
        role: truth["messages_by_role"][role]
        for role in ("system", "human", "gpt", "tool")
        if role not in {m["from"] for m in messages}
    }
    assert truth["message_chars"] == sum(len(m["value"]) for m in messages)
    assert truth["tool_calls"] == sum(v.count("<tool_call>") for v in gpt_values(rows))
    assert truth["tool_responses"] == sum(v.count("<tool_response>") for v in tool_values(rows))
    assert truth["categories"] == dict(sorted(Counter(row["category"] for row in rows).items()))
    answered = sum(
        1
        for row in rows
        if row["conversations"][-1]["from"] == "gpt"
        and "<tool_call>" not in row["conversations"][-1]["value"]
        and not any(ITERATION_MARK in m["value"] for m in row["conversations"])
    )
    outcomes = truth["outcome_counts"]
    assert outcomes["answered"] + outcomes["answered_after_unresolved_error"] == answered
    assert outcomes["empty"] == sum(
        1 for row in rows if all(m["from"] != "gpt" for m in row["conversations"])
    )
    per_row = truth["per_conversation"]
    assert [p["row_index"] for p in per_row] == list(range(60))
    assert [p["id"] for p in per_row] == [row["id"] for row in rows]
    assert [p["messages"] for p in per_row] == [len(row["conversations"]) for row in rows]
    assert [p["tool_calls"] for p in per_row] == [
        sum(m["value"].count("<tool_call>") for m in row["conversations"] if m["from"] == "gpt")
        for row in rows
    ]


def test_total_is_the_sum_of_the_configs(generated_dir: Path) -> None:
    truth = read_truth(generated_dir)
    total = truth["total"]
    for key in ("conversations", "messages", "tool_calls", "failed_tool_calls", "think_words"):
        assert total[key] == sum(truth["configs"][c][key] for c in CONFIGS)
    for key in ("outcome_counts", "failed_responses_by_kind", "messages_by_role"):
        for name, value in total[key].items():
            assert value == sum(truth["configs"][c][key][name] for c in CONFIGS)
    assert "per_conversation" not in total


# --- ground truth: an independent reading of the rules --------------------------------------

TAG = re.compile(r"<think>|</think>|<tool_call>|</tool_call>")


def segment_gpt(value: str) -> tuple[list[tuple[str, str]], list[tuple[str, bool]], str]:
    """(think blocks as (text, how), call bodies as (body, closed), visible text)."""
    thinks: list[tuple[str, str]] = []
    calls: list[tuple[str, bool]] = []
    text: list[str] = []
    pos = 0
    while pos < len(value):
        match = TAG.search(value, pos)
        if match is None:
            text.append(value[pos:])
            break
        tag, start = match.group(), match.end()
        if tag == "<think>":
            text.append(value[pos : match.start()])
            close = value.find("</think>", start)
            following = value.find("<tool_call>", start)
            if close != -1 and (following == -1 or close < following):
                thinks.append((value[start:close], "closed"))
                pos = close + len("</think>")
            else:
                end = following if following != -1 else len(value)
                thinks.append((value[start:end], "unclosed"))
                pos = end
        elif tag == "</think>":
            thinks.append((value[pos : match.start()], "unopened"))
            pos = start
        elif tag == "<tool_call>":
            text.append(value[pos : match.start()])
            following = value.find("<tool_call>", start)
            limit = following if following != -1 else len(value)
            close = value.rfind("</tool_call>", start, limit)
            if close == -1:
                calls.append((value[start:limit], False))
                pos = limit
            else:
                calls.append((value[start:close], True))
                pos = close + len("</tool_call>")
        else:
            text.append(value[pos : match.start()])
            pos = start
    return thinks, calls, "".join(text)


def read_call(body: str, closed: bool) -> tuple[str | None, bool, bool]:
    """(tool_name, is_valid_json, is_malformed) of one call body."""
    try:
        parsed = json.loads(body.strip())
    except json.JSONDecodeError:
        return None, False, True
    if isinstance(parsed, dict) and isinstance(parsed.get("name"), str):
        return parsed["name"], True, not closed
    return None, True, True


def read_response(block: str) -> tuple[str | None, str | None, str]:
    """(name, error_kind, legacy dump) of one response block, by the strict rules."""
    text = block.strip()
    try:
        parsed = json.loads(text)
        is_json = True
    except json.JSONDecodeError:
        parsed, is_json = text, False
    content = parsed.get("content") if isinstance(parsed, dict) else parsed
    name = parsed.get("name") if isinstance(parsed, dict) else None
    return name, error_kind(content, is_json), json.dumps(parsed).lower()


def error_kind(content: Any, is_json: bool) -> str | None:
    if isinstance(content, dict):
        code = content.get("exit_code")
        if isinstance(code, int | float) and not isinstance(code, bool) and code != 0:
            return "exit_code"
        if content.get("error") not in (None, ""):
            return "error_field"
        if content.get("success") is False:
            return "success_false"
        status = content.get("status")
        if isinstance(status, str) and status.lower() in ("error", "failed"):
            return "status_error"
        output = content.get("output")
        if isinstance(output, str) and TRACEBACK in output:
            return "traceback"
        return None
    if isinstance(content, str):
        if TRACEBACK in content:
            return "traceback"
        if content.lstrip().lower().startswith("error"):
            return "error_text"
    return None


def response_blocks(value: str) -> list[str]:
    return [part.rsplit("</tool_response>", 1)[0] for part in value.split("<tool_response>")[1:]]


def pair(calls: list[str | None], responses: list[str | None]) -> list[int | None]:
    result: list[int | None] = [None] * len(calls)
    taken: set[int] = set()
    for i, name in enumerate(calls):
        if name is None:
            continue
        k = sum(1 for other in calls[:i] if other == name)
        same = [j for j, other in enumerate(responses) if other == name]
        if k < len(same):
            result[i] = same[k]
            taken.add(same[k])
    free = [j for j in range(len(responses)) if j not in taken]
    for i, j in zip([i for i, r in enumerate(result) if r is None], free, strict=False):
        result[i] = j
    return result


def recount(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every ground-truth count, from the text alone."""
    c: Counter = Counter()
    for row in rows:
        declared = {tool["function"]["name"] for tool in json.loads(row["tools"])}
        messages = row["conversations"]
        failed_tools = {
            i
            for i, m in enumerate(messages)
            if m["from"] == "tool" and any(read_response(b)[1] for b in response_blocks(m["value"]))
        }
        for i, message in enumerate(messages):
            value = message["value"]
            if message["from"] == "tool":
                blocks = [read_response(b) for b in response_blocks(value)]
                c["tool_responses"] += len(blocks)
                for _, kind, _ in blocks:
                    c["failed_responses"] += kind is not None
                    c[f"kind:{kind}"] += kind is not None
                dump = blocks[0][2]
                c["legacy_errors"] += any(
                    s in dump for s in ("error", '"exit_code": 1', "traceback")
                )
            if message["from"] != "gpt":
                continue
            thinks, bodies, text = segment_gpt(value)
            calls = [read_call(body, closed) for body, closed in bodies]
            words = sum(len(t.split()) for t, _ in thinks)
            c["assistant_turns"] += 1
            c["think_blocks"] += len(thinks)
            c["empty_think_blocks"] += sum(1 for t, _ in thinks if not t.split())
            c["unclosed_think_turns"] += any(how == "unclosed" for _, how in thinks)
            c["unopened_think_turns"] += any(how == "unopened" for _, how in thinks)
            c["think_words"] += words
            c["assistant_turns_with_visible_text"] += bool(text.strip())
            kind = ("reasoning_" if words else "") + ("and_tool" if calls else "only")
            kind = {"and_tool": "tool_only", "only": "neither"}.get(kind, kind)
            c[f"turn:{kind}"] += 1
            before = messages[i - 1]["from"] if i else None
            if before == "tool":
                before = "tool_error" if i - 1 in failed_tools else "tool_ok"
            c[f"preceded:{before if before in ('human', 'tool_ok', 'tool_error') else 'none'}"] += 1
            if not calls:
                continue
            c["calling_turns"] += 1
            c["calling_turns_with_visible_text"] += bool(text.strip())
            c[f"width:{len(calls)}"] += 1
            c["parallel_turns"] += len(calls) >= 2
            for name, valid, malformed in calls:
                c["tool_calls"] += 1
                c["invalid_json_tool_calls"] += not valid
                c["malformed_tool_calls"] += malformed
                if not malformed:
                    c[f"name:{name}"] += 1
                    c["undeclared_tool_calls"] += name not in declared
            following = messages[i + 1] if i + 1 < len(messages) else None
            blocks = []
            if following is not None and following["from"] == "tool":
                blocks = [read_response(b) for b in response_blocks(following["value"])]
            names = [name if not malformed else None for name, _, malformed in calls]
            for j in pair(names, [b[0] for b in blocks]):
                c["no_response_tool_calls"] += j is None
                c["failed_tool_calls"] += j is not None and blocks[j][1] is not None
        c[f"outcome:{outcome_of(messages, failed_tools)}"] += 1
        c["conversations_with_failure"] += bool(failed_tools)
    return c


def outcome_of(messages: list[dict[str, str]], failed_tools: set[int]) -> str:
    if all(m["from"] != "gpt" for m in messages):
        return "empty"
    if any(m["from"] == "human" and ITERATION_MARK in m["value"] for m in messages):
        return "iteration_limit"
    last = messages[-1]
    if last["from"] != "gpt" or "<tool_call>" in last["value"]:
        return "cut_off"
    tools = [i for i, m in enumerate(messages) if m["from"] == "tool"]
    if tools and tools[-1] in failed_tools:
        return "answered_after_unresolved_error"
    return "answered"


def prefixed(counts: Counter, prefix: str) -> dict[str, int]:
    return {key[len(prefix) :]: n for key, n in counts.items() if key.startswith(prefix) and n}


@pytest.mark.parametrize("config", CONFIGS)
def test_ground_truth_follows_the_rules(generated_dir: Path, config: str) -> None:
    truth = read_truth(generated_dir)["configs"][config]
    counts = recount(read_rows(generated_dir, config))
    scalars = [
        "assistant_turns",
        "calling_turns",
        "tool_calls",
        "malformed_tool_calls",
        "invalid_json_tool_calls",
        "undeclared_tool_calls",
        "tool_responses",
        "failed_tool_calls",
        "no_response_tool_calls",
        "failed_responses",
        "legacy_errors",
        "parallel_turns",
        "think_blocks",
        "empty_think_blocks",
        "unclosed_think_turns",
        "unopened_think_turns",
        "think_words",
        "calling_turns_with_visible_text",
        "assistant_turns_with_visible_text",
        "conversations_with_failure",
    ]
    assert {key: truth[key] for key in scalars} == {key: counts[key] for key in scalars}
    assert truth["tool_calls_by_name"] == prefixed(counts, "name:")
    assert {k: v for k, v in truth["failed_responses_by_kind"].items() if v} == prefixed(
        counts, "kind:"
    )
    assert truth["parallel_width_counts"] == prefixed(counts, "width:")
    assert {k: v for k, v in truth["turn_kind_counts"].items() if v} == prefixed(counts, "turn:")
    assert {k: v for k, v in truth["preceded_by_counts"].items() if v} == prefixed(
        counts, "preceded:"
    )
    assert {k: v for k, v in truth["outcome_counts"].items() if v} == prefixed(counts, "outcome:")


def test_per_conversation_outcomes_follow_the_rules(generated_dir: Path) -> None:
    for config in CONFIGS:
        truth = read_truth(generated_dir)["configs"][config]["per_conversation"]
        for row, expected in zip(read_rows(generated_dir, config), truth, strict=True):
            messages = row["conversations"]
            failed = {
                i
                for i, m in enumerate(messages)
                if m["from"] == "tool"
                and any(read_response(b)[1] for b in response_blocks(m["value"]))
            }
            assert expected["outcome"] == outcome_of(messages, failed), row["id"]


# --- quirks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_every_quirk_is_present_from_30_conversations(small_dir: Path, config: str) -> None:
    truth = read_truth(small_dir)["configs"][config]
    rows = read_rows(small_dir, config)
    assert truth["conversations"] == 30
    for key in (
        "empty_think_blocks",
        "unclosed_think_turns",
        "unopened_think_turns",
        "invalid_json_tool_calls",
        "undeclared_tool_calls",
        "no_response_tool_calls",
        "calling_turns_with_visible_text",
    ):
        assert truth[key] >= 1, key
    assert truth["malformed_tool_calls"] > truth["invalid_json_tool_calls"]  # valid JSON ones too
    assert all(truth["failed_responses_by_kind"].values()), truth["failed_responses_by_kind"]
    assert all(truth["outcome_counts"].values()), truth["outcome_counts"]
    assert all(truth["turn_kind_counts"].values()), truth["turn_kind_counts"]
    assert all(truth["preceded_by_counts"].values()), truth["preceded_by_counts"]
    assert truth["parallel_turns"] >= 1

    gpt = [segment_gpt(v) for v in gpt_values(rows)]
    bodies = [body for _, calls, _ in gpt for body, _ in calls]
    assert any(not closed for _, calls, _ in gpt for _, closed in calls), "unclosed <tool_call>"
    assert any("</tool_call>" in body and read_call(body, True)[0] for body in bodies)
    assert any(
        calls and text.strip() and value.rstrip().endswith(text.strip())
        for (_, calls, text), value in zip(gpt, gpt_values(rows), strict=True)
    ), "text after the calls"
    names = {read_call(body, True)[0] for body in bodies}
    assert names & {" functions process", "ls", "writ", " functions_terminal"}
    assert any(isinstance(_json_or_none(body), list) for body in bodies), "call body not object"

    tools = tool_values(rows)
    several = [[read_response(b)[1] for b in response_blocks(v)] for v in tools]
    assert any(len(kinds) > 1 and sum(k is not None for k in kinds) == 1 for kinds in several)
    assert any("<script>alert(1)</script>" in v and "onerror=alert(1)" in v for v in tools)
    if config == "glm-5.1":
        blocks = [b.strip() for v in tools for b in response_blocks(v)]
        parsed = [_json_or_none(b) for b in blocks]
        pairs = zip(parsed, blocks, strict=True)
        assert any(p is None and b.lower().startswith("error") for p, b in pairs)
        assert any(isinstance(p, dict) and "tool_call_id" not in p for p in parsed)
        assert any(isinstance(p, dict) and isinstance(p.get("content"), str) for p in parsed)


def test_tiny_datasets_are_consistent(tmp_path: Path) -> None:
    truth = generate_dataset(tmp_path, 5, seed=1)
    assert truth["total"]["conversations"] == 10
    assert truth["total"]["messages"] == sum(
        p["messages"] for c in truth["configs"].values() for p in c["per_conversation"]
    )


def test_large_ground_truth_files_leave_out_the_rows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(generate, "PER_CONVERSATION_FILE_LIMIT", 4)
    truth = generate_dataset(tmp_path, 5, seed=1, configs=["kimi"])
    assert len(truth["configs"]["kimi"]["per_conversation"]) == 5
    on_disk = read_truth(tmp_path)["configs"]["kimi"]
    assert "per_conversation" not in on_disk
    assert on_disk == {k: v for k, v in truth["configs"]["kimi"].items() if k != "per_conversation"}


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text.strip())
    except json.JSONDecodeError:
        return None


# --- the same conversations in the OpenAI and Anthropic shapes ------------------------------
#
# Each shape is read back here by its own small reader into one plain form per conversation
# (system text, human texts, and per assistant turn its think blocks, visible words, calls
# and the results paired with them), with the Hermes text read by `segment_gpt` above. The
# three forms must be equal: the shapes hold the same conversations.

FORMATS = ("hermes", "openai", "anthropic")
SHAPES_SEED = 3


@pytest.fixture(scope="module")
def shaped_dirs(tmp_path_factory) -> dict[str, Path]:
    """The same 30 conversations per config (every quirk present) in each shape."""
    root = tmp_path_factory.mktemp("shapes")
    for name in FORMATS:
        generate_dataset(root / name, QUOTA, seed=SHAPES_SEED, duplicate_ids=1, trace_format=name)
    return {name: root / name for name in FORMATS}


QUOTA = generate.QUOTA_MIN_CONVERSATIONS


def read_lines(root: Path, config: str) -> list[dict[str, Any]]:
    path = root / "data" / config / "train.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def plain_call(name: Any, arguments: Any) -> tuple:
    """(name, arguments) of a well-formed call; ("malformed", is_valid_json) otherwise."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return ("malformed", False)
    if not isinstance(name, str) or not isinstance(arguments, dict):
        return ("malformed", True)
    return (name, arguments)


def plain_content(content: Any) -> Any:
    """A result's content as a value: JSON objects parsed, text kept."""
    if isinstance(content, str):
        parsed = _json_or_none(content)
        return parsed if isinstance(parsed, dict | list) else content
    return content


def plain_turn(thinks, text: str, calls: list[tuple]) -> dict[str, Any]:
    return {
        "thinks": [(think.strip("\n"), how) for think, how in thinks],
        "words": text.split(),
        "calls": calls,
    }


def hermes_plain(row: dict[str, Any]) -> dict[str, Any]:
    messages = row["conversations"]
    steps: list[Any] = []
    calls_of_turn: list[tuple] = []
    for message in messages[1:]:
        role, value = message["from"], message["value"]
        if role == "human":
            steps.append(("human", value))
        elif role == "gpt":
            thinks, bodies, text = segment_gpt(value)
            calls_of_turn = []
            for body, closed in bodies:
                parsed = _json_or_none(body)
                if parsed is None or not closed:
                    calls_of_turn.append(("malformed", parsed is not None))
                elif isinstance(parsed, dict):
                    calls_of_turn.append(plain_call(parsed.get("name"), parsed.get("arguments")))
                else:
                    calls_of_turn.append(("malformed", True))
            steps.append(("assistant", plain_turn(thinks, text, calls_of_turn)))
        else:
            blocks = [b.strip() for b in response_blocks(value)]
            parsed = [_json_or_none(b) for b in blocks]
            names = [p.get("name") if isinstance(p, dict) else None for p in parsed]
            call_names = [c[0] if c[0] != "malformed" else None for c in calls_of_turn]
            paired = pair(call_names, names)
            call_of = {j: i for i, j in enumerate(paired) if j is not None}
            results = []
            for j, (block, value_) in enumerate(zip(blocks, parsed, strict=True)):
                content = value_.get("content") if isinstance(value_, dict) else block
                results.append((call_of[j], plain_content(content)))
            steps.append(("results", results))
    return {"system": messages[0]["value"], "steps": steps}


def openai_plain(row: dict[str, Any]) -> dict[str, Any]:
    messages = row["messages"]
    steps: list[Any] = []
    ids: list[str] = []
    for message in messages[1:]:
        role = message["role"]
        if role == "user":
            steps.append(("human", message["content"]))
        elif role == "assistant":
            thinks, bodies, text = segment_gpt(message.get("content") or "")
            assert bodies == [], "calls are in tool_calls, not in the content"
            if message.get("reasoning_content") is not None:
                thinks = [("\n" + message["reasoning_content"] + "\n", "closed"), *thinks]
            calls = message.get("tool_calls") or []
            ids = [call["id"] for call in calls]
            plain = [
                plain_call(call["function"].get("name"), call["function"]["arguments"])
                for call in calls
            ]
            steps.append(("assistant", plain_turn(thinks, text, plain)))
        else:
            result = (ids.index(message["tool_call_id"]), plain_content(message["content"]))
            if steps[-1][0] == "results":
                steps[-1][1].append(result)
            else:
                steps.append(("results", [result]))
    return {"system": messages[0]["content"], "steps": steps}


def anthropic_plain(row: dict[str, Any]) -> dict[str, Any]:
    steps: list[Any] = []
    ids: list[str] = []
    for message in row["messages"]:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if message["role"] == "user" and blocks[0]["type"] == "tool_result":
            results = []
            for block in blocks:
                value = plain_content(block["content"])
                assert block["is_error"] == (error_kind(value, True) is not None)
                results.append((ids.index(block["tool_use_id"]), value))
            steps.append(("results", results))
        elif message["role"] == "user":
            steps.append(("human", content))
        else:
            text = "".join(b["text"] for b in blocks if b["type"] == "text")
            thinks, bodies, text = segment_gpt(text)
            assert bodies == []
            thinking = [
                ("\n" + b["thinking"] + "\n", "closed") for b in blocks if b["type"] == "thinking"
            ]
            uses = [b for b in blocks if b["type"] == "tool_use"]
            ids = [use["id"] for use in uses]
            calls = [plain_call(use.get("name"), use["input"]) for use in uses]
            steps.append(("assistant", plain_turn(thinking + thinks, text, calls)))
    return {"system": row["system"], "steps": steps}


@pytest.mark.parametrize("config", CONFIGS)
def test_every_shape_holds_the_same_conversations(shaped_dirs, config: str) -> None:
    hermes_rows = read_rows(shaped_dirs["hermes"], config)
    hermes = [hermes_plain(row) for row in hermes_rows]
    assert sum(len(c["steps"]) for c in hermes) > 10 * QUOTA
    for name, reader in (("openai", openai_plain), ("anthropic", anthropic_plain)):
        rows = read_lines(shaped_dirs[name], config)
        assert len(rows) == QUOTA
        for expected, row in zip(hermes, rows, strict=True):
            assert reader(row) == expected, (name, row["id"])
        for column in ("id", "category", "subcategory", "task"):
            assert [row[column] for row in rows] == [row[column] for row in hermes_rows]
    declared = [json.loads(row["tools"]) for row in hermes_rows]
    assert [row["tools"] for row in read_lines(shaped_dirs["openai"], config)] == declared
    assert [row["tools"] for row in read_lines(shaped_dirs["anthropic"], config)] == [
        [
            {
                "name": tool["function"]["name"],
                "description": tool["function"]["description"],
                "input_schema": tool["function"]["parameters"],
            }
            for tool in tools
        ]
        for tools in declared
    ]


def test_quirks_of_the_text_survive_where_the_shape_can_hold_them(shaped_dirs) -> None:
    for config in CONFIGS:
        openai = [m for row in read_lines(shaped_dirs["openai"], config) for m in row["messages"]]
        contents = [m["content"] for m in openai if m["role"] == "assistant" and m["content"]]
        assert any(c.startswith("<think>\n") and "</think>" not in c for c in contents)
        assert any("</think>" in c and "<think>" not in c for c in contents)
        assert any(m.get("reasoning_content") == "" for m in openai)
        functions = [c["function"] for m in openai for c in m.get("tool_calls") or []]
        assert any(_json_or_none(f["arguments"]) is None for f in functions), "invalid JSON"
        assert any(isinstance(_json_or_none(f["arguments"]), list) for f in functions)
        assert any("name" not in f for f in functions)
        assert any(m["role"] == "tool" and "name" not in m for m in openai) == (
            config == "glm-5.1"
        ), "a result that is not JSON has no name (glm's legacy results)"

        anthropic = [
            m for row in read_lines(shaped_dirs["anthropic"], config) for m in row["messages"]
        ]
        blocks = [b for m in anthropic if isinstance(m["content"], list) for b in m["content"]]
        uses = [b for b in blocks if b["type"] == "tool_use"]
        assert any(isinstance(use["input"], str) for use in uses)
        assert any(isinstance(use["input"], list) for use in uses)
        assert any("name" not in use for use in uses)
        assert any(b["type"] == "thinking" and b["thinking"] == "" for b in blocks)
        assert any(b["type"] == "tool_result" and b["is_error"] for b in blocks)
        assert any(
            isinstance(m["content"], list)
            and [b["type"] for b in m["content"]][-2:] == ["tool_use", "text"]
            for m in anthropic
        ), "text after the calls stays after them"


def test_every_shape_has_the_same_ground_truth_but_its_format_figures(shaped_dirs) -> None:
    truths = {name: read_truth(path) for name, path in shaped_dirs.items()}
    for name, truth in truths.items():
        assert truth["parameters"].pop("format") == name
        suffix = "parquet" if name == "hermes" else "jsonl"
        assert truth["parameters"].pop("files") == {
            config: f"data/{config}/train.{suffix}" for config in CONFIGS
        }
        for counts in (*truth["configs"].values(), truth["total"]):
            formats = counts.pop("formats")
            for shape, figures in formats.items():
                chars = figures.pop("message_chars", None)
                assert (chars is not None) == (shape in ("hermes", name)), (name, shape)
            counts["formats"] = formats
    assert truths["openai"] == truths["hermes"]
    assert truths["anthropic"] == truths["hermes"]


def test_format_figures_count_the_written_records(shaped_dirs) -> None:
    openai_roles = {"system": "system", "user": "human", "assistant": "gpt", "tool": "tool"}
    for config in CONFIGS:
        truth = read_truth(shaped_dirs["hermes"])["configs"][config]
        formats = truth["formats"]
        rows = read_lines(shaped_dirs["openai"], config)
        roles = Counter(openai_roles[m["role"]] for row in rows for m in row["messages"])
        assert formats["openai"]["messages"] == sum(len(row["messages"]) for row in rows)
        assert formats["openai"]["messages_by_role"] == dict(roles)
        assert [p["messages_by_format"]["openai"] for p in truth["per_conversation"]] == [
            len(row["messages"]) for row in rows
        ]
        rows = read_lines(shaped_dirs["anthropic"], config)
        roles = Counter(
            "tool"
            if isinstance(m["content"], list) and m["content"][0]["type"] == "tool_result"
            else {"user": "human", "assistant": "gpt"}[m["role"]]
            for row in rows
            for m in row["messages"]
        )
        roles["system"] = sum(row["system"] is not None for row in rows)
        assert formats["anthropic"]["messages_by_role"] == dict(roles)
        assert formats["anthropic"]["messages"] == sum(roles.values())
        assert formats["hermes"]["messages"] == truth["messages"]
        assert formats["hermes"]["messages_by_role"] == truth["messages_by_role"]
        assert formats["hermes"]["legacy_errors"] == formats["anthropic"]["legacy_errors"]
        assert formats["hermes"]["legacy_errors"] == truth["legacy_errors"]
        assert formats["openai"]["legacy_errors"] >= truth["legacy_errors"]


def test_structured_shapes_load_with_datasets_and_repeat_byte_for_byte(
    shaped_dirs, tmp_path: Path
) -> None:
    for name in ("openai", "anthropic"):
        assert datasets.get_dataset_config_names(str(shaped_dirs[name])) == list(CONFIGS)
        readme = (shaped_dirs[name] / "README.md").read_text(encoding="utf-8")
        assert "        path: data/kimi/train.jsonl\n" in readme
        dataset = datasets.load_dataset(
            str(shaped_dirs[name]), "kimi", split="train", cache_dir=str(tmp_path / "cache")
        )
        assert dataset.num_rows == QUOTA
        again = tmp_path / "again" / name
        generate_dataset(again, QUOTA, seed=SHAPES_SEED, duplicate_ids=1, trace_format=name)
        assert tree_bytes(again) == tree_bytes(shaped_dirs[name])


def test_the_hermes_shape_is_unchanged_by_the_format_option(shaped_dirs, tmp_path) -> None:
    generate_dataset(tmp_path, QUOTA, seed=SHAPES_SEED, duplicate_ids=1)
    assert tree_bytes(tmp_path) == tree_bytes(shaped_dirs["hermes"])
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        generate_dataset(tmp_path / "bad", 3, trace_format="xml")


def test_the_generate_command_writes_the_format_asked_for(tmp_path: Path) -> None:
    from tests.conftest import tracehouse

    out = tmp_path / "anthropic"
    result = tracehouse(
        "generate", str(out), "--conversations", "2", "--configs", "kimi", "--format", "anthropic"
    )
    assert json.loads(result.stdout) == {
        "out_dir": str(out),
        "configs": ["kimi"],
        "format": "anthropic",
    }
    assert sorted(p.name for p in (out / "data" / "kimi").iterdir()) == ["train.jsonl"]
    assert read_truth(out)["parameters"]["format"] == "anthropic"
    bad = tracehouse(
        "generate", str(tmp_path / "x"), "--conversations", "2", "--format", "xml", check=False
    )
    assert bad.returncode == 2
    assert "invalid choice: 'xml'" in bad.stderr and "Traceback" not in bad.stderr


def test_generate_refuses_a_folder_that_holds_anything(tmp_path: Path) -> None:
    """A second dataset over a first left the first one's files beside its own (a parquet
    beside the new JSON lines): the folder must be new or empty, and stays as it was."""
    from tests.conftest import tracehouse

    out = tmp_path / "data"
    tracehouse("generate", str(out), "--conversations", "2", "--configs", "kimi", "-q")
    before = sorted(str(path.relative_to(out)) for path in out.rglob("*"))
    again = tracehouse(
        "generate", str(out), "--conversations", "2", "--configs", "kimi", "--format", "openai",
        check=False,
    )  # fmt: skip
    assert again.returncode == 1
    assert f"{out} is not empty" in again.stderr and "Traceback" not in again.stderr
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*")) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    tracehouse("generate", str(empty), "--conversations", "2", "--configs", "kimi", "-q")
