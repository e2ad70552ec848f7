"""The parse layer's SQL alone: one DuckDB query, in memory, nothing written.

    python -m bench.parse_sql --db WAREHOUSE --manifest MANIFEST --out FILE.json

The `parse` step times the parse as dbt builds it: a dbt process that starts up and writes
the block index as a table. This times the same SQL without either: the compiled code of the
parse model (`int_blocks_parsed`, the one pass that gives the blocks and every fact read from
their bodies), taken from a manifest written by `dbt compile` before the table existed (so it
is its full-build SQL). The query folds every column of every row into a count and a hash
sum, so DuckDB cannot leave any column uncomputed, as the baseline's loop folds its matches
into counters.

After the timed query (and not timed) it computes the same folds over the tables the `parse`
step built from the same raw layer: equal folds mean the query produced exactly their rows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import duckdb

from tracehouse.duckdb_functions import register
from tracehouse.warehouse import DEFAULT_MEMORY_LIMIT, sql_literal

MODELS = ("int_blocks_parsed",)
RUN_COLUMN = "parsed_by"  # differs between any two runs by design


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parse_sql", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="warehouse the parse step built")
    parser.add_argument(
        "--manifest", type=Path, required=True, help="manifest.json of `dbt compile`"
    )
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help=f"DuckDB memory_limit (default: the build's, {DEFAULT_MEMORY_LIMIT})",
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    nodes = compiled_models(json.loads(args.manifest.read_text()))
    # attached under the catalog name the build uses, which the compiled SQL names
    con = duckdb.connect()
    register(con)  # the functions the dbt build registers (Python-literal call bodies)
    try:
        con.execute(f"attach {sql_literal(str(args.db))} as warehouse (read_only)")
        con.execute("use warehouse")
        con.execute("set memory_limit = ?", [args.memory_limit])
        con.execute("set preserve_insertion_order = false")  # as the dbt profile sets it
        started = time.perf_counter()
        folds = con.execute(composed_query(nodes)).fetchone()
        query_s = time.perf_counter() - started
        stored = con.execute(stored_query(nodes)).fetchone()
    finally:
        con.close()
    assert folds is not None and stored is not None
    result: dict[str, Any] = {
        "query_s": round(query_s, 4),
        "rows": {model: fold["rows"] for model, fold in zip(MODELS, folds, strict=True)},
        "identical_to_stored_tables": tuple(folds) == tuple(stored),
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0 if result["identical_to_stored_tables"] else 1


def compiled_models(manifest: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The compiled SQL and relation name of each parse model, from `dbt compile`."""
    found: dict[str, dict[str, str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"] in MODELS:
            if not node.get("compiled_code"):
                raise SystemExit(f"{node['name']} is not compiled in the manifest: run dbt compile")
            found[node["name"]] = {
                "sql": node["compiled_code"],
                "relation": node["relation_name"],
            }
    missing = sorted(set(MODELS) - set(found))
    if missing:
        raise SystemExit(f"models missing from the manifest: {', '.join(missing)}")
    return found


def composed_query(nodes: dict[str, dict[str, str]]) -> str:
    """One query per model, as a CTE, folded."""
    ctes = [f"{model} as (\n{nodes[model]['sql']}\n)" for model in MODELS]
    return "with\n" + ",\n".join(ctes) + "\nselect " + _folds(MODELS)


def stored_query(nodes: dict[str, dict[str, str]]) -> str:
    """The same folds over the tables dbt built."""
    return "select " + _folds(nodes[model]["relation"] for model in MODELS)


def _folds(relations: Any) -> str:
    """Per relation, one scan: its rows and the sum of every row's hash (a row as the struct
    of all its columns, in order), but for `parsed_by`, the id of the dbt run that wrote it."""
    return ",\n    ".join(
        f"(select {{'rows': count(*), 'hash': sum(hash(t))}} "
        f"from (select * exclude ({RUN_COLUMN}) from {relation}) as t)"
        for relation in relations
    )


if __name__ == "__main__":
    raise SystemExit(main())
