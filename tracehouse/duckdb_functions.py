"""Functions the dbt build registers on its DuckDB connection (a dbt-duckdb plugin, named in
profiles.yml): what SQL cannot do safely. They exist only while dbt runs; no view or mart
calls them, so the warehouse opens in any DuckDB shell.

- `tracehouse_python_literal_json(text)`: a call body written as a Python literal (single
  quotes, True/False/None: hermes-function-calling-v1 style) as JSON text, read with
  `ast.literal_eval`, which evaluates literals only and never runs code; null when the text
  is not one literal, is longer than `LITERAL_LIMIT` characters, or holds a value JSON cannot
  (a set, bytes, a complex number).
"""

from __future__ import annotations

import ast
import json
import math

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

# Python's parser needs memory and stack in proportion to the literal: longer bodies are
# not call bodies anyone wrote by hand.
LITERAL_LIMIT = 1_000_000


def python_literal_json(text: str | None) -> str | None:
    if text is None or len(text) > LITERAL_LIMIT:
        return None
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not _is_json_value(value):
        return None
    return json.dumps(value, ensure_ascii=False)


def _is_json_value(value: object, depth: int = 0) -> bool:
    """Whether json.dumps writes the value as standard JSON, with nothing lost: keys are
    strings, numbers finite, containers dicts, lists or tuples."""
    if depth > 200:
        return False
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and _is_json_value(item, depth + 1) for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return all(_is_json_value(item, depth + 1) for item in value)
    return False


FUNCTION_NAME = "tracehouse_python_literal_json"


def register(conn: DuckDBPyConnection) -> None:
    """Register the functions on a connection (dbt's, through the plugin; or the bench's).

    Once per connection: dbt-duckdb configures its connection again when attaching the
    warehouse fails (a file another process holds locked), and a second `create_function`
    would raise "already exists" in place of the lock error the user needs to see."""
    registered = conn.execute(
        "select count(*) from duckdb_functions() where function_name = ?", [FUNCTION_NAME]
    ).fetchone()
    if registered is not None and registered[0] > 0:
        return
    conn.create_function(
        FUNCTION_NAME,
        python_literal_json,
        ["VARCHAR"],
        "VARCHAR",
        null_handling="special",
        side_effects=False,
    )


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register(conn)
