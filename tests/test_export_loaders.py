"""The exports against the field mappings of the loaders that are too heavy to install here,
with the README's own configuration snippets.

Facts read from their sources (not copied code):
- LLaMA-Factory (data/README.md, "Sharegpt Format"; src/llamafactory/data/parser.py,
  converter.py, formatter.py, processor/supervised.py): a `dataset_info.json` entry maps
  `columns` (`messages`, default `conversations`; `tools`, default none) and `tags`
  (`role_tag` from, `content_tag` value, `user_tag` human, `assistant_tag` gpt,
  `observation_tag` observation, `function_tag` function_call, `system_tag` system). Its
  ShareGPT converter takes a leading system message as the system prompt, then requires
  user or observation tags at even positions (0, 2, ...) and assistant or function tags at
  odd ones, and an even number of messages; any other example is skipped with a warning. The
  tools column goes to its ToolFormatter, which calls `json.loads` on it (a list raises the
  TypeError the issue saw) and reads each tool's `function.parameters.properties`.
- axolotl (src/axolotl/prompt_strategies/chat_template.py): `field_messages` (default
  `messages`), `message_property_mappings` (default role, content and reasoning_content),
  roles mapped by default human/user -> user, gpt/assistant -> assistant, system, tool; keys a
  template uses (tool_calls, name, tool_call_id) are kept; a `tools` field
  (`field_tools`, default `tools`), when present and not null, is parsed if a string and
  passed to the template, always.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tracehouse.export import ExportOptions, export

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def readme_blocks(bullet: str, language: str) -> list[str]:
    """The fenced `language` blocks of the README's export bullet that starts with `bullet`."""
    start = README.index(f"- **{bullet}**")
    end = README.find("\n- **", start + 1)
    section = README[start : end if end > 0 else len(README)]
    return [
        "\n".join(line[2:] if line.startswith("  ") else line for line in block.splitlines())
        for block in re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)
    ]


def rows_as_loaded(path: Path) -> list[dict]:
    """The file as both loaders read it: `datasets.load_dataset("json", ...)`."""
    from datasets import load_dataset

    return list(load_dataset("json", data_files=str(path), split="train"))


# ---------------------------------------------------------------- LLaMA-Factory


def llamafactory_entry() -> dict:
    (block,) = readme_blocks("LLaMA-Factory", "json")
    ((name, entry),) = json.loads(block).items()
    return entry


def llamafactory_keeps(example: dict, entry: dict) -> bool:
    """Whether LLaMA-Factory's ShareGPT converter and supervised processor keep the example."""
    columns, tags = entry.get("columns", {}), entry.get("tags", {})
    role, content = tags.get("role_tag", "from"), tags.get("content_tag", "value")
    odd = (tags.get("user_tag", "human"), tags.get("observation_tag", "observation"))
    even = (tags.get("assistant_tag", "gpt"), tags.get("function_tag", "function_call"))
    messages = example[columns.get("messages", "conversations")]
    if messages and messages[0][role] == tags.get("system_tag", "system"):
        messages = messages[1:]
    for position, message in enumerate(messages):
        assert isinstance(message[content], str)
        if message[role] not in (odd, even)[position % 2]:
            return False
    return len(messages) % 2 == 0 and len(messages) >= 2


def test_readme_entry_is_llamafactory_sharegpt_with_the_tool_role():
    entry = llamafactory_entry()
    assert entry["formatting"] == "sharegpt"
    assert entry["columns"] == {"messages": "conversations"}
    assert entry["tags"]["observation_tag"] == "tool"
    assert entry["file_name"].endswith(".jsonl")


@pytest.mark.parametrize("exclude", [False, True])
def test_sharegpt_export_through_llamafactorys_mapping(built_warehouse, tmp_path, exclude):
    result = export(
        built_warehouse["db"],
        ExportOptions(
            format="sharegpt", out=tmp_path / "sharegpt.jsonl", exclude_turn_order_breaks=exclude
        ),
    )
    entry = llamafactory_entry()
    rows = rows_as_loaded(result.files["all"])
    assert rows
    tags = entry["tags"]
    known = {tags[name] for name in ("user_tag", "assistant_tag", "observation_tag", "system_tag")}
    assert {m["from"] for row in rows for m in row["conversations"]} <= known
    skipped = sum(not llamafactory_keeps(row, entry) for row in rows)
    counts = result.manifest["counts"]
    if exclude:
        assert skipped == 0
        assert counts["excluded_by_filter"]["exclude_turn_order_breaks"] > 0
    else:
        # the generator's cut-off endings and follow-ups break it; the manifest says how many
        assert skipped > 0
        assert counts["conversations_breaking_llamafactory_turn_order_written"] == skipped


