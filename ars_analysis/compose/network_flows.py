"""Composition of the terminal chapter's flows: distribution (铺货), terminal targets (维护) and
the handover to distributors' teams (提升), from a dataset to
:class:`~ars_analysis.terminals.network_flows.NetworkFlows`.

The client's shared definitions are computed on the whole dataset and then filtered to the
report's scope: the core products, the top terminals (gaps, suggested targets), the core
distributors and their health (readiness). Distribution and rollout are ratios within the
report's scope (its active terminals).
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.client import load_client_config
from ars_analysis.compose.aggregate import sales_by, terminal_sales
from ars_analysis.compose.customers import core_customers
from ars_analysis.compose.definitions import top_terminals
from ars_analysis.compose.health import analyse_distributor_health
from ars_analysis.data.snapshot import memo
from ars_analysis.terminals.distribution import distribution, distribution_gaps, rollout_curve
from ars_analysis.terminals.handover import (
    READINESS,
    handover_candidates,
    handover_readiness,
    servicing_share,
)
from ars_analysis.terminals.network_flows import NetworkFlows
from ars_analysis.terminals.terminal_targets import suggest_targets, target_attainment

__all__ = ["NETWORK_PARAMETERS", "analyse_network_flows"]

#: Windows and definitions of the analysis (stated in the report's appendix).
NETWORK_PARAMETERS = {
    "window_months": 3,  # distribution: terminals that bought in the last 3 months
    "core_share": 0.5,  # core products: the best sellers that make half of terminal revenue
    "target_months": 6,  # suggested target: average of the last 6 months x (1 + peer growth)
    "min_peers": 5,  # smallest peer group (same type and city, else broader)
    "growth_limits": (0.0, 0.3),
}


def _window(dataset):
    p = dataset.period
    if p is None:
        return None, None
    end = p[1]
    first = end.to_period("M") - (NETWORK_PARAMETERS["window_months"] - 1)
    return first.start_time, end


def _terminal_items(dataset, start, end) -> pd.DataFrame:
    ti = sales_by(dataset, ["terminal_id", "product_id"], start=start, end=end)
    ti = ti[ti["terminal_id"].notna()]
    master = dataset.tables["terminals"]
    return ti[ti["terminal_id"].isin(master["terminal_id"])].reset_index(drop=True)


def _core_products(ti: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    rev = ti[ti["revenue"] > 0].groupby("product_id")["revenue"].sum()
    if products is not None and "launch_date" in products:
        launched = set(products.loc[products["launch_date"].notna(), "product_id"])
        rev = rev[~rev.index.isin(launched)]
    rev = rev.sort_values(ascending=False, kind="stable")
    share = rev / rev.sum() if rev.sum() > 0 else rev
    before = share.cumsum() - share
    core = share[before < NETWORK_PARAMETERS["core_share"]]
    out = pd.DataFrame({"product_id": core.index, "revenue": rev[core.index].to_numpy(),
                        "revenue_share": core.to_numpy()})  # fmt: skip
    if products is not None and "product_name" in products:
        names = products.drop_duplicates("product_id").set_index("product_id")["product_name"]
        out.insert(1, "product_name", out["product_id"].map(names))
    return out


def _national(dataset, cfg):
    terminals = dataset.tables["terminals"]
    products = dataset.tables.get("products")
    start, end = _window(dataset)
    ti = _terminal_items(dataset, start, end)
    core = _core_products(ti, products)
    top = top_terminals(dataset, cfg.definitions.top_terminal)
    top_ids = top.loc[top["is_top"], "terminal_id"]
    gaps = distribution_gaps(ti, terminals, core["product_id"], top_ids)
    # first purchases of each product by each terminal (rollout)
    first = sales_by(dataset, ["terminal_id", "product_id"])[["terminal_id", "product_id",
                                                              "first_date", "revenue"]]  # fmt: skip
    first = first[first["terminal_id"].isin(terminals["terminal_id"]) & (first["revenue"] > 0)]
    monthly = terminal_sales(dataset, freq="M")[["terminal_id", "period", "revenue"]]
    targets = dataset.tables.get("terminal_targets")
    with_target = set(targets["terminal_id"]) if targets is not None else set()
    suggested = suggest_targets(
        monthly, terminals, months=NETWORK_PARAMETERS["target_months"],
        min_peers=NETWORK_PARAMETERS["min_peers"],
        growth_limits=NETWORK_PARAMETERS["growth_limits"], exclude=with_target,
    )  # fmt: skip
    suggested = suggested[suggested["terminal_id"].isin(set(top_ids))].reset_index(drop=True)
    servicing = readiness = candidates = pd.DataFrame()
    if "serviced_by" in terminals and terminals["serviced_by"].notna().any():
        by_region = servicing_share(terminals, monthly, by=["region"])
        total = servicing_share(terminals, monthly).assign(region=None)
        servicing = pd.concat([by_region, total[by_region.columns]], ignore_index=True)
        grades = core_customers(dataset, cfg)
        health = analyse_distributor_health(dataset, cfg).health
        active = set(ti.loc[ti["revenue"] > 0, "terminal_id"])
        linked = terminals[terminals["customer_id"].notna()]
        network = linked.assign(
            _active=linked["terminal_id"].isin(active),
            _own=linked["serviced_by"].fillna("rep") == "distributor",
        ).groupby("customer_id").agg(n_linked=("terminal_id", "size"), n_active=("_active", "sum"),
                                     n_own_team=("_own", "sum")).reset_index()  # fmt: skip
        readiness = handover_readiness(grades, health, network)
        info = [c for c in ("customer_name", "region") if c in grades]
        readiness = readiness.merge(grades[["customer_id", *info]], on="customer_id", how="left")
        rev = ti.groupby("terminal_id")["revenue"].sum().reset_index()
        candidates = handover_candidates(terminals, readiness.loc[readiness["ready"], "customer_id"],
                                         rev)  # fmt: skip
    return {"ti": ti, "core": core, "gaps": gaps, "first": first, "monthly": monthly,
            "suggested": suggested, "servicing": servicing, "readiness": readiness,
            "candidates": candidates, "window": (start, end)}  # fmt: skip


def _names(frame: pd.DataFrame, dataset) -> pd.DataFrame:
    out = frame
    t = dataset.tables.get("terminals")
    if "terminal_id" in out and t is not None:
        cols = [c for c in ("terminal_name", "region", "city", "rep_id") if c in t and c not in out]
        out = out.merge(t[["terminal_id", *cols]], on="terminal_id", how="left")
    p = dataset.tables.get("products")
    if "product_id" in out and p is not None and "product_name" in p and "product_name" not in out:
        out = out.merge(p[["product_id", "product_name"]], on="product_id", how="left")
    c = dataset.tables.get("customers")
    if "customer_id" in out and c is not None and "customer_name" not in out:
        out = out.merge(c[["customer_id", "customer_name"]], on="customer_id", how="left")
    return out


def analyse_network_flows(dataset, cfg=None, *, region=None) -> NetworkFlows:
    """Distribution, rollout, gaps, terminal targets and handover of one report.

    Parameters
    ----------
    dataset : Dataset
        The period's dataset, every region (needs the ``terminals`` table).
    cfg : ClientConfig, optional
        The client configuration (top-terminal and core-customer definitions).
    region : str or list, optional
        The report's scope (``None``: national).

    Examples
    --------
    >>> from ars_analysis import load_dataset
    >>> flows = analyse_network_flows(load_dataset("data/sample"), region="华南")  # doctest: +SKIP
    >>> flows.distribution["total"].head()  # doctest: +SKIP
    """
    cfg = cfg or load_client_config()
    terminals = dataset.tables.get("terminals")
    missing = []
    if terminals is None or not len(terminals):
        return NetworkFlows(missing=["terminals"], region=region, parameters=NETWORK_PARAMETERS)
    products = dataset.tables.get("products")
    if products is None or "launch_date" not in products or products["launch_date"].isna().all():
        missing.append("launch_date")
    if dataset.tables.get("terminal_targets") is None:
        missing.append("terminal_targets")
    if "serviced_by" not in terminals or terminals["serviced_by"].isna().all():
        missing.append("serviced_by")
    nat = memo("network_flows", dataset, (cfg,), lambda: _national(dataset, cfg))
    regions = None if region is None else ([region] if isinstance(region, str) else list(region))
    scope_t = terminals if regions is None else terminals[terminals["region"].isin(regions)]
    ids = set(scope_t["terminal_id"])
    ti = nat["ti"][nat["ti"]["terminal_id"].isin(ids)]
    core_ids = list(nat["core"]["product_id"])
    dist = {}
    for key, by in (("total", []), ("region", ["region"]), ("terminal_type", ["terminal_type"]),
                    ("customer_id", ["customer_id"])):  # fmt: skip
        if by and by[0] not in scope_t:
            continue
        d = distribution(ti, scope_t, by=by)
        dist[key] = d[d["product_id"].isin(core_ids)].reset_index(drop=True)
    if products is not None and "category" in products:
        cat = ti.merge(products[["product_id", "category"]], on="product_id", how="left")
        cat = cat.groupby(["terminal_id", "category"], as_index=False)["revenue"].sum()
        dist["category"] = distribution(cat, scope_t, item="category", by=["region"])
    rollout = pd.DataFrame()
    if "launch_date" not in missing:
        launches = products.dropna(subset=["launch_date"])[["product_id", "launch_date"]]
        first = nat["first"][nat["first"]["terminal_id"].isin(ids)]
        n_active = max(int(ti.loc[ti["revenue"] > 0, "terminal_id"].nunique()), 1)
        curves = [rollout_curve(first, launches[launches["product_id"] == pid], n_active,
                                end=nat["window"][1]) for pid in launches["product_id"]]  # fmt: skip
        rollout = _names(pd.concat(curves, ignore_index=True), dataset) if curves else rollout
    attainment = {}
    targets = dataset.tables.get("terminal_targets")
    if targets is not None and len(targets):
        tg = targets[targets["terminal_id"].isin(ids)]
        monthly = nat["monthly"]
        for by in ("terminal_id", "customer_id", "rep_id"):
            if by == "terminal_id" or by in scope_t:
                attainment[by] = _names(target_attainment(monthly, tg, scope_t, by=by), dataset)
    keep_c = None
    if regions is not None and len(nat["readiness"]) and "region" in nat["readiness"]:
        keep_c = nat["readiness"]["region"].isin(regions)
    servicing = nat["servicing"]
    if regions is not None and len(servicing):
        servicing = servicing[servicing["region"].isin(regions)].reset_index(drop=True)
    return NetworkFlows(
        distribution=dist,
        rollout=rollout,
        gaps=_names(nat["gaps"][nat["gaps"]["terminal_id"].isin(ids)], dataset),
        core_products=nat["core"],
        attainment=attainment,
        suggested=_names(nat["suggested"][nat["suggested"]["terminal_id"].isin(ids)], dataset),
        servicing=servicing,
        readiness=nat["readiness"][keep_c].reset_index(drop=True) if keep_c is not None
        else nat["readiness"],
        candidates=_names(nat["candidates"][nat["candidates"]["terminal_id"].isin(ids)]
                          if len(nat["candidates"]) else nat["candidates"], dataset),
        missing=missing,
        parameters={**NETWORK_PARAMETERS, **READINESS},
        region=region,
        window=nat["window"],
    )  # fmt: skip
