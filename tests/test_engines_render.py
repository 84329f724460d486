"""End to end: one report per notebook rendered on Spark gives the results of DuckDB.

The DuckDB reports come from the session's rendered test batch (``conftest.rendered_batch``,
rendered with the default engine); the same national jobs are rendered again with
``--engine spark`` (the batch starts one Spark Connect server, each job's kernel opens a session
on it) and every value of each
``results.json`` is compared: text, counts and dates exactly, numbers to 1e-9 relative
(the engines add in different orders).
"""

from __future__ import annotations

import json
import math

import pytest
import yaml
from conftest import batch_config, spark_skip_reason

pytestmark = [pytest.mark.slow, pytest.mark.notebook, pytest.mark.xdist_group("rendered_batch")]


def _same(a, b, where="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in _same(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _same(x, y, f"{where}[{i}]")
        ]
    if isinstance(a, float) or isinstance(b, float):
        ok = a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return [] if ok else [f"{where}: {a!r} != {b!r}"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def test_every_notebook_gives_the_same_results_on_spark(rendered_batch, tmp_path):
    reason = spark_skip_reason()
    if reason:
        pytest.skip(reason)
    from ars_analysis.reports import load_config, render

    out = tmp_path / "spark"
    config = batch_config(out)
    config["jobs"] = [j for j in config["jobs"] if "regions" not in j and j["lang"] == "zh"]
    assert len(config["jobs"]) == 4  # one per notebook
    cfg_path = tmp_path / "spark.yml"
    cfg_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    results = render(load_config(cfg_path), jobs=2, progress=False, engine="spark")
    assert [r["status"] for r in results] == ["ok"] * 4, [r.get("message") for r in results]
    # the four jobs (two workers) shared one Spark Connect server: one JVM for the batch
    log = (out / "spark_connect.log").read_text(encoding="utf-8")
    assert log.count("ars: starting Spark Connect server") == 1
    for r in results:
        spark = json.loads((out / r["name"] / "results.json").read_text(encoding="utf-8"))
        duck_file = rendered_batch.root / r["name"] / "results.json"
        duck = json.loads(duck_file.read_text(encoding="utf-8"))
        assert spark, r["name"]
        assert _same(duck, spark) == [], r["name"]


def test_render_without_pyspark_stops_with_the_install_command(monkeypatch, tmp_path):
    from ars_analysis.data import engines
    from ars_analysis.reports import ReportConfigError, load_config, render

    monkeypatch.setattr(engines, "spark_available", lambda: False)
    config = batch_config(tmp_path / "out")
    cfg_path = tmp_path / "c.yml"
    cfg_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReportConfigError, match=r"pip install \"ars-analysis\[spark\]\""):
        render(load_config(cfg_path), engine="spark", progress=False)
    assert not (tmp_path / "out" / "index.html").exists()
