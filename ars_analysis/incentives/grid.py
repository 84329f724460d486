"""The payout grid: every rep x month of a plan's measures, in arrays (:class:`Grid`, :func:`build_grid`).

Shared by the exact engine (:mod:`~.engine`), its decimal reference (:mod:`~.reference`) and the
Monte Carlo (:mod:`~.simulate`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from ars_analysis.incentives.plan import Commission, Plan

CENT = Decimal("0.01")

_GUARD = 1e-6

# ----------------------------------------------------------------------------------- the grid


def _window(period: str, frequency: str) -> str:
    if frequency == "month":
        return period
    if frequency == "quarter":
        return f"{period[:4]}Q{(int(period[5:7]) - 1) // 3 + 1}"
    return period[:4]


@dataclass
class Grid:
    """Reps x months arrays that both engines read (built by :func:`build_grid`)."""

    reps: list[str]
    periods: list[str]
    region: np.ndarray  # (R,) region name of each rep
    target: np.ndarray  # (R, T)
    mask: np.ndarray  # (R, T) the rep has a target that month (is on the plan)
    revenue: np.ndarray  # (R, T)
    measures: dict = field(default_factory=dict)  # (measure, categories) -> (R, T)
    kpis: dict = field(default_factory=dict)  # column -> (R, T), NaN = missing
    transactions: dict = field(default_factory=dict)  # commission name -> (r, t, value) arrays
    # the sales rows behind ``revenue`` and ``measures`` (r, t, values; measure key -> (values,
    # keep)): the exact engine sums them in Decimal, never in float
    rows: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.target.shape


def _measure_key(c: Commission):
    return (c.measure, c.categories)


def build_grid(plans, sales: pd.DataFrame, targets: pd.DataFrame, *, reps=None, kpis=None) -> Grid:
    """Lay sales, targets, regions and KPIs on a reps x months grid for the plans given.

    The grid is the set of (rep, month) rows of ``targets``: a rep is on the plan in a month when
    it has a target. Sales of other rep-months are left out (with a warning).
    """
    plans = [plans] if isinstance(plans, Plan) else list(plans)
    for col in ("rep_id", "period", "target_revenue"):
        if col not in targets:
            raise ValueError(
                f"targets: missing column {col!r} (expected rep_id, period, target_revenue)"
            )
    if "revenue" not in sales and "attainment" in sales:  # attainment given: revenue = a x target
        tt = targets[["rep_id", "period", "target_revenue"]].astype({"rep_id": str, "period": str})
        tt = tt.groupby(["rep_id", "period"], as_index=False)["target_revenue"].sum()
        sales = sales.astype({"rep_id": str, "period": str}).merge(
            tt, on=["rep_id", "period"], how="left"
        )
        sales["revenue"] = sales["attainment"] * sales["target_revenue"].fillna(0.0)
    for col in ("rep_id", "period", "revenue"):
        if col not in sales:
            raise ValueError(f"sales: missing column {col!r} (expected rep_id, period, revenue)")
    t = targets[["rep_id", "period", "target_revenue"]].copy()
    t["rep_id"] = t["rep_id"].astype(str)
    t["period"] = t["period"].astype(str)
    bad = ~t["period"].str.fullmatch(r"\d{4}-\d{2}")
    if bad.any():
        raise ValueError(f"targets.period: expected YYYY-MM, got {t.loc[bad, 'period'].iloc[0]!r}")
    if t["target_revenue"].isna().any() or (t["target_revenue"] < 0).any():
        rows = t.index[t["target_revenue"].isna() | (t["target_revenue"] < 0)].tolist()[:5]
        raise ValueError(f"targets.target_revenue: expected numbers >= 0, rows {rows}")
    t = t.groupby(["rep_id", "period"], as_index=False)["target_revenue"].sum()
    rep_list = sorted(t["rep_id"].unique())
    periods = sorted(t["period"].unique())
    ri = {r: i for i, r in enumerate(rep_list)}
    ti = {p: i for i, p in enumerate(periods)}
    R, T = len(rep_list), len(periods)
    target = np.zeros((R, T))
    mask = np.zeros((R, T), bool)
    rr, tt = t["rep_id"].map(ri).to_numpy(), t["period"].map(ti).to_numpy()
    target[rr, tt] = t["target_revenue"].to_numpy(float)
    mask[rr, tt] = True

    s = sales.copy()
    s["rep_id"] = s["rep_id"].astype(str)
    s["period"] = s["period"].astype(str)
    r_idx = s["rep_id"].map(ri)
    t_idx = s["period"].map(ti)
    on = r_idx.notna() & t_idx.notna()
    on[on] = mask[r_idx[on].astype(int), t_idx[on].astype(int)]
    if (~on).any() and s.loc[~on, "revenue"].abs().sum() > 0:
        warnings.warn(
            f"sales: {int((~on).sum())} rows of rep-months without a target were left out "
            "of the payout",
            stacklevel=3,
        )
    s = s[on]
    sr, st = r_idx[on].astype(int).to_numpy(), t_idx[on].astype(int).to_numpy()

    def pivot(values: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros((R, T))
        if keep is None:
            np.add.at(out, (sr, st), values)
        else:
            np.add.at(out, (sr[keep], st[keep]), values[keep])
        return out

    revenue = pivot(s["revenue"].to_numpy(float))
    rows: dict = {"r": sr, "t": st, "revenue": s["revenue"].to_numpy(float)}
    measures, transactions = {}, {}
    for plan in plans:
        for c in plan.commissions:
            if c.measure not in s:
                raise ValueError(
                    f"sales: plan {plan.name!r} commission {c.name!r} needs column {c.measure!r}"
                )
            keep = None
            if c.categories is not None:
                if "category" not in s:
                    raise ValueError(
                        f"sales: plan {plan.name!r} commission {c.name!r} is by category: "
                        "the sales table needs a 'category' column (sales_by(ds, ['rep_id', "
                        "'category'], freq='M'))"
                    )
                keep = s["category"].isin(c.categories).to_numpy()
            vals = s[c.measure].to_numpy(float)
            if np.isnan(vals).any():
                raise ValueError(f"sales.{c.measure}: empty values (commission {c.name!r})")
            measures[_measure_key(c)] = pivot(vals, keep)
            rows[_measure_key(c)] = (vals, keep)
            if c.application == "per_transaction":
                k = np.ones(len(s), bool) if keep is None else keep
                transactions[(plan.name, c.name)] = (sr[k], st[k], vals[k])

    if reps is not None:
        if "rep_id" not in reps or "region" not in reps:
            raise ValueError("reps: expected columns rep_id and region")
        reg = dict(zip(reps["rep_id"].astype(str), reps["region"].astype(str), strict=False))
        region = np.array([reg.get(r, "(unknown)") for r in rep_list], dtype=object)
    else:
        region = np.array(["(all)"] * R, dtype=object)

    kpi_arrays = {}
    needed = list(dict.fromkeys(c for p in plans for c in p.kpi_columns))
    if needed:
        if kpis is None:
            raise ValueError(
                f"kpis: the plan(s) read the KPI columns {needed}; pass a KPI table with "
                "rep_id (optionally period) and these columns"
            )
        if "rep_id" not in kpis:
            raise ValueError("kpis: missing column 'rep_id'")
        missing = [c for c in needed if c not in kpis]
        if missing:
            raise ValueError(f"kpis: missing KPI columns {missing} read by the plan(s)")
        k = kpis.copy()
        k["rep_id"] = k["rep_id"].astype(str)
        kr = k["rep_id"].map(ri)
        for col in needed:
            arr = np.full((R, T), np.nan)
            if "period" in k:
                kt = k["period"].astype(str).map(ti)
                ok = kr.notna() & kt.notna() & k[col].notna()
                arr[kr[ok].astype(int).to_numpy(), kt[ok].astype(int).to_numpy()] = k.loc[ok, col]
            else:
                ok = kr.notna() & k[col].notna()
                arr[kr[ok].astype(int).to_numpy(), :] = k.loc[ok, col].to_numpy(float)[:, None]
            kpi_arrays[col] = arr
    return Grid(
        rep_list, periods, region, target, mask, revenue, measures, kpi_arrays, transactions, rows
    )


def _windows(periods: list[str], frequency: str) -> list[list[int]]:
    out: dict[str, list[int]] = {}
    for i, p in enumerate(periods):
        out.setdefault(_window(p, frequency), []).append(i)
    return list(out.values())


def _years(periods: list[str]) -> list[list[int]]:
    return _windows(periods, "year")


def _gate_targets(plan: Plan, group: str, name: str | None = None) -> list:
    return [g for g in plan.gates if group in g.applies_to or (name and name in g.applies_to)]
