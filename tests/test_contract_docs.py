"""data/README.md documents the whole contract (the doc cannot drift from contract.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ars_analysis.data.contract import (
    ACTIVITIES,
    REPORT_TYPES,
    ROLES,
    SERVICED_BY,
    TABLES,
    TERMINAL_TYPES,
    YES_NO,
)
from ars_analysis.data.quality import CHECKS

README = Path(__file__).resolve().parents[1] / "data" / "README.md"


def sections() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    parts = re.split(r"^### `(\w+)`.*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("table", list(TABLES))
def test_every_contract_column_documented(table):
    docs = sections()
    assert table in docs, f"data/README.md has no section ### `{table}`"
    body = docs[table]
    for column in TABLES[table].columns:
        line = next((ln for ln in body.splitlines() if ln.startswith(f"| `{column.name}` |")), None)
        assert line is not None, f"{table}.{column.name} is not documented in data/README.md"
        assert f"| {column.kind} |" in line
        assert f"| {'yes' if column.required else 'no'} |" in line
        for alias in column.aliases:
            assert alias in line, f"alias {alias!r} of {table}.{column.name} not documented"


def test_codes_and_rules_documented():
    text = README.read_text(encoding="utf-8")
    for code in (*ACTIVITIES, *ROLES, *TERMINAL_TYPES, *SERVICED_BY, *YES_NO, *REPORT_TYPES):
        assert f"`{code}`" in text
    for heading in ("## Returns and signs", "## Mapping file", "## Data-quality checks"):
        assert heading in text


def test_every_quality_check_documented():
    """Every check the loader/validator can emit is in the README's table, with its severity."""
    text = README.read_text(encoding="utf-8")
    assert len(CHECKS) >= 20
    for check, severity in CHECKS.items():
        line = next(
            (ln for ln in text.splitlines() if ln.startswith("| `") and f"`{check}`" in ln), None
        )
        assert line is not None, f"check {check!r} not documented in data/README.md"
        assert severity.replace("/", " / ") in line
