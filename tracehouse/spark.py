"""The spark target's files: where the lake and the Spark warehouse are, and a DuckDB view of
the marts a Spark build wrote, so that the report (and the equality test) read them with the
same SQL they use on the DuckDB warehouse.

dbt-spark writes each table as Parquet under `<warehouse>/<schema>.db/<table>/`
(`spark.sql.warehouse.dir`, set from $TRACEHOUSE_SPARK_WAREHOUSE in profiles.yml).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from tracehouse.errors import UserError
from tracehouse.ingest.lake import LAKE_TABLES
from tracehouse.warehouse import REPO_ROOT, sql_path_literal

LAKE_ENV = "TRACEHOUSE_LAKE"
WAREHOUSE_ENV = "TRACEHOUSE_SPARK_WAREHOUSE"
MARTS_SCHEMA = "marts"
# dbt model names (and so Spark table folders) are identifiers; anything else in the folder is
# not a table of ours and is never put into SQL.
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def spark_warehouse_dir() -> Path:
    """`$TRACEHOUSE_SPARK_WAREHOUSE`, else spark-warehouse/ at the repository root."""
    configured = os.environ.get(WAREHOUSE_ENV)
    return Path(configured).resolve() if configured else REPO_ROOT / "spark-warehouse"


def lake_dir(lake: Path | None) -> Path:
    """The lake a Spark build reads: `lake`, else `$TRACEHOUSE_LAKE`; it must hold raw tables."""
    if lake is None:
        configured = os.environ.get(LAKE_ENV)
        if not configured:
            raise UserError(
                "the spark target reads the raw layer from a Parquet lake: pass --lake DIR "
                f"(or set ${LAKE_ENV}) with the folder `tracehouse ingest SOURCE --lake DIR` wrote"
            )
        lake = Path(configured)
    lake = lake.resolve()
    # every table the on-run-start hook makes a view of (macros/spark/raw_lake.sql)
    missing = [name for name in LAKE_TABLES if not (lake / name).is_dir()]
    if missing:
        raise UserError(
            f"{lake} is not a tracehouse lake (no {', '.join(missing)} folder): "
            f"run `tracehouse ingest SOURCE --lake {lake}` first"
        )
    return lake


def spark_mart_folders(warehouse: Path, schema: str = MARTS_SCHEMA) -> dict[str, Path]:
    """{table: folder} for every table of `schema` (the marts by default) the Spark build
    wrote (folders holding Parquet)."""
    schema_dir = Path(warehouse) / f"{schema}.db"
    if not schema_dir.is_dir():
        return {}
    return {
        folder.name: folder
        for folder in sorted(schema_dir.iterdir())
        if folder.is_dir() and TABLE_NAME.match(folder.name) and any(folder.glob("*.parquet"))
    }


def spark_marts_view(warehouse: Path, db: Path) -> Path:
    """Write a DuckDB file at `db` whose `marts.<table>` are views over the Spark build's
    Parquet: the report's queries then run on it unchanged. Fails clearly when there are no
    marts."""
    folders = spark_mart_folders(warehouse)
    if not folders:
        raise UserError(
            f"{warehouse} holds no Spark marts ({MARTS_SCHEMA}.db/<table>/*.parquet): "
            "run `tracehouse build --target spark` first"
        )
    con = duckdb.connect(str(db))
    try:
        con.execute(f"create schema if not exists {MARTS_SCHEMA}")
        for table, folder in folders.items():
            # DDL takes no parameters: the name matched TABLE_NAME and the path is quoted.
            con.execute(
                f'create or replace view {MARTS_SCHEMA}."{table}" as '
                f"select * from read_parquet({sql_path_literal(folder / '*.parquet')})"
            )
    finally:
        con.close()
    return db
