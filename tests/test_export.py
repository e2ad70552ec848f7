"""Export: every format from a warehouse built on generated data, the lossless round trip,
the filters, the manifest and the errors a user can cause."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import tracehouse
from tracehouse.errors import UserError
from tracehouse.export import ExportOptions, export, messages_to_sharegpt, openai_to_messages


@pytest.fixture(scope="module")
def warehouse(built_warehouse) -> Path:
    """The session's built warehouse (generated sample); export reads it read-only."""
    return built_warehouse["db"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def original_conversations(db: Path) -> dict[str, list[dict]]:
    """conversation_id -> ShareGPT messages, straight from the raw layer (byte-exact); ids
    that two rows share are left out."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select conversation_id, role, value from raw.messages "
            "order by source, config, split, row_index, message_index"
        ).fetchall()
        duplicated = {
            row[0]
            for row in con.execute(
                "select conversation_id from raw.conversations group by 1 having count(*) > 1"
            ).fetchall()
        }
    finally:
        con.close()
    conversations: dict[str, list[dict]] = {}
    for conversation_id, role, value in rows:
        if conversation_id in duplicated:
            continue
        conversations.setdefault(conversation_id, []).append({"from": role, "value": value})
    return conversations


def with_assistant_turn(conversations: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The conversations the export keeps by default: those with an assistant turn."""
    return {
        key: messages
        for key, messages in conversations.items()
        if any(message["from"] == "gpt" for message in messages)
    }


@pytest.fixture(scope="module")
def truth(generated_dir) -> dict:
    return json.loads((generated_dir / "ground_truth.json").read_text())["total"]


@pytest.fixture(scope="module")
def messages_export(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("messages") / "messages.jsonl"
    return export(warehouse, ExportOptions(format="messages", out=out))


@pytest.mark.parametrize("openai", [False, True])
def test_messages_convert_back_to_the_original_sharegpt_byte_exact(warehouse, tmp_path, openai):
    result = export(
        warehouse, ExportOptions(format="messages", out=tmp_path / "m.jsonl", openai=openai)
    )
    originals = with_assistant_turn(original_conversations(warehouse))
    rows = read_jsonl(result.files["all"])
    metas = read_jsonl(result.sidecars["all"]) if openai else [None] * len(rows)
    assert len(metas) == len(rows)
    exported = set()
    for row, meta in zip(rows, metas, strict=True):
        row_id = meta["id"] if openai else row["id"]
        exported.add(row_id)
        if row_id not in originals:
            continue
        messages = openai_to_messages(row["messages"], meta) if openai else row["messages"]
        assert messages_to_sharegpt(messages) == originals[row_id], row_id
    counts = result.manifest["counts"]
    excluded = counts["excluded_by_filter"]
    # every conversation with an assistant turn is written, but for those the OpenAI format
    # leaves out (a tool result that could name no call: tests/test_export_openai.py)
    left_out = excluded.get("not_openai_representable", 0)
    assert len(originals.keys() & exported) > 80
    assert len(originals.keys() - exported) <= left_out
    assert counts["rows_written"] == (
        counts["conversations_in_warehouse"] - excluded["no_assistant_turn"] - left_out
    )
    # the generator's quirks are there, and they are counted rather than dropped
    assert counts["malformed_tool_calls_written"] > 0 or openai
    assert counts["non_representable_messages_written"] > 0 or openai


def test_messages_structure_calls_reasoning_and_tool_results(messages_export):
    rows = read_jsonl(messages_export.files["all"])
    roles = {m["role"] for row in rows for m in row["messages"]}
    assert roles == {"system", "user", "assistant", "tool"}
    calls = [call for row in rows for m in row["messages"] for call in m.get("tool_calls", [])]
    assert calls and all(call["type"] == "function" for call in calls)
    assert all(isinstance(call["function"]["arguments"], dict) for call in calls)
    assert any("reasoning_content" in m for row in rows for m in row["messages"])
    tools = [m for row in rows for m in row["messages"] if m["role"] == "tool" and "name" in m]
    assert tools and all(isinstance(m["content"], str) for m in tools)
    # responses without tool_call_id stay without one
    assert any("tool_call_id" not in m for m in tools)
    assert any("tool_call_id" in m for m in tools)
    # the tool list lives in the system prompt only, by default: every trainer renders it once
    assert all("tools" not in row for row in rows)


def test_tools_column_is_a_list_in_messages_and_the_source_string_in_sharegpt(warehouse, tmp_path):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        source_tools = {
            (config, conversation_id): tools
            for config, conversation_id, tools in con.execute(
                "select config, conversation_id, tools from raw.conversations "
                "where not is_duplicate_id"
            ).fetchall()
        }
    finally:
        con.close()
    messages = read_jsonl(
        export(
            warehouse, ExportOptions(format="messages", out=tmp_path / "m.jsonl", tools="column")
        ).files["all"]
    )
    sharegpt = read_jsonl(
        export(
            warehouse, ExportOptions(format="sharegpt", out=tmp_path / "s.jsonl", tools="column")
        ).files["all"]
    )
    assert messages and sharegpt
    checked = 0
    for row in messages:
        if (row["config"], row["id"]) in source_tools:
            assert row["tools"] == json.loads(source_tools[row["config"], row["id"]])
            checked += 1
    for row in sharegpt:
        assert isinstance(row["tools"], str)
        if (row["config"], row["id"]) in source_tools:
            assert row["tools"] == source_tools[row["config"], row["id"]]
            checked += 1
    assert checked > 200


def test_literal_closing_tag_inside_a_json_argument_survives(messages_export):
    rows = read_jsonl(messages_export.files["all"])
    arguments = [
        json.dumps(call["function"]["arguments"])
        for row in rows
        for m in row["messages"]
        for call in m.get("tool_calls", [])
    ]
    assert any("</tool_call>" in text for text in arguments)


def test_openai_variant_has_arguments_as_json_strings(warehouse, tmp_path):
    result = export(
        warehouse, ExportOptions(format="messages", out=tmp_path / "o.jsonl", openai=True)
    )
    assert result.sidecars["all"] == tmp_path / "o.meta.jsonl"
    calls = [
        call
        for row in read_jsonl(result.files["all"])
        for m in row["messages"]
        for call in m.get("tool_calls", [])
    ]
    assert calls and all(isinstance(call["function"]["arguments"], str) for call in calls)
    assert all(isinstance(json.loads(call["function"]["arguments"]), dict) for call in calls)


def test_messages_output_loads_with_datasets_and_still_converts_back(warehouse, messages_export):
    from datasets import load_dataset

    dataset = load_dataset("json", data_files=str(messages_export.files["all"]), split="train")
    assert dataset.num_rows == messages_export.manifest["counts"]["rows_written"]
    originals = with_assistant_turn(original_conversations(warehouse))
    checked = 0
    for row in dataset:
        if row["id"] in originals:
            assert messages_to_sharegpt(row["messages"]) == originals[row["id"]]
            checked += 1
    assert checked == len(originals)


def test_sharegpt_is_the_original_conversations(warehouse, tmp_path):
    result = export(warehouse, ExportOptions(format="sharegpt", out=tmp_path / "s.jsonl"))
    originals = original_conversations(warehouse)
    rows = read_jsonl(result.files["all"])
    counts = result.manifest["counts"]
    assert len(rows) == (
        counts["conversations_in_warehouse"] - counts["excluded_by_filter"]["no_assistant_turn"]
    )
    checked = 0
    for row in rows:
        if row["id"] in originals:
            assert row["conversations"] == originals[row["id"]]
            checked += 1
    assert checked == len(with_assistant_turn(originals))


@pytest.mark.parametrize("export_format", ["messages", "sharegpt"])
def test_conversations_without_an_assistant_turn_are_left_out_and_counted(
    warehouse, tmp_path, truth, export_format
):
    default = export(warehouse, ExportOptions(format=export_format, out=tmp_path / "d.jsonl"))
    kept = export(
        warehouse,
        ExportOptions(format=export_format, out=tmp_path / "k.jsonl", keep_without_assistant=True),
    )
    # the generator's "empty" conversations are exactly the ones without an assistant turn
    empty = truth["outcome_counts"]["empty"]
    assert empty > 0
    # messages also leaves out conversations with a role it has no place for: none here
    unknown_role = {"unknown_role": 0} if export_format == "messages" else {}
    assert default.manifest["counts"]["excluded_by_filter"] == {
        "no_assistant_turn": empty,
        **unknown_role,
    }
    assert kept.manifest["counts"]["excluded_by_filter"] == unknown_role
    assert kept.manifest["counts"]["rows_written"] == truth["conversations"]
    assert default.manifest["counts"]["rows_written"] == truth["conversations"] - empty
    key = "messages" if export_format == "messages" else "conversations"
    role = "assistant" if export_format == "messages" else "gpt"
    roles = "role" if export_format == "messages" else "from"

    def without_assistant(path: Path) -> int:
        return sum(not any(m[roles] == role for m in row[key]) for row in read_jsonl(path))

    assert without_assistant(default.files["all"]) == 0
    assert without_assistant(kept.files["all"]) == empty


def test_prompt_response_one_row_per_assistant_turn_with_tags_intact(warehouse, tmp_path):
    result = export(warehouse, ExportOptions(format="prompt-response", out=tmp_path / "p.jsonl"))
    rows = read_jsonl(result.files["all"])
    assert len(rows) == result.manifest["counts"]["assistant_turns_in_warehouse"]
    assert all(row["prompt"].endswith("<|im_start|>assistant\n") for row in rows)
    assert sum("<tool_call>\n" in row["response"] for row in rows) > 0
    assert sum(row["response"].startswith("<think>\n") for row in rows) > len(rows) / 2
    special = export(
        warehouse,
        ExportOptions(format="prompt-response", out=tmp_path / "q.jsonl", special_tokens=True),
    )
    marked = read_jsonl(special.files["all"])
    markers = (
        "<|reasoning_start|>",
        "<|reasoning_end|>",
        "<|tool_call_start|>",
        "<|tool_call_end|>",
    )
    assert any("<|reasoning_start|><think>" in row["response"] for row in marked)
    for plain, with_tokens in zip(rows, marked, strict=True):
        stripped = with_tokens["response"]
        for marker in markers:
            stripped = stripped.replace(marker, "")
        assert stripped == plain["response"]


def test_weights_zero_exactly_on_turns_with_a_failed_or_malformed_call(warehouse, tmp_path):
    result = export(
        warehouse, ExportOptions(format="messages", out=tmp_path / "w.jsonl", weights=True)
    )
    assistant = [
        m
        for row in read_jsonl(result.files["all"])
        for m in row["messages"]
        if m["role"] == "assistant"
    ]
    assert {m["weight"] for m in assistant} == {0, 1}
    con = duckdb.connect(str(warehouse), read_only=True)
    zero = con.execute(
        "select count(distinct (conversation_key, message_index)) from marts.fct_tool_calls "
        "where status = 'error' or is_malformed"
    ).fetchone()[0]
    con.close()
    assert sum(m["weight"] == 0 for m in assistant) == zero
    # the weight is added to the assistant messages and nothing else changes
    plain = read_jsonl(
        export(warehouse, ExportOptions(format="messages", out=tmp_path / "p.jsonl")).files["all"]
    )
    weighted = read_jsonl(result.files["all"])
    for row in weighted:
        for message in row["messages"]:
            message.pop("weight", None)
    assert weighted == plain
    rows = read_jsonl(
        export(
            warehouse,
            ExportOptions(format="prompt-response", out=tmp_path / "pw.jsonl", weights=True),
        ).files["all"]
    )
    assert sum(row["weight"] == 0 for row in rows) == zero


def test_filters_and_manifest_counts(warehouse, tmp_path):
    out = tmp_path / "f.jsonl"
    result = export(
        warehouse,
        ExportOptions(
            format="messages",
            out=out,
            configs=("kimi",),
            exclude_failed_conversations=True,
            exclude_malformed=True,
            min_tool_calls=1,
        ),
    )
    rows = read_jsonl(out)
    assert rows and {row["config"] for row in rows} == {"kimi"}
    assert all(
        not any(m["role"] == "assistant" and "<tool_call>" in m["content"] for m in row["messages"])
        for row in rows
    )
    manifest = json.loads((tmp_path / "f.manifest.json").read_text())
    assert manifest == result.manifest
    assert manifest["files"]["all"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["counts"]["rows_written"] == len(rows)
    assert manifest["counts"]["non_representable_messages_written"] == 0
    excluded = manifest["counts"]["excluded_by_filter"]
    assert list(excluded) == [
        "config",
        "no_assistant_turn",
        "exclude_failed_conversations",
        "exclude_malformed",
        "min_tool_calls",
        "unknown_role",
    ]
    assert excluded["config"] > 0 and excluded["exclude_failed_conversations"] > 0
    # each filter counts what the ones before it kept: together they account for every
    # conversation not written
    assert sum(excluded.values()) + len(rows) == manifest["counts"]["conversations_in_warehouse"]
    assert {entry["config"] for entry in manifest["source_configs"]} == {"kimi", "glm-5.1"}


def test_max_chars_bounds_every_example(warehouse, tmp_path):
    result = export(
        warehouse,
        ExportOptions(format="prompt-response", out=tmp_path / "c.jsonl", max_chars=20_000),
    )
    rows = read_jsonl(result.files["all"])
    assert rows and all(len(r["prompt"]) + len(r["response"]) <= 20_000 for r in rows)
    # the manifest counts by length without rendering prompts; count from the rendered text
    everything = read_jsonl(
        export(warehouse, ExportOptions(format="prompt-response", out=tmp_path / "a.jsonl")).files[
            "all"
        ]
    )
    longer = sum(len(r["prompt"]) + len(r["response"]) > 20_000 for r in everything)
    assert longer > 0
    assert result.manifest["counts"]["excluded_by_filter"]["max_chars"] == longer
    assert result.manifest["counts"]["rows_written"] == len(rows) == len(everything) - longer


def test_validation_split_is_stable_and_grouped_by_conversation_id(warehouse, tmp_path):
    out = tmp_path / "split.jsonl"
    result = export(warehouse, ExportOptions(format="prompt-response", out=out, val_fraction=0.25))
    train = read_jsonl(tmp_path / "split.train.jsonl")
    validation = read_jsonl(tmp_path / "split.validation.jsonl")
    assert train and validation
    assert not {r["id"] for r in train} & {r["id"] for r in validation}
    for row in validation:
        assert int(hashlib.md5(row["id"].encode()).hexdigest()[:8], 16) / 2**32 < 0.25
    counts = result.manifest["counts"]
    assert counts["rows_train"] == len(train) and counts["rows_validation"] == len(validation)
    again = export(warehouse, ExportOptions(format="prompt-response", out=out, val_fraction=0.25))
    assert again.manifest["files"] == result.manifest["files"]


def test_filters_matching_nothing_write_an_empty_file_and_warn(warehouse, tmp_path):
    result = tracehouse(
        "export",
        "--format",
        "sharegpt",
        "--out",
        str(tmp_path / "e.jsonl"),
        "--category",
        "no such category",
        "--db",
        str(warehouse),
    )
    assert (tmp_path / "e.jsonl").read_text() == ""
    assert "warning" in result.stderr and "match no example" in result.stderr
    assert json.loads((tmp_path / "e.manifest.json").read_text())["counts"]["rows_written"] == 0


def test_filter_values_are_data_not_sql(warehouse, tmp_path):
    result = export(
        warehouse,
        ExportOptions(format="sharegpt", out=tmp_path / "x.jsonl", categories=("x') or ('1'='1",)),
    )
    assert result.manifest["counts"]["rows_written"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "alpaca"], "unknown export format 'alpaca'"),
        (["--format", "messages", "--val-fraction", "1.5"], "--val-fraction"),
        (["--format", "sharegpt", "--openai"], "--openai applies to --format messages"),
        (["--format", "prompt-response", "--tools", "column"], "--tools applies to"),
        (["--format", "messages", "--exclude-turn-order-breaks"], "applies to --format sharegpt"),
        (
            ["--format", "messages", "--openai", "--keep-without-assistant"],
            "OpenAI's format needs an assistant message",
        ),
        (["--format", "messages", "--max-tokens", "0"], "--max-tokens must be a positive"),
    ],
)
def test_bad_requests_fail_with_one_clear_line(warehouse, tmp_path, args, message):
    result = tracehouse(
        "export", *args, "--out", str(tmp_path / "o.jsonl"), "--db", str(warehouse), check=False
    )
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_help_gives_every_option_a_default_or_says_required():
    help_text = tracehouse("export", "--help").stdout
    options = help_text[help_text.index("options:") :]
    entries = re.split(r"\n  (?=-)", options)[1:]
    assert len(entries) >= 18
    for entry in entries:
        if entry.startswith(("-h,", "-q,")):
            continue
        flat = " ".join(entry.split())
        assert "default" in flat or "(required)" in flat, flat


