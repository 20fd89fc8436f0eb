"""Documentation of the dbt project: `dbt docs generate` works offline and describes everything."""

from __future__ import annotations

import json
from pathlib import Path


def test_docs_generate_describes_every_model_and_mart_column(fixture_build, dbt_invoke, tmp_path):
    """Every model has a description; every column of every mart table is described."""
    result = dbt_invoke(["docs", "generate"], fixture_build.duckdb_path, tmp_path)
    assert result.success, result.exception
    target = tmp_path / "target"
    assert (target / "index.html").stat().st_size > 0
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())

    models = {
        node["unique_id"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    undocumented = [uid for uid, node in models.items() if not node["description"].strip()]
    assert undocumented == []

    missing: list[str] = []
    for uid, node in models.items():
        if Path(node["original_file_path"]).parts[1] != "marts":
            continue
        described = {
            name.lower()
            for name, column in node["columns"].items()
            if column.get("description", "").strip()
        }
        actual = {name.lower() for name in catalog["nodes"][uid]["columns"]}
        missing += [f"{node['name']}.{column}" for column in sorted(actual - described)]
        assert described <= actual, f"{node['name']} documents columns it does not have"
    assert missing == []
