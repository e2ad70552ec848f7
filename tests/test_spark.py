"""The spark target builds the same marts as DuckDB.

The same generated data is ingested once into a DuckDB warehouse and a Parquet lake; `tracehouse
build` runs on both targets (Spark in local mode, in a child process, as a user runs it); then
every mart dbt's manifest lists is read from both and compared: same columns, same types, same
rows (sorted by their non-float columns; floats equal within FLOAT_RELATIVE_TOLERANCE, since
the engines sum in different orders). Spark's tables are read through the DuckDB views that
`tracehouse report --target spark` uses.

Needs the spark extra and Java 17: `pytest -m spark` runs this module alone; without pyspark
or java it is skipped, saying which is missing.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from tests.conftest import tracehouse
from tracehouse.spark import spark_mart_folders, spark_marts_view
from tracehouse.warehouse import sql_path_literal

pytestmark = pytest.mark.spark

# Doubles from aggregates (sums, correlations, shares) differ in their last bits between
# engines: relative 1e-9 is far below any figure the marts report (shares, rates, medians).
FLOAT_RELATIVE_TOLERANCE = 1e-9
FLOAT_ABSOLUTE_TOLERANCE = 1e-12
# Columns that describe the build, not the data (when it ran, which dbt invocation wrote the
# mart or parsed the block): they differ between any two builds, on one engine or two.
BUILD_STAMPS = {"built_at", "dbt_invocation_id", "parsed_by"}
# DuckDB types and the type the same column has once Spark wrote it to Parquet.
SAME_TYPE = {"JSON": "VARCHAR", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP"}


def missing_spark_prerequisite() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "java is not installed (Java 17: Debian's openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="module")
def both_built(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Generated data (both configs, every quirk, repeated ids) ingested into a warehouse and
    a lake, then `tracehouse build` on the duckdb and the spark target, dbt unit tests
    included."""
    reason = missing_spark_prerequisite()
    if reason:
        pytest.skip(reason)
    from tracehouse.sample.dataset import generate_dataset

    root = tmp_path_factory.mktemp("spark")
    generate_dataset(root / "data", 40, seed=23, duplicate_ids=2)
    db, lake, warehouse = root / "warehouse.duckdb", root / "lake", root / "spark-warehouse"
    env = {
        **os.environ,
        "TRACEHOUSE_SPARK_CORES": os.environ.get("TRACEHOUSE_SPARK_CORES", "2"),
        "TRACEHOUSE_SPARK_MEMORY": os.environ.get("TRACEHOUSE_SPARK_MEMORY", "1500m"),
    }
    tracehouse("ingest", str(root / "data"), "--db", str(db), "--lake", str(lake), env=env)
    duckdb_build = tracehouse(
        "build", "--db", str(db), "--unit-tests", "--",
        "--target-path", str(root / "target-duckdb"), "--log-path", str(root / "logs"),
        env=env,
    )  # fmt: skip
    spark_build = tracehouse(
        "build", "--target", "spark", "--lake", str(lake), "--spark-warehouse", str(warehouse),
        "--db", str(db), "--unit-tests", "--",
        "--target-path", str(root / "target-spark"), "--log-path", str(root / "logs"),
        env=env,
    )  # fmt: skip
    views = spark_marts_view(warehouse, root / "spark-marts.duckdb")
    con = duckdb.connect(str(views), read_only=True)
    con.execute(f"attach {sql_path_literal(db)} as warehouse (read_only)")
    try:
        yield {
            "con": con,
            "warehouse": warehouse,
            "manifest": json.loads((root / "target-duckdb" / "manifest.json").read_text()),
            "builds": {"duckdb": duckdb_build, "spark": spark_build},
            "db": db,
            "root": root,
            "env": env,
        }
    finally:
        con.close()