def test_quiet_prints_nothing_and_otherwise_one_summary_line(warehouse, tmp_path):
    common = ["export", "--format", "messages", "--db", str(warehouse)]
    quiet = tracehouse(*common, "--out", str(tmp_path / "q.jsonl"), "-q")
    assert quiet.stdout == "" and quiet.stderr == ""
    loud = tracehouse(*common, "--out", str(tmp_path / "l.jsonl"))
    assert loud.stdout == ""
    (line,) = loud.stderr.splitlines()  # no TTY: no progress bar, just the summary
    manifest = json.loads((tmp_path / "l.manifest.json").read_text())
    assert line.startswith(f"export: {manifest['counts']['rows_written']} rows ")
    assert str(tmp_path / "l.jsonl") in line and "manifest" in line


def test_unwritable_or_directory_output_is_refused_before_any_work(warehouse, tmp_path):
    missing = tracehouse(
        "export",
        "--format",
        "messages",
        "--out",
        str(tmp_path / "nope" / "o.jsonl"),
        "--db",
        str(warehouse),
        check=False,
    )
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    directory = tracehouse(
        "export",
        "--format",
        "messages",
        "--out",
        str(tmp_path),
        "--db",
        str(warehouse),
        check=False,
    )
    assert directory.returncode == 1 and "is a directory" in directory.stderr
    if os.geteuid() == 0:
        return  # root writes anywhere: no unwritable folder to test with
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UserError, match="not writable"):
            export(warehouse, ExportOptions(format="messages", out=locked / "o.jsonl"))
    finally:
        locked.chmod(0o700)


