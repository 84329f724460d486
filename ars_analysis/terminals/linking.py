"""Linking terminals to distributors: the linking plan (nearest core distributor or local supplier)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.terminals.coverage import _require

__all__ = ["linking_plan"]


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, float)) for v in (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


#: Reason codes of :func:`linking_plan` (wording in ``labels/terminals.yml``).
LINK_REASONS = (
    "same_city_supplies", "same_city", "nearest", "cultivate_local", "no_core_distributor"
)  # fmt: skip


def linking_plan(
    to_link: pd.DataFrame,
    core: pd.DataFrame,
    terminals: pd.DataFrame,
    sales: pd.DataFrame | None = None,
    *,
    max_new_per_distributor: int = 10,
    by: str = "region",
    max_distance_km: float | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Propose, for each terminal to link, the core distributor that should serve it.

    Terminals are taken in order of ``volume_at_stake`` (largest first) and each is given the
    best core distributor *of its region* that still has room (at most
    ``max_new_per_distributor`` new terminals each, so the work is spread):

    1. ``same_city_supplies``: a core distributor in the terminal's city that already sells to
       it (the one selling most);
    2. ``same_city``: a core distributor in the terminal's city (the one with the fewest
       proposals so far, then the nearest);
    3. ``nearest``: the nearest core distributor by straight-line distance, a distributor's
       location being the centre (median latitude/longitude) of the terminals it supplies;
    4. ``cultivate_local``: the nearest core distributor is farther than ``max_distance_km``
       (no one can serve a shop from 400 km away): propose instead the distributor that sells
       most to the terminal today, to be cultivated into a core distributor;
    5. ``no_core_distributor``: the region has no core distributor with room.

    Parameters
    ----------
    to_link : DataFrame
        ``terminal_id``, ``by``, ``city``, ``volume_at_stake``.
    core : DataFrame
        Core distributors: ``customer_id``, ``customer_name``, ``by``, ``city``.
    terminals : DataFrame
        Terminal master (``terminal_id``, ``customer_id``, ``latitude``, ``longitude``) to
        locate terminals and distributors.
    sales : DataFrame, optional
        Sales lines (``terminal_id``, ``customer_id``, ``revenue``): who already sells to whom.
    max_distance_km : float, optional
        The farthest a core distributor may be from a terminal it is proposed for (None: no
        limit).
    customers : DataFrame, optional
        ``customer_id``, ``customer_name`` of every distributor (names of the local
        distributors proposed for cultivation).

    Returns
    -------
    DataFrame
        ``to_link`` plus ``proposed_customer_id``, ``proposed_customer_name``, ``reason``
        (one of :data:`LINK_REASONS`) and ``distance_km`` (terminal to the distributor's
        centre; missing without coordinates).

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": ["t1", "t2"], "region": ["E", "E"],
    ...                   "city": ["A", "B"], "volume_at_stake": [5.0, 3.0]})
    >>> core = pd.DataFrame({"customer_id": ["c1"], "customer_name": ["甲"],
    ...                      "region": ["E"], "city": ["A"]})
    >>> master = pd.DataFrame({"terminal_id": ["t1", "t2"], "customer_id": [None, None]})
    >>> linking_plan(t, core, master)["reason"].tolist()
    ['same_city', 'nearest']
    """
    _require(to_link, ["terminal_id", by, "volume_at_stake"], "to_link")
    _require(core, ["customer_id", by], "core")
    out = to_link.sort_values(
        ["volume_at_stake", "terminal_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    coords = terminals.drop_duplicates("terminal_id").set_index("terminal_id")
    has_xy = {"latitude", "longitude"} <= set(coords.columns)
    centre = pd.DataFrame(columns=["latitude", "longitude"])
    if has_xy and "customer_id" in coords:
        located = coords.dropna(subset=["latitude", "longitude", "customer_id"])
        centre = located.groupby("customer_id")[["latitude", "longitude"]].median()
    supplies = pd.Series(dtype=float)
    if sales is not None and len(sales):
        supplies = (
            sales.dropna(subset=["terminal_id"])
            .groupby(["terminal_id", "customer_id"])["revenue"]
            .sum()
        )
    names = core.set_index("customer_id")
    load: dict = {}
    proposed, reasons, dist = [], [], []
    for row in out.itertuples(index=False):
        rd = row._asdict()
        cands = core[core[by] == rd[by]]
        cands = cands[[load.get(c, 0) < max_new_per_distributor for c in cands["customer_id"]]]
        if cands.empty:
            proposed.append(None)
            reasons.append("no_core_distributor")
            dist.append(np.nan)
            continue
        cid = cands["customer_id"].to_numpy()
        if has_xy and rd["terminal_id"] in coords.index:
            lat, lon = coords.loc[rd["terminal_id"], ["latitude", "longitude"]]
            c = centre.reindex(cid)
            km = _haversine_km(lat, lon, c["latitude"], c["longitude"])
        else:
            km = np.full(cid.size, np.nan)
        km_key = np.where(np.isfinite(km), km, np.inf)
        same = (
            (cands["city"].to_numpy() == rd.get("city")) & pd.notna(rd.get("city"))
            if "city" in cands
            else np.zeros(cid.size, bool)
        )
        sold = np.array(
            [float(supplies.get((rd["terminal_id"], c), 0.0)) for c in cid], dtype=float
        )
        n_load = np.array([load.get(c, 0) for c in cid])
        if (same & (sold > 0)).any():
            reason = "same_city_supplies"
            order = np.lexsort((cid, km_key, -sold, ~(same & (sold > 0))))
        elif same.any():
            reason = "same_city"
            order = np.lexsort((cid, km_key, n_load, ~same))
        else:
            reason = "nearest"
            order = np.lexsort((cid, n_load, km_key))
        k = order[0]
        if reason == "nearest" and max_distance_km is not None and km_key[k] > max_distance_km:
            local = _largest_supplier(supplies, rd["terminal_id"])
            if local is not None:
                proposed.append(local)
                reasons.append("cultivate_local")
                dist.append(float(km[k]))
                continue
        load[cid[k]] = load.get(cid[k], 0) + 1
        proposed.append(cid[k])
        reasons.append(reason)
        dist.append(float(km[k]))
    out["proposed_customer_id"] = proposed
    all_names = names["customer_name"] if "customer_name" in names else pd.Series(dtype=object)
    if customers is not None and "customer_name" in customers:
        extra = customers.drop_duplicates("customer_id").set_index("customer_id")["customer_name"]
        all_names = pd.concat([all_names, extra[~extra.index.isin(all_names.index)]])
    out["proposed_customer_name"] = [all_names.get(c) if c is not None else None for c in proposed]
    out["reason"] = reasons
    out["distance_km"] = dist
    return out


def _largest_supplier(supplies: pd.Series, terminal_id):
    # the distributor that sold most to the terminal (None when nobody did)
    try:
        sold = supplies.xs(terminal_id, level="terminal_id")
    except KeyError:
        return None
    sold = sold[sold > 0]
    return None if sold.empty else sold.sort_index().idxmax()
