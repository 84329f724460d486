"""The wholesale demonstration lives in a methods notebook, not in the client report (issue 10).

Its numeric checks (ARI, purity, stability on the UCI wholesale data) are
``tests/test_customers_segments.py::test_wholesale_segments_recover_the_channel``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def test_wholesale_demo_is_a_methods_notebook_without_outputs():
    nb = nbformat.read(REPO / "docs" / "methods" / "wholesale_segments.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert any("wholesale_customers.csv" in c.source for c in nb.cells)
    assert (REPO / "data" / "external" / "wholesale_customers.csv").exists()


def test_client_report_has_no_demo_data_and_declares_client_config():
    nb = nbformat.read(REPO / "notebooks" / "01_core_customers.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    for demo in ("wholesale", "Horeca", "Portug", "print("):
        assert demo not in text, demo
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "client_config = None" in params[0].source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