def test_missing_export_marts_say_run_build(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(UserError, match="run `tracehouse build"):
        export(db, ExportOptions(format="messages", out=tmp_path / "o.jsonl"))


@pytest.mark.parametrize(
    "options",
    [
        {"format": "messages", "weights": True, "val_fraction": 0.2},
        {"format": "messages", "openai": True, "exclude_malformed": True, "tools": "column"},
        {"format": "sharegpt", "weights": True, "val_fraction": 0.2},
        {"format": "prompt-response", "special_tokens": True, "weights": True, "max_chars": 30_000},
    ],
)
def test_batches_do_not_change_the_output(warehouse, tmp_path, monkeypatch, options):
    """The writer assembles examples a batch of conversations at a time (bounded memory);
    one conversation per batch writes the same bytes as one batch of all."""
    import tracehouse.export.source as source

    few = export(warehouse, ExportOptions(out=tmp_path / "few.jsonl", **options))
    monkeypatch.setattr(source, "BATCH_TEXT_CHARS", 1)
    many = export(warehouse, ExportOptions(out=tmp_path / "many.jsonl", **options))
    assert few.files.keys() == many.files.keys()
    assert few.sidecars.keys() == many.sidecars.keys()
    for part in few.files:
        assert few.files[part].read_bytes() == many.files[part].read_bytes()
        assert few.manifest["files"][part]["sha256"] == many.manifest["files"][part]["sha256"]
    for part in few.sidecars:
        assert few.sidecars[part].read_bytes() == many.sidecars[part].read_bytes()
    assert few.manifest["counts"] == many.manifest["counts"]
    assert few.manifest["counts"]["rows_written"] > 1
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("body", "structured"),
    [
        ('{"tool_call_id": "functions.ls:0", "name": "ls", "content": {"output": "a"}}', True),
        ('{"name": "ls", "content": {"output":"compact, as written"}}', True),
        ('{"name": "ls", "content": "a plain string"}', True),
        ('{"name": "ls", "content": 1e999}', True),  # kept as written, not re-dumped
        ('{"name": "ls", "content": " 5"}', False),  # a string that reads back as a number
        ('{"name": "ls", "content": "caf\\u00e9"}', True),
        ('{"name": "ls", "content": "café"}', False),  # json.dumps would escape the é
        ('{"name": "ls", "content": NaN}', False),
        ('{"name": "ls", "content": {"a": 1}, "extra": 2}', False),
        ('{"content": {"a": 1}, "name": "ls"}', False),
        ('{"name":"ls", "content": {"a": 1}}', False),
        ('{"tool_call_id": 7, "name": "ls", "content": "x"}', False),
        ("Error executing tool", False),
    ],
)
def test_tool_results_are_structured_only_when_they_come_back_byte_exact(body, structured):
    from tracehouse.export.convert import Block, tool_entries

    text = f"<tool_response>\n{body}\n</tool_response>"
    entries = tool_entries(text, [Block("tool_response", f"\n{body}\n", True, True)])
    assert (entries is not None) == structured
    if entries is not None:
        assert messages_to_sharegpt(entries) == [{"from": "tool", "value": text}]


