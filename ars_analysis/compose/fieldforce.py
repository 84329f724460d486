"""Composition of the field-execution analysis: from a dataset to a
:class:`~ars_analysis.fieldforce.FieldExecution` (and the rep scorecard of a dataset).

Definitions are computed on the whole dataset and filtered to the report's scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ars_analysis.client import load_client_config
from ars_analysis.compose import aggregate
from ars_analysis.compose.definitions import in_engine, new_terminal_sales, top_terminals
from ars_analysis.fieldforce import (
    UNKNOWN,
    FieldExecution,
    activity_shares,
    checkin_distance,
    deviation_ranking,
    discipline_vs_attainment,
    distance_summary,
    frequency_vs_standard,
    load_standards,
    new_terminal_list,
    prepare_visits,
    rep_scorecard,
    time_use,
    visit_compliance,
    visit_issues,
    visit_times,
)
from ars_analysis.fieldforce.common import ratio as _ratio
from ars_analysis.fieldforce.common import rep_info as _rep_info
from ars_analysis.fieldforce.frequency import visit_window

__all__ = ["analyse_field_execution", "scorecard_from_dataset"]


def scorecard_from_dataset(dataset, *, top_terminal=None, **kwargs) -> pd.DataFrame:
    """:func:`rep_scorecard` of a loaded :class:`~ars_analysis.data.dataset.Dataset`.

    Reads ``visits``, ``terminals``, ``reps``, ``targets`` and the sales lines (for new
    terminals) from the dataset, the sales aggregates from
    :func:`ars_analysis.compose.aggregate.rep_sales` (monthly) and
    :func:`ars_analysis.compose.aggregate.terminal_sales`, and the shared top terminals from
    :func:`ars_analysis.compose.top_terminals` with ``top_terminal`` (the client's
    ``definitions.top_terminal``; default: top 20 % within each region). Pass the whole
    dataset (all regions) and filter the rows: the top terminals are defined on all data.
    ``kwargs`` go to :func:`rep_scorecard`.
    """
    tables = dataset.tables
    if tables.get("visits") is None:
        raise ValueError("the dataset has no 'visits' table: field execution needs the visit log")
    has_sales = tables.get("sales") is not None and len(tables["sales"])
    return rep_scorecard(
        tables["visits"],
        tables["terminals"],
        tables.get("reps"),
        tables.get("targets"),
        aggregate.rep_sales(dataset, freq="M") if has_sales else None,
        aggregate.terminal_sales(dataset) if has_sales else None,
        **{
            "sales": new_terminal_sales(dataset) if has_sales else None,
            "top_terminals": top_terminals(dataset, top_terminal) if has_sales else None,
            **kwargs,
        },
    )


def _in_scope(values: pd.Series, region) -> pd.Series:
    if region is None:
        return pd.Series(True, index=values.index)
    regions = [region] if isinstance(region, str) else list(region)
    return values.isin(regions)


def _first_row(frame: pd.DataFrame) -> dict:
    return frame.iloc[0].to_dict() if len(frame) else {}


def _frequency_by_region(freq: pd.DataFrame) -> pd.DataFrame:
    f = freq.assign(
        is_top=freq["grade"] == "top",
        top_visited=(freq["grade"] == "top") & freq["visited"],
        top_meets=(freq["grade"] == "top") & freq["meets_standard"],
    )
    f["region"] = f["region"].astype(object).where(f["region"].notna(), UNKNOWN)
    out = (
        f.groupby("region", sort=True)
        .agg(
            n_terminals=("terminal_id", "size"),
            terminals_meeting_standard=("meets_standard", "sum"),
            n_top_terminals=("is_top", "sum"),
            top_terminals_visited=("top_visited", "sum"),
            top_meeting_standard=("top_meets", "sum"),
        )
        .reset_index()
    )
    for c in out.columns[1:]:
        out[c] = out[c].astype("int64")
    out["frequency_compliance"] = _ratio(out["terminals_meeting_standard"], out["n_terminals"])
    out["top_terminal_coverage"] = _ratio(out["top_terminals_visited"], out["n_top_terminals"])
    out["top_frequency_compliance"] = _ratio(out["top_meeting_standard"], out["n_top_terminals"])
    return out


def _coaching(card: pd.DataFrame, coaching: dict, stake: pd.Series) -> pd.DataFrame:
    rows = []
    for kpi, (direction, standard) in coaching.items():
        vals = card[kpi].astype("float64")
        below = vals < standard if direction == "min" else vals > standard
        for i in card.index[below.fillna(False)]:
            rows.append(
                {
                    "rep_id": card.at[i, "rep_id"],
                    "kpi": kpi,
                    "value": float(vals[i]),
                    "standard": standard,
                    "direction": direction,
                    "gap": float(vals[i] - standard),
                }
            )
    out = pd.DataFrame(rows, columns=["rep_id", "kpi", "value", "standard", "direction", "gap"])
    info = card[["rep_id"] + [c for c in ("rep_name", "region") if c in card.columns]]
    out = out.merge(info, on="rep_id", how="left")
    out["stake"] = out["rep_id"].map(stake).fillna(0.0).astype("float64")
    out["n_kpis_below"] = out.groupby("rep_id")["kpi"].transform("size").astype("int64")
    cols = ["rep_id", "rep_name", "region", "kpi", "value", "standard", "direction", "gap",
            "n_kpis_below", "stake"]  # fmt: skip
    out = out.reindex(columns=cols)
    return out.sort_values(
        ["stake", "rep_id", "kpi"], ascending=[False, True, True], kind="mergesort"
    ).reset_index(drop=True)


def _core_coverage(visits, terminals, customers, core_customers, region):
    """Distinct core customers of the scope (by the customer's region) and how many had a done
    visit (to the distributor itself or to one of its terminals, by any rep)."""
    core = pd.DataFrame({"customer_id": sorted(set(map(str, core_customers)))})
    if customers is not None and "region" in customers.columns:
        where = customers.drop_duplicates("customer_id").set_index("customer_id")["region"]
    elif {"customer_id", "region"} <= set(terminals.columns):
        where = (
            terminals.dropna(subset=["customer_id"])
            .groupby("customer_id")["region"]
            .agg(lambda r: r.mode().iloc[0])
        )
    else:
        where = pd.Series(dtype=object)
    core["region"] = core["customer_id"].map(where)
    core = core[_in_scope(core["region"], region)]
    done = visits[visits["done"]]
    seen = set(done["customer_id"].dropna().astype(str))
    if "customer_id" in terminals.columns:
        owner = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["customer_id"]
        seen |= set(done["terminal_id"].map(owner).dropna().astype(str))
    core["visited"] = core["customer_id"].isin(seen)
    by_region = (
        core.assign(region=core["region"].astype(object).where(core["region"].notna(), UNKNOWN))
        .groupby("region", as_index=False)
        .agg(n_core_customers=("customer_id", "size"), core_customers_visited=("visited", "sum"))
    )
    by_region["core_customers_visited"] = by_region["core_customers_visited"].astype("int64")
    by_region["core_customer_coverage"] = _ratio(
        by_region["core_customers_visited"], by_region["n_core_customers"]
    )
    n, v = int(len(core)), int(core["visited"].sum())
    total = {
        "n_core_customers": n,
        "core_customers_visited": v,
        "core_customer_coverage": v / n if n else np.nan,
    }
    return by_region, total


def analyse_field_execution(
    dataset,
    cfg=None,
    *,
    region=None,
    standards_path: str | Path | None = None,
    frequency: Mapping | None = None,
    far_checkin_m: float | None = None,
    sales_history: pd.DataFrame | None = None,
    core_customers: Iterable[str] | None = None,
) -> FieldExecution:
    """Field execution of one report scope: every measure report 04 shows.

    Parameters
    ----------
    dataset : Dataset
        The client's data for the analysis period, ALL regions (``subset(ds, start=, end=)``;
        never filtered by region: definitions such as the top terminals and the visit window
        are computed on all data, then the results are filtered to ``region``).
    cfg : ClientConfig, optional
        The client configuration (top-terminal definition, minimum sample sizes); default the
        sample client's.
    region : str or list of str, optional
        The report's scope; ``None`` = national.
    standards_path, frequency, far_checkin_m
        The visit standards file (default the shipped ``visit_standards.yml``) and overrides
        of its frequency per grade and far check-in distance.
    sales_history : DataFrame or EngineTable, optional
        Sales lines before the analysis period too (the loaded dataset's ``sales``), so that
        new terminals can be told apart from old ones; default ``dataset.sales``.
    core_customers : iterable of str, optional
        IDs of the core customers (defined on the whole dataset); without them the core
        customer coverage is not measured.

    Returns
    -------
    FieldExecution

    Examples
    --------
    >>> from ars_analysis import load_dataset  # doctest: +SKIP
    >>> res = analyse_field_execution(load_dataset("data/sample"), region="华南")  # doctest: +SKIP
    >>> res.n_reps, res.visit_period  # doctest: +SKIP
    """
    cfg = cfg if cfg is not None else load_client_config()
    tables = dataset.tables
    if tables.get("visits") is None or tables.get("terminals") is None:
        raise ValueError("field execution needs the 'visits' and 'terminals' tables")
    layers = cfg.layer("visit_standards")  # the client's layer over the standards file
    std = load_standards(
        standards_path, layers=layers, frequency=frequency, far_checkin_m=far_checkin_m
    )
    visits, terminals = prepare_visits(tables["visits"]), tables["terminals"]
    reps = tables.get("reps")
    lo, hi = visit_window(tables["visits"])
    sales = tables.get("sales")
    has_sales = sales is not None and len(sales) > 0
    history = new_terminal_sales(sales_history if sales_history is not None else dataset)

    # reps, terminals and visits of the scope
    rep_info = _rep_info(reps) if reps is not None else pd.DataFrame(
        {"rep_id": sorted(visits["rep_id"].dropna().unique()), "team_id": np.nan, "region": np.nan}
    )  # fmt: skip
    if "rep_name" not in rep_info.columns:
        rep_info["rep_name"] = rep_info["rep_id"]
    scope_reps = rep_info[_in_scope(rep_info["region"], region)].reset_index(drop=True)
    rep_ids = set(scope_reps["rep_id"])
    t_region = (
        terminals.drop_duplicates("terminal_id").set_index("terminal_id")["region"]
        if "region" in terminals.columns
        else pd.Series(dtype=object)
    )
    scope_visits = visits if region is None else visits[visits["rep_id"].isin(rep_ids)]

    # the ONE top-terminal set (whole dataset), then the scope's part
    top_all = top_terminals(dataset, cfg.definitions.top_terminal)
    top = top_all[_in_scope(top_all["region"], region)].reset_index(drop=True)
    if "terminal_name" in terminals.columns:
        names = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["terminal_name"]
        top.insert(1, "terminal_name", top["terminal_id"].map(names))
    top_ids = sorted(top.loc[top["is_top"], "terminal_id"].astype(str))

    # went where
    comp = visit_compliance(visits, reps)
    comp = comp[comp["rep_id"].isin(rep_ids)].reset_index(drop=True)
    comp_region = (
        visit_compliance(visits, reps, level="region") if reps is not None else comp.iloc[:0]
    )
    comp_region = comp_region[_in_scope(comp_region["region"], region)].reset_index(drop=True)
    comp_total = _first_row(visit_compliance(scope_visits, level="all"))
    comp_total["n_reps_measured"] = int((comp["planned_visits"] > 0).sum())
    dist = checkin_distance(
        scope_visits, terminals, bands=std["distance_bands_m"], far_m=std["far_checkin_m"]
    )
    dist_region = (
        distance_summary(dist, reps, level="region") if reps is not None else dist.iloc[:0]
    )
    dist_region = dist_region[_in_scope(dist_region["region"], region)].reset_index(drop=True)
    known = dist["distance_m"].notna()
    dist_total = {
        "done_visits": int(len(dist)),
        "known": int(known.sum()),
        "far": int(dist["far"].sum()),
        "far_checkin_share": float(dist["far"].sum() / known.sum()) if known.any() else np.nan,
        "unknown_share": float((~known).mean()) if len(dist) else np.nan,
        "far_checkin_m": std["far_checkin_m"],
    }

    # met whom: every terminal, visits by any rep, over the whole visit window
    fq = frequency_vs_standard(
        visits, terminals, standards=std["frequency"], start=lo, end=hi, top=top_all
    )
    fq["region"] = fq["terminal_id"].map(t_region)
    fq = fq[_in_scope(fq["region"], region)].reset_index(drop=True)
    fq_region = _frequency_by_region(fq)
    tot = _frequency_by_region(fq.assign(region="all"))
    fq_total = _first_row(tot)
    core_cov = core_total = None
    if core_customers is not None:
        core_cov, core_total = _core_coverage(
            visits, terminals, tables.get("customers"), core_customers, region
        )

    # did what, time use
    acts = activity_shares(scope_visits, level="all")
    acts_region = (
        activity_shares(visits, reps, level="region") if reps is not None else acts.iloc[:0]
    )
    acts_region = acts_region[_in_scope(acts_region["region"], region)].reset_index(drop=True)
    times = visit_times(scope_visits)
    time_total = _first_row(time_use(scope_visits, level="all"))

    # target vs result, over the months of the visit window
    card = rep_scorecard(
        visits, terminals, reps, tables.get("targets"),
        aggregate.rep_sales(dataset, freq="M") if has_sales else None,
        aggregate.terminal_sales(dataset) if has_sales else None,
        start=lo, end=hi, standards_path=standards_path, standards=std["frequency"],
        standards_layers=layers,
        far_m=std["far_checkin_m"], sales=history if has_sales else None, top_terminals=top_all,
    )  # fmt: skip
    card = card[card["rep_id"].isin(rep_ids)].reset_index(drop=True)
    att = card[["rep_id"] + [c for c in ("rep_name", "region") if c in card.columns]
               + ["revenue", "target_revenue", "attainment"]].copy()  # fmt: skip
    att["deviation"] = att["revenue"] - att["target_revenue"]
    att["deviation_pct"] = att["attainment"] - 1
    att = deviation_ranking(att)
    rev, tgt = att["revenue"].sum(), att["target_revenue"].sum(min_count=1)
    att_total = {
        "revenue": float(rev),
        "target_revenue": float(tgt) if pd.notna(tgt) else np.nan,
        "attainment": float(rev / tgt) if pd.notna(tgt) and tgt > 0 else np.nan,
        "reps_below_target": int((att["attainment"] < 1).sum()),
        "reps_with_target": int(att["attainment"].notna().sum()),
        "first_month": lo.strftime("%Y-%m"),
        "last_month": hi.strftime("%Y-%m"),
    }
    link = discipline_vs_attainment(card, min_n=cfg.min_sample.correlation)

    # actions: reps to coach, top terminals not visited
    if has_sales and "rep_id" in terminals.columns:
        if in_engine(sales):  # revenue per terminal of the window's days, from the engine
            in_window = aggregate.sales_by(
                dataset, ["terminal_id"], start=pd.Timestamp(lo).ceil("D"),
                end=pd.Timestamp(hi).floor("D"),
            )  # fmt: skip
        else:
            in_window = sales[(sales["date"] >= lo) & (sales["date"] < hi + pd.Timedelta(days=1))]
        resp = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["rep_id"]
        stake = in_window.groupby(in_window["terminal_id"].map(resp))["revenue"].sum()
    else:
        stake = pd.Series(dtype="float64")
    coaching = _coaching(card, std["coaching"], stake)
    unvisited = fq[(fq["grade"] == "top") & ~fq["visited"]][["terminal_id", "region", "rep_id"]]
    unvisited = unvisited.merge(top[["terminal_id", "revenue"]], on="terminal_id", how="left")
    if "terminal_name" in top.columns:
        unvisited = _with_names(unvisited, top, "terminal_id", "terminal_name")
    unvisited = unvisited.merge(rep_info[["rep_id", "rep_name"]], on="rep_id", how="left")
    unvisited = unvisited.sort_values(
        ["revenue", "terminal_id"], ascending=[False, True]
    ).reset_index(drop=True)
    new = (
        new_terminal_list(history, terminals, start=lo, end=hi,
                          history_months=std["new_terminal_history_months"])
        if has_sales else pd.DataFrame(columns=["terminal_id", "rep_id", "first_sale", "revenue"])
    )  # fmt: skip
    available = bool(new.attrs.get("available", False))
    if available:
        new = new[new["rep_id"].isin(rep_ids)].reset_index(drop=True)

    return FieldExecution(
        region=region,
        sales_period=dataset.period,
        visit_period=(lo, hi),
        standards=std,
        reps=scope_reps,
        n_reps=int(len(scope_reps)),
        top=top,
        top_terminal_ids=top_ids,
        completion=comp,
        completion_by_region=comp_region,
        completion_total=comp_total,
        distances=dist,
        distance_by_region=dist_region,
        distance_total=dist_total,
        frequency=fq,
        frequency_by_region=fq_region,
        frequency_total=fq_total,
        core_coverage=core_cov,
        core_total=core_total,
        activities=acts,
        activities_by_region=acts_region,
        times=times,
        time_total=time_total,
        attainment=att,
        attainment_total=att_total,
        scorecard=card,
        correlation=link,
        issues=visit_issues(scope_visits, reps, terminals),
        coaching=coaching,
        unvisited_top=unvisited,
        new_terminals=new,
        new_terminals_available=available,
        history_months=float(new.attrs.get("history_months", np.nan)),
    )


def _with_names(table: pd.DataFrame, names: pd.DataFrame, id_col: str, name_col: str):
    lookup = names.drop_duplicates(id_col).set_index(id_col)[name_col]
    out = table.copy()
    out.insert(out.columns.get_loc(id_col) + 1, name_col, out[id_col].map(lookup))
    return out
