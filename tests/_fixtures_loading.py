"""Small client folders for the loading/validation tests (helpers, not tests)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd


def base_tables() -> dict[str, pd.DataFrame]:
    """A tiny, valid dataset in the contract's canonical columns (object columns: any value fits)."""
    tables = {
        "customers": pd.DataFrame(
            {
                "customer_id": ["001", "002", "003"],
                "customer_name": ["甲商贸", "乙贸易", "丙批发"],
                "region": ["华东", "华东", "华南"],
            }
        ),
        "products": pd.DataFrame(
            {
                "product_id": ["P1", "P2"],
                "product_name": ["生抽", "陈醋"],
                "list_price": [10.0, 8.0],
            }
        ),
        "terminals": pd.DataFrame(
            {
                "terminal_id": ["T1", "T2", "T3"],
                "terminal_name": ["店1", "店2", "店3"],
                "region": ["华东", "华东", "华南"],
                "terminal_type": ["supermarket", "convenience", "wholesale"],
                "customer_id": ["001", "002", "003"],
            }
        ),
        "sales": pd.DataFrame(
            {
                "date": ["2025-01-05", "2025-01-06", "2025-02-01", "2025-03-10", "2025-03-11"],
                "customer_id": ["001", "002", "003", "001", "002"],
                "terminal_id": ["T1", "T2", "T3", "", "T2"],
                "product_id": ["P1", "P2", "P1", "P2", "P1"],
                "quantity": [10, 5, 3, 2, 1],
                "revenue": [100.0, 40.0, 30.0, 16.0, 10.0],
            }
        ),
    }
    return {k: v.astype(object) for k, v in tables.items()}


def with_people(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Add reps and visits (valid) to ``tables``."""
    out = dict(tables)
    out["reps"] = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "rep_name": ["张三", "李四"],
            "region": ["华东", "华南"],
            "role": ["business_manager", "salesperson"],
        }
    )
    out["visits"] = pd.DataFrame(
        {
            "visit_id": ["V1", "V2", "V3"],
            "rep_id": ["R1", "R1", "R2"],
            "terminal_id": ["T1", "T2", "T3"],
            "check_in": ["2025-01-05 09:00", "2025-01-05 10:00", "2025-01-05 09:00"],
            "check_out": ["2025-01-05 09:30", "2025-01-05 10:40", "2025-01-05 09:20"],
            "activities": ["order;display", "stock_check", "collection"],
        }
    )
    return {k: v.astype(object) for k, v in out.items()}


def write_folder(folder: Path, tables: dict[str, pd.DataFrame], *, names=None, **csv) -> Path:
    """Write each table as ``<name>.csv`` (or ``names[table]``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    names = names or {}
    for name, frame in tables.items():
        target = folder / names.get(name, f"{name}.csv")
        if target.suffix == ".xlsx":
            frame.to_excel(target, index=False)
        elif target.suffix == ".parquet":
            frame.to_parquet(target, index=False)
        else:
            frame.to_csv(target, index=False, **csv)
    return folder


def checksums(folder: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime (ns) of every file in ``folder``."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def quality_row(quality: pd.DataFrame, check: str, **match) -> pd.Series:
    """The single quality row with ``check`` (and the given column values)."""
    sel = quality[quality["check"] == check]
    for k, v in match.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"expected one {check} row matching {match}, got:\n{quality.to_string()}"
    return sel.iloc[0]
