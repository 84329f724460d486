"""End to end: reports rendered with the sales lines kept in DuckDB (``ARS_LINES_IN_ENGINE=1``)
give the results of the pandas render.

The pandas reports come from the session's rendered test batch (``conftest.rendered_batch``);
the four national Chinese jobs and one regional English job are rendered again with the lines
in the engine, and every value of each ``results.json`` is compared: text, counts and dates
exactly, numbers to 1e-9 relative (the engine adds in another order).
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import SMALL_REGION, batch_config
from test_engines_render import _same

from ars_analysis.data.loading import LINES_ENV

pytestmark = [pytest.mark.slow, pytest.mark.notebook, pytest.mark.xdist_group("rendered_batch")]


def test_every_notebook_gives_the_same_results_with_the_lines_in_the_engine(
    rendered_batch, tmp_path, monkeypatch
):
    from ars_analysis.reports import load_config, render

    out = tmp_path / "in_engine"
    config = batch_config(out)
    national = [j for j in config["jobs"] if "regions" not in j and j["lang"] == "zh"]
    regional = [j for j in config["jobs"] if j.get("regions") == [SMALL_REGION]][:1]
    config["jobs"] = national + regional
    assert len(national) == 4 and len(regional) == 1  # one per notebook, and one region
    cfg_path = tmp_path / "in_engine.yml"
    cfg_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(LINES_ENV, "1")
    results = render(load_config(cfg_path), jobs=2, progress=False, engine="duckdb")
    assert all(r["status"] == "ok" for r in results), [r.get("message") for r in results]
    names = [r["name"] for r in results]
    assert any(SMALL_REGION in n for n in names), names  # the region's own report
    # the jobs' kernels loaded the lines into the engine: their snapshot says so
    snapshots = list((out / ".cache").glob("*/dataset.pkl"))
    assert snapshots
    import pickle

    from ars_analysis.data.engine_validation import EngineTable

    kept = [pickle.loads(p.read_bytes()).tables["sales"] for p in snapshots]
    assert all(isinstance(s, EngineTable) for s in kept), kept
    for r in results:
        got = json.loads((out / r["name"] / "results.json").read_text(encoding="utf-8"))
        expected_file = rendered_batch.root / r["name"] / "results.json"
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        assert got, r["name"]
        assert _same(expected, got) == [], r["name"]
