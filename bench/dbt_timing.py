"""Per-model times from dbt's `run_results.json`: where a build's seconds go.

The harness gives each dbt invocation its own `--target-path`, so the artifacts are the
benchmark's own and never touch the shared `target/` of the working tree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def node_times(target_path: Path) -> list[dict[str, Any]]:
    """(unique_id, layer, status, seconds) of every node dbt ran, slowest first."""
    path = target_path / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text()).get("results", [])
    folders = _model_folders(target_path / "manifest.json")
    nodes = []
    for result in results:
        unique_id = result.get("unique_id", "")
        nodes.append(
            {
                "node": unique_id,
                "layer": folders.get(unique_id) or unique_id.partition(".")[0],
                "status": result.get("status"),
                "seconds": round(float(result.get("execution_time") or 0.0), 3),
            }
        )
    return sorted(nodes, key=lambda node: -node["seconds"])


def layer_totals(nodes: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds per layer (staging, intermediate, marts; test for data tests)."""
    totals: dict[str, float] = {}
    for node in nodes:
        totals[node["layer"]] = round(totals.get(node["layer"], 0.0) + node["seconds"], 3)
    return totals


def _model_folders(manifest: Path) -> dict[str, str]:
    """Model unique_id -> its top folder under models/ (the layer), from dbt's manifest."""
    if not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text()).get("nodes", {})
    return {
        unique_id: node["fqn"][1]
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "model" and len(node.get("fqn", ())) > 2
    }
