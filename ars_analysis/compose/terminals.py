"""Composition of the terminal-network analysis: from a dataset to a
:class:`~ars_analysis.terminals.TerminalNetwork`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.client import load_client_config
from ars_analysis.compose.aggregate import sales_by
from ars_analysis.compose.customers import core_customers
from ars_analysis.compose.definitions import filter_region, in_engine, top_terminals
from ars_analysis.data.snapshot import memo
from ars_analysis.fieldforce import visit_window
from ars_analysis.terminals import (
    TerminalNetwork,
    concentration_table,
    linking_plan,
    lorenz_fit,
    lorenz_fit_valid,
    missing_volume_by,
    missing_volume_total,
    pareto_curve,
    scope_margins,
    tail_assessment,
    terminals_to_reach,
)

__all__ = ["analyse_terminal_network"]


def _period(dates) -> tuple | None:
    d = pd.to_datetime(pd.Series(dates)).dropna()
    return (d.min(), d.max()) if len(d) else None


def _terminal_volumes(dataset, sales, core_ids: set) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lines with a terminal, and per terminal: revenue, quantity, gross_margin,
    core_volume (revenue through core distributors), n_distributors.

    From the lines in pandas, or - lines kept in an engine - from their sums per terminal x
    distributor (:func:`sales_by`), which add up to the same (and are all the linking plan
    reads: who already sells to whom). One difference: with the cost missing on only some
    lines, the engine's margin of a terminal x distributor is its revenue minus the cost it
    has, the lines' margin leaves the lines without cost out."""
    if in_engine(sales):
        lines = sales_by(dataset, ["terminal_id", "customer_id"])
        lines = lines.loc[lines["terminal_id"].notna()]
        margin = lines["gross_margin"]
    else:
        lines = sales.loc[sales["terminal_id"].notna()]
        cost = lines["cost"] if "cost" in lines else pd.Series(np.nan, index=lines.index)
        margin = lines["revenue"] - cost
    per_t = lines.groupby("terminal_id")[["revenue", "quantity"]].sum()
    per_t["gross_margin"] = margin.groupby(lines["terminal_id"]).sum(min_count=1)
    is_core_line = lines["customer_id"].isin(core_ids)
    per_t["core_volume"] = (
        lines["revenue"].where(is_core_line, 0.0).groupby(lines["terminal_id"]).sum()
    )
    per_t["n_distributors"] = lines.groupby("terminal_id")["customer_id"].nunique()
    return lines, per_t