def test_sharegpt_tools_column_is_a_string_llamafactorys_tool_formatter_reads(
    built_warehouse, tmp_path
):
    result = export(
        built_warehouse["db"],
        ExportOptions(format="sharegpt", out=tmp_path / "tools.jsonl", tools="column"),
    )
    entry = llamafactory_entry()
    entry["columns"]["tools"] = "tools"  # as the README says for --tools column
    rows = rows_as_loaded(result.files["all"])
    for row in rows:
        tools = row[entry["columns"]["tools"]]
        assert isinstance(tools, str)
        for tool in json.loads(tools):
            function = tool.get("function", "") if tool.get("type") == "function" else tool
            assert isinstance(function["parameters"]["properties"], dict)


# ---------------------------------------------------------------- axolotl

AXOLOTL_ROLES = {
    "human": "user",
    "user": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "system": "system",
    "tool": "tool",
}


def axolotl_dataset(path_suffix: str) -> dict:
    for block in readme_blocks("axolotl", "yaml"):
        (dataset,) = yaml.safe_load(block)["datasets"]
        if dataset["path"].endswith(path_suffix):
            return dataset
    raise AssertionError(f"no axolotl snippet for {path_suffix}")


def axolotl_turns(example: dict, dataset: dict) -> tuple[list[dict], object]:
    """The turns axolotl's chat_template strategy passes to the template, and its tools."""
    mappings = dataset.get("message_property_mappings") or {
        "role": "role",
        "content": "content",
        "reasoning_content": "reasoning_content",
    }
    turns = []
    for message in example[dataset.get("field_messages", "messages")]:
        turn = {
            key: message[value] for key, value in mappings.items() if message.get(value) is not None
        }
        turn["role"] = AXOLOTL_ROLES.get(turn["role"], turn["role"])
        for key in ("tool_calls", "name", "tool_call_id"):
            if message.get(key) is not None and key not in mappings.values():
                turn[key] = message[key]
        turns.append(turn)
    return turns, example.get(dataset.get("field_tools", "tools"))


@pytest.mark.parametrize(
    ("export_format", "suffix"), [("messages", "messages.jsonl"), ("sharegpt", "sharegpt.jsonl")]
)
def test_exports_through_axolotls_chat_template_mapping(
    built_warehouse, tmp_path, export_format, suffix
):
    dataset = axolotl_dataset(suffix)
    assert dataset["type"] == "chat_template" and dataset["ds_type"] == "json"
    result = export(
        built_warehouse["db"], ExportOptions(format=export_format, out=tmp_path / suffix)
    )
    rows = rows_as_loaded(result.files["all"])
    assert rows
    for row in rows:
        turns, tools = axolotl_turns(row, dataset)
        assert tools is None  # nothing for axolotl to render a second time
        assert {turn["role"] for turn in turns} <= {"system", "user", "assistant", "tool"}
        assert all(isinstance(turn["content"], str) for turn in turns if "content" in turn)
        trained = [turn for turn in turns if turn["role"] in dataset["roles_to_train"]]
        assert trained  # every example has something to train on
        for turn in turns:
            for call in turn.get("tool_calls") or []:
                arguments = call["function"]["arguments"]
                assert isinstance(arguments, dict) or isinstance(json.loads(arguments), dict)
    if export_format == "messages":
        assert any("reasoning_content" in t for row in rows for t in axolotl_turns(row, dataset)[0])


# ---------------------------------------------------------------- one copy of the tool list

TOOLS_TEMPLATE = (
    "{%- if tools %}<|im_start|>tools\n{{ tools | tojson }}<|im_end|>\n{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') + '<|im_end|>\\n' }}"
    "{%- endfor %}"
)


@pytest.mark.parametrize(("tools", "copies"), [("none", 1), ("column", 2)])
def test_the_tool_list_is_rendered_once_by_default(built_warehouse, tmp_path, tools, copies):
    """What TRL and axolotl do with a row: pass its `tools` (if any) to the chat template,
    which renders them beside the system prompt that already lists them."""
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    from tests.hermes_chat import SPECIAL

    bpe = tokenizers.Tokenizer(
        tokenizers.models.WordLevel(
            {t: i for i, t in enumerate(SPECIAL + ["[UNK]"])}, unk_token="[UNK]"
        )
    )
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="[UNK]")
    tokenizer.chat_template = TOOLS_TEMPLATE
    result = export(
        built_warehouse["db"],
        ExportOptions(format="messages", out=tmp_path / "m.jsonl", tools=tools),
    )
    rows = rows_as_loaded(result.files["all"])
    checked = 0
    for row in rows[:20]:
        rendered = tokenizer.apply_chat_template(
            row["messages"], tools=row.get("tools"), tokenize=False
        )
        system = row["messages"][0]["content"]
        names = re.findall(r'"name": "([^"]+)", "description"', system)
        assert names
        for name in names:
            assert (
                rendered.count(f'"name": "{name}", "description"')
                + rendered.count(f'"name":"{name}","description"')
                == copies
            )
        checked += 1
    assert checked == 20
