"""Shared fixtures: hub-layout directories written here, and the generator's sample.

The whole session, child processes included, writes only under one temporary folder that is
removed at its end: pytest's base temporary folder (instead of /tmp/pytest-of-USER, where
pytest keeps the last three runs), the `datasets` cache ($HF_HOME) and dbt's target and log
folders ($DBT_TARGET_PATH, $DBT_LOG_PATH), set before anything imports `datasets` or dbt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRATCH = Path(tempfile.mkdtemp(prefix="tracehouse-tests-"))
os.environ["HF_HOME"] = str(SCRATCH / "huggingface")
os.environ["DBT_TARGET_PATH"] = str(SCRATCH / "dbt-target")
os.environ["DBT_LOG_PATH"] = str(SCRATCH / "dbt-logs")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config) -> None:
    """pytest's base temporary folder inside SCRATCH, unless given with --basetemp. Not
    `tmp_path_retention_count = 0`: with it pytest locks no run's folder, and any other
    pytest session of the same user deletes the folders of one still running."""
    if config.option.basetemp is None:
        config.option.basetemp = str(SCRATCH / "pytest")


def pytest_unconfigure(config) -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)


MESSAGE_TYPE = pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))
# messages with axolotl's ShareGPT `weight` beside from/value (raw.messages.extra_keys)
WEIGHTED_MESSAGE_TYPE = pa.list_(
    pa.struct([("from", pa.string()), ("value", pa.string()), ("weight", pa.int64())])
)
WEIGHTED_ROW = {
    "id": "w",
    "conversations": [
        {"from": "human", "value": "hi", "weight": 0},
        {"from": "gpt", "value": "yo"},
    ],
}


def write_hub_layout(root: Path, tables: dict[str, pa.Table]) -> Path:
    """A directory that `datasets.load_dataset(root, config)` reads as it reads the hub."""
    lines = ["---", "configs:"]
    for config, table in tables.items():
        path = root / "data" / config / "train.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        lines += [
            f"  - config_name: {config}",
            "    data_files:",
            "      - split: train",
            f"        path: data/{config}/train.parquet",
        ]
    lines += ["---", "", "# test dataset", ""]
    (root / "README.md").write_text("\n".join(lines), encoding="utf-8")
    return root


def hermes_table(rows: list[dict], message_type: pa.DataType = MESSAGE_TYPE) -> pa.Table:
    """Rows in the dataset's six columns; missing keys become nulls."""
    columns = {
        "id": pa.array([row.get("id") for row in rows], pa.string()),
        "conversations": pa.array([row.get("conversations") for row in rows], message_type),
    }
    for name in ("tools", "category", "subcategory", "task"):
        columns[name] = pa.array([row.get(name) for row in rows], pa.string())
    return pa.table(columns)


def tracehouse(
    *args: str, check: bool = True, cwd: Path = REPO_ROOT, **kwargs
) -> subprocess.CompletedProcess:
    """The real console entry point, in a child process, as a user runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "tracehouse.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        **kwargs,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"tracehouse {' '.join(args)} exited {result.returncode}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory) -> Path:
    """A small generated dataset in hub layout, both configs, every quirk present."""
    from tracehouse.sample.dataset import generate_dataset

    out = tmp_path_factory.mktemp("generated")
    generate_dataset(out, 60, seed=11, duplicate_ids=2)
    return out


@pytest.fixture(scope="session")
def built_warehouse(generated_dir, tmp_path_factory) -> dict:
    """The generated sample ingested and built once (`dbt build` through dbt's Python runner,
    every model and test) for every test module that only reads the warehouse.

    Yields {"db": path, "result": dbt's result}. Readers open it read-only.
    """
    from dbt.cli.main import dbtRunner

    from tracehouse.dbt_runner import close_dbt_connections

    work = tmp_path_factory.mktemp("built")
    db = work / "warehouse.duckdb"
    tracehouse("ingest", str(generated_dir), "--db", str(db))
    previous = os.environ.get("TRACEHOUSE_DB")
    os.environ["TRACEHOUSE_DB"] = str(db)
    try:
        result = dbtRunner().invoke(
            [
                "build",
                "--project-dir", str(REPO_ROOT),
                "--profiles-dir", str(REPO_ROOT),
                "--target-path", str(work / "target"),
                "--log-path", str(work / "logs"),
                "--quiet",
            ]
        )  # fmt: skip
    finally:
        close_dbt_connections()
        if previous is None:
            os.environ.pop("TRACEHOUSE_DB", None)
        else:
            os.environ["TRACEHOUSE_DB"] = previous
    return {"db": db, "result": result}