@pytest.mark.parametrize(
    ("text", "blocks", "structured"),
    [
        (
            "<think>\n r\n</think>\n Hi.\n"
            '<tool_call>\n{"name": "ls", "arguments": {}}\n</tool_call>',
            [
                ("think", "\n r\n", True, True),
                ("text", "\n Hi.\n", False, False),
                ("tool_call", '\n{"name": "ls", "arguments": {}}\n', True, True),
            ],
            True,
        ),
        (
            "<think>\n</think>\nDone.",
            [("think", "\n", True, True), ("text", "\nDone.", False, False)],
            True,
        ),
        ("<think>\n r\n</think>", [("think", "\n r\n", True, True)], False),  # no \n after
        (
            '<tool_call>\n{"arguments": {}, "name": "ls"}\n</tool_call>',
            [("tool_call", '\n{"arguments": {}, "name": "ls"}\n', True, True)],
            False,
        ),
        (
            '<tool_call>\n{"name": "ls", "arguments": {}}\n</tool_call> after',
            [
                ("tool_call", '\n{"name": "ls", "arguments": {}}\n', True, True),
                ("text", " after", False, False),
            ],
            False,
        ),
    ],
)
def test_assistant_turns_are_structured_only_when_they_come_back_byte_exact(
    text, blocks, structured
):
    from tracehouse.export.convert import Block, assistant_entry

    entry = assistant_entry(text, [Block(*block) for block in blocks])
    assert (entry is not None) == structured
    if entry is not None:
        assert messages_to_sharegpt([entry]) == [{"from": "gpt", "value": text}]