def marts(manifest: dict, schema: str = "marts") -> dict[str, str]:
    """{name: path} of every model dbt stores as a table in `schema`. Views (fct_tool_calls
    and the text views) live in Spark's metastore, not as Parquet, and are compared through
    the tables they read (int_tool_calls_paired, int_blocks_parsed)."""
    return {
        node["name"]: node["original_file_path"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("schema") == schema
        and node["config"].get("materialized") != "view"
    }


def columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    described = con.execute(f"describe {relation}").fetchall()
    return [(name, SAME_TYPE.get(kind, kind)) for name, kind, *_ in described]


def normalized(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def sort_key(row: tuple, float_positions: set[int]) -> tuple:
    """Non-float columns first (nulls last), then floats rounded, as tie-breakers."""
    exact = tuple((row[i] is None, row[i]) for i in range(len(row)) if i not in float_positions)
    rounded = tuple(
        (row[i] is None, 0.0 if row[i] is None or math.isnan(row[i]) else round(row[i], 6))
        for i in sorted(float_positions)
    )
    return exact + rounded


def values_equal(left: Any, right: Any, is_float: bool) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if is_float:
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(
            left, right, rel_tol=FLOAT_RELATIVE_TOLERANCE, abs_tol=FLOAT_ABSOLUTE_TOLERANCE
        )
    return left == right


def differences(
    con: duckdb.DuckDBPyConnection, mart: str, schema: str = "marts", spark: str | None = None
) -> list[str]:
    """What differs between the DuckDB and the Spark version of a table (empty: identical);
    `spark` names the Spark side's relation when it is not `schema.mart`."""
    spark = spark or f"{schema}.{mart}"
    duck_columns = columns(con, f"warehouse.{schema}.{mart}")
    spark_columns = columns(con, spark)
    if duck_columns != spark_columns:
        return [f"columns differ: duckdb {duck_columns} spark {spark_columns}"]
    compared = [name for name, _ in duck_columns if name not in BUILD_STAMPS]
    floats = {i for i, name in enumerate(compared) if dict(duck_columns)[name] == "DOUBLE"}
    select = ", ".join(f'"{name}"' for name in compared)
    sides = {
        engine: sorted(
            (
                tuple(normalized(value) for value in row)
                for row in con.execute(f"select {select} from {relation}").fetchall()
            ),
            key=lambda row: sort_key(row, floats),
        )
        for engine, relation in (("duckdb", f"warehouse.{schema}.{mart}"), ("spark", spark))
    }
    if len(sides["duckdb"]) != len(sides["spark"]):
        return [f"{len(sides['duckdb'])} rows on duckdb, {len(sides['spark'])} on spark"]
    found = []
    for duck_row, spark_row in zip(sides["duckdb"], sides["spark"], strict=True):
        unequal = [
            f"{name}: duckdb {duck_row[i]!r} spark {spark_row[i]!r}"
            for i, name in enumerate(compared)
            if not values_equal(duck_row[i], spark_row[i], i in floats)
        ]
        if unequal:
            found.append("; ".join(unequal))
    return found


def test_both_builds_pass_with_their_data_and_unit_tests(both_built):
    for engine, result in both_built["builds"].items():
        assert "Completed successfully" in result.stdout, engine
        assert "ERROR=0" in result.stdout, engine


def test_spark_builds_every_mart(both_built):
    expected = set(marts(both_built["manifest"]))
    built = set(spark_mart_folders(both_built["warehouse"]))
    assert {"fct_conversations", "fct_tool_responses", "tool_usage_by_category"} <= expected
    assert expected - built == set()


def test_the_parse_has_identical_rows_on_spark_and_duckdb(both_built):
    """The block index and the pairing, which fct_tool_calls and the text views read."""
    con = both_built["con"]
    folders = spark_mart_folders(both_built["warehouse"], schema="intermediate")
    found = {}
    for table in ("int_blocks_parsed", "int_tool_calls_paired"):
        parquet = sql_path_literal(folders[table] / "*.parquet")
        con.execute(f"create or replace temp view spark_{table} as from read_parquet({parquet})")
        found[table] = differences(con, table, schema="intermediate", spark=f"spark_{table}")
    assert {table: rows[:5] for table, rows in found.items() if rows} == {}


def test_every_mart_has_identical_rows_on_spark_and_duckdb(both_built):
    on_both = set(marts(both_built["manifest"])) & set(spark_mart_folders(both_built["warehouse"]))
    found = {mart: differences(both_built["con"], mart) for mart in sorted(on_both)}
    assert {mart: rows[:5] for mart, rows in found.items() if rows} == {}


def test_the_compared_marts_hold_the_generated_rows(both_built):
    con = both_built["con"]
    assert con.execute("select count(*) from marts.fct_conversations").fetchone()[0] == 80
    assert con.execute("select count(*) from marts.fct_tool_responses").fetchone()[0] > 0


def test_report_from_spark_marts_states_the_duckdb_figures(both_built):
    """Every section's mart has the same rows on both engines (but the build section's
    stamps), and each finding the page phrases from it, read as the report reads it, is the
    same from the Spark marts as from DuckDB's."""
    from tracehouse.reports import queries
    from tracehouse.reports.sections import SECTIONS

    con = both_built["con"]
    duck = duckdb.connect(str(both_built["db"]), read_only=True)
    try:
        overview = queries.read_mart(duck, "report_overview", ("config",))
        configs = [row["config"] for row in overview if not row["is_all_configs"]]
        for section in SECTIONS:
            if section.name == "build":
                continue
            assert differences(con, section.mart) == [], section.name
            if section.finding is not None:
                on_spark = queries.read_mart(con, section.mart, section.order_by)
                on_duckdb = queries.read_mart(duck, section.mart, section.order_by)
                assert section.finding(on_spark, configs) == section.finding(on_duckdb, configs)
    finally:
        duck.close()
    out = both_built["root"] / "report-spark.html"
    tracehouse(
        "report", "--target", "spark", "--no-docs", "--out", str(out),
        "--spark-warehouse", str(both_built["warehouse"]),
        env=both_built["env"],
    )  # fmt: skip
    assert out.stat().st_size > 10_000