def analyse_terminal_network(
    dataset,
    cfg=None,
    *,
    region=None,
    n_boot: int = 500,
    gof_boot: int = 200,
    seed=0,
    core: pd.DataFrame | None = None,
) -> TerminalNetwork:
    """The terminal-network analysis of one report (终端网络).

    Definitions are computed on the whole ``dataset`` (all regions; pass it already restricted
    to the analysis period with :func:`ars_analysis.data.dataset.subset`) and then filtered to
    ``region``: the top terminals (:func:`ars_analysis.compose.top_terminals` with
    ``cfg.definitions.top_terminal``), the core distributors (the client's one definition:
    scorecard grade A, :func:`ars_analysis.compose.core_customers`), the linking plan and the per-region estimates
    of market potential. So a regional report names exactly the national report's top
    terminals of that region, and its additive figures add up to the national ones.

    Parameters
    ----------
    dataset : Dataset
        Loaded data (``sales``, ``customers``, ``terminals``; optional ``visits``,
        ``products.retail_price``).
    cfg : ClientConfig, optional
        The client configuration (default: the sample client's).
    region : str or list, optional
        Scope of the report (None = national).
    n_boot, gof_boot : int
        Bootstrap replicates for intervals and for the tail fit's goodness of fit.
    seed : int
    core : DataFrame, optional
        :func:`ars_analysis.compose.core_customers` of the dataset (``customer_id``,
        ``is_core``; computed when not given).

    Returns
    -------
    TerminalNetwork
    """

    cfg = cfg or load_client_config()
    if dataset.terminals is None:
        raise ValueError("the terminal-network analysis needs the terminals table")
    top_def = cfg.definitions.top_terminal
    sales = dataset.sales
    master = dataset.terminals.drop_duplicates("terminal_id").reset_index(drop=True)
    for c in ("terminal_name", "city", "terminal_type", "customer_id", "region"):
        if c not in master:
            master[c] = None

    # shared definitions, whole dataset
    top = top_terminals(dataset, top_def).set_index("terminal_id")
    # core distributors: the client's one definition (scorecard grade A, on all distributors)

    core_all = core if core is not None else core_customers(dataset, cfg, top=top.reset_index())
    core_all = core_all.copy()
    customers = dataset.customers.drop_duplicates("customer_id").set_index("customer_id")
    for c in ("customer_name", "region", "city"):
        if c not in core_all:
            core_all[c] = core_all["customer_id"].map(customers[c]) if c in customers else None
    core_ids = set(core_all.loc[core_all["is_core"], "customer_id"])

    lines, per_t = _terminal_volumes(dataset, sales, core_ids)

    t = master[
        ["terminal_id", "terminal_name", "region", "city", "terminal_type", "customer_id"]
    ].copy()
    for c in ("revenue", "quantity", "core_volume"):
        t[c] = t["terminal_id"].map(per_t[c]).fillna(0.0).astype(float)
    t["gross_margin"] = t["terminal_id"].map(per_t["gross_margin"]).astype(float)
    t["n_distributors"] = t["terminal_id"].map(per_t["n_distributors"]).fillna(0).astype(int)
    t["non_core_volume"] = (t["revenue"] - t["core_volume"]).clip(lower=0.0)
    t["rank"] = t["terminal_id"].map(top["rank"]).astype("Int64")
    t["is_top"] = t["terminal_id"].map(top["is_top"]).fillna(False).astype(bool)
    t["linked"] = t["customer_id"].isin(core_ids).to_numpy()
    visits = dataset.visits
    visit_period = None
    if visits is not None and len(visits) and "terminal_id" in visits:
        done = visits.loc[visits["check_in"].notna() & visits["terminal_id"].notna()]
        t["visited"] = t["terminal_id"].isin(set(done["terminal_id"])).to_numpy()
        # the visit-log period as every report states it (planned date, else check-in date)
        visit_period = visit_window(visits)
    else:
        t["visited"] = False
    t["status"] = np.select(
        [t["linked"] & t["visited"], t["linked"], t["visited"]],
        ["both", "linked_only", "visited_only"],
        "neither",
    )
    t["volume_at_stake"] = np.where(t["is_top"] & ~t["linked"], t["non_core_volume"], 0.0)

    # linking plan on the whole country, then filtered
    to_link = t[t["is_top"] & ~t["linked"] & (t["volume_at_stake"] > 0)]
    shared = (cfg, core_all, top)  # with the dataset, everything t and to_link depend on
    plan_all = memo(  # whole-country definitions shared by a batch (data.snapshot)
        "linking_plan",
        dataset,
        shared,
        lambda: linking_plan(
            to_link,
            core_all[core_all["is_core"]],
            master,
            lines,
            max_new_per_distributor=cfg.terminals.max_new_per_distributor,
            max_distance_km=cfg.terminals.max_link_distance_km,
            customers=dataset.customers,
        ),
    )

    # market potential per region on the whole country, then filtered
    positive_all = t[t["revenue"] > 0].assign(region=lambda d: d["region"].fillna(""))
    missing_all = memo(
        "missing_volume",
        dataset,
        (*shared, n_boot, seed),
        lambda: missing_volume_by(
            positive_all, cfg.market.unobserved_terminal_ratio, n_boot=n_boot, seed=seed
        ),
    )

    # the scope
    ts = filter_region(t, region)
    plan = filter_region(plan_all, region)
    if region is None:
        missing = missing_all
    else:
        regions = [region] if isinstance(region, str) else list(region)
        missing = missing_volume_total(missing_all[missing_all["region"].isin(regions)])
    core = filter_region(core_all, region)
    vol = ts[ts["revenue"] > 0]
    share = top_def.share
    rng = np.random.default_rng(seed)
    if len(vol) >= 2:
        overall = (
            concentration_table(
                vol, measure="revenue", top=share, n_boot=n_boot, seed=int(rng.integers(2**31))
            )
            .iloc[0]
            .to_dict()
        )
        by_region = concentration_table(vol, by="region", top=share, n_boot=n_boot, seed=seed)
        by_type = concentration_table(
            vol.assign(terminal_type=vol["terminal_type"].fillna("")),
            by="terminal_type",
            top=share,
            n_boot=n_boot,
            seed=seed,
        )
        pareto = pareto_curve(vol, measure="revenue")
        reach = terminals_to_reach(vol, (0.5, 0.8, 0.9), measure="revenue", detail=True)
        lf = lorenz_fit(vol, measure="revenue")
        lf["params"] = lorenz_fit_valid(lf["params"], len(vol), min_sample=cfg.min_sample.tail_fit)
    else:
        overall = {"n_terminals": len(vol), "total": float(vol["revenue"].sum())}
        by_region = by_type = pareto = reach = pd.DataFrame()
        lf = {"params": pd.DataFrame(), "curves": pd.DataFrame()}
    tail = tail_assessment(
        vol["revenue"].to_numpy(), min_sample=cfg.min_sample.tail_fit, n_boot=gof_boot, seed=seed
    )

    cov_rows = []
    for reg, g in ts.groupby(ts["region"].fillna(""), sort=True):
        h = g[g["is_top"]]
        nh = len(h)
        row = {
            "region": reg or None,
            "n_terminals": len(g),
            "n_top": nh,
            "linked": int(h["linked"].sum()),
            "visited": int(h["visited"].sum()),
        }
        for st in ("both", "linked_only", "visited_only", "neither"):
            row[st] = int((h["status"] == st).sum())
        row["coverage_rate"] = (nh - row["neither"]) / nh if nh else np.nan
        row["linked_rate"] = row["linked"] / nh if nh else np.nan
        row["revenue"] = float(g["revenue"].sum())
        row["top_revenue"] = float(h["revenue"].sum())
        row["top_share_of_revenue"] = (
            row["top_revenue"] / row["revenue"] if row["revenue"] else np.nan
        )
        row["n_not_linked"] = int((~h["linked"]).sum())
        row["n_to_link"] = int((h["volume_at_stake"] > 0).sum())
        row["volume_at_stake"] = float(h["volume_at_stake"].sum())
        cov_rows.append(row)
    cov = pd.DataFrame(cov_rows)

    # margins: the retailer's when the products carry a retail price, else ours
    scope_lines = lines[lines["terminal_id"].isin(set(ts["terminal_id"]))]
    margins, basis = scope_margins(ts, scope_lines, dataset.products)

    return TerminalNetwork(
        region=region,
        terminals=ts,
        top_terminal_ids=sorted(ts.loc[ts["is_top"], "terminal_id"].astype(str).tolist()),
        concentration=overall,
        by_region=by_region,
        by_type=by_type,
        pareto=pareto,
        reach=reach,
        lorenz=lf,
        tail=tail,
        missing=missing,
        coverage=cov,
        core=core,
        link_plan=plan,
        margins=margins,
        margin_basis=basis,
        top_share=share,
        unobserved_ratio=cfg.market.unobserved_terminal_ratio,
        sales_period=(
            dataset.period
            if in_engine(sales)
            else _period(sales["date"])
            if "date" in sales
            else None
        ),  # fmt: skip
        visit_period=visit_period,
        params={"n_boot": n_boot, "gof_boot": gof_boot, "seed": seed},
    )
