"""Coverage of the top terminals by line (主攻线, 助攻线, 推广线, 服务线).

For every top terminal and every line of the organisation (:mod:`~.organisation`): is the line
wanted there (a line with ``terminal_types`` is wanted only at those types) and is it present
over the visit window, by the line's rule:

* ``frequency``: done visits by reps of the line's roles reach the top-terminal standard
  (``max(1, floor(D / interval))`` visits in a window of ``D`` days, as
  :func:`~.frequency.frequency_vs_standard`);
* ``visit``: at least one done visit by a rep of the line's roles;
* ``activity``: at least one such visit recording one of the line's activities;
* ``distributor_visit``: the terminal's supplying distributor got a done visit (a visit with a
  distributor and no terminal) by a rep of the line's roles.

:func:`line_coverage` returns one row per top terminal and line; :func:`line_gaps` the top
terminals missing at least one wanted line (with the volume at stake);
:func:`line_summary` the coverage per region and line.

Examples
--------
>>> from ars_analysis.fieldforce.organisation import load_organisation
>>> v = pd.DataFrame({"rep_id": ["S"], "terminal_id": ["T1"], "customer_id": [None],
...     "check_in": ["2025-01-02 09:00"], "activities": ["order"]})
>>> t = pd.DataFrame({"terminal_id": ["T1"], "region": ["East"], "terminal_type": ["convenience"],
...                   "customer_id": ["C1"]})
>>> reps = pd.DataFrame({"rep_id": ["S"], "role": ["salesperson"]})
>>> cov = line_coverage(v, t, reps, ["T1"], load_organisation(), top_interval_days=30,
...                     start="2025-01-01", end="2025-01-31")
>>> cov[["line", "wanted", "present"]].values.tolist()
[['main_attack', True, True], ['support', True, False], ['promotion', False, False], ['service', True, False]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import _require, prepare_visits
from ars_analysis.fieldforce.frequency import _window
from ars_analysis.fieldforce.organisation import Organisation
from ars_analysis.fieldforce.roles import rep_roles


def line_coverage(
    visits: pd.DataFrame,
    terminals: pd.DataFrame,
    reps: pd.DataFrame | None,
    top_ids,
    org: Organisation,
    *,
    top_interval_days: float,
    start=None,
    end=None,
    volume: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per top terminal and line: is the line wanted and present (see the module).

    Parameters
    ----------
    visits, terminals, reps : DataFrame
        Contract tables (``reps.role`` says which line a rep's visits count for).
    top_ids : iterable of str
        The top terminals (the client's shared set).
    org : Organisation
    top_interval_days : float
        Days between two visits of the top-terminal standard.
    start, end : date-like, optional
        Visit window (default: first to last visit date).
    volume : Series, optional
        terminal_id -> sales volume (revenue) for the volume at stake.

    Returns
    -------
    DataFrame
        ``terminal_id, region, terminal_type, revenue, line, wanted, present, visits``
        (done visits counted for the line; for ``distributor_visit`` the visits to the
        distributor).
    """
    _require(terminals, "terminals", ["terminal_id"])
    v = prepare_visits(visits)
    lo, hi = _window(v, start, end)
    day = v["check_in"].dt.normalize()
    done = v[v["done"] & (day >= lo) & (day <= hi)].copy()
    done["role"] = done["rep_id"].map(rep_roles(reps, done["rep_id"])).fillna("unknown")
    ids = sorted(set(map(str, top_ids)))
    t = terminals.drop_duplicates("terminal_id").set_index("terminal_id")
    base = pd.DataFrame({"terminal_id": ids})
    for c in ("region", "terminal_type", "customer_id"):
        base[c] = base["terminal_id"].map(t[c]) if c in t.columns else np.nan
    base["revenue"] = (
        base["terminal_id"].map(volume).astype("float64") if volume is not None else np.nan
    )
    days = (hi - lo).days + 1
    required = max(1, int(np.floor(days / top_interval_days + 1e-9)))
    acts = done["activities"].fillna("").astype(str).str.split(";")
    rows = []
    for name, line in org.lines.items():
        mine = done[done["role"].isin(line.roles)]
        if line.rule == "distributor_visit":
            to_dist = mine[mine["terminal_id"].isna() & mine["customer_id"].notna()]
            n = to_dist.groupby(to_dist["customer_id"].astype(str)).size()
            count = base["customer_id"].map(n).fillna(0)
            present = count > 0
        else:
            if line.rule == "activity":
                wanted_acts = set(line.activities or ())
                hit = [bool(wanted_acts & set(a)) for a in acts.loc[mine.index]]
                mine = mine[hit]
            n = mine.groupby(mine["terminal_id"].astype(str)).size()
            count = base["terminal_id"].map(n).fillna(0)
            present = count >= (required if line.rule == "frequency" else 1)
        if line.terminal_types:
            wanted = base["terminal_type"].isin(line.terminal_types)
        else:
            wanted = pd.Series(True, index=base.index)
        rows.append(
            base.drop(columns="customer_id").assign(
                line=name, wanted=wanted.to_numpy(), present=present.to_numpy(),
                visits=count.astype("int64").to_numpy(),
            )
        )  # fmt: skip
    cols = ["terminal_id", "region", "terminal_type", "revenue", "line", "wanted", "present",
            "visits"]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=cols)
    return pd.concat(rows, ignore_index=True)[cols]


def line_gaps(coverage: pd.DataFrame, org: Organisation | None = None) -> pd.DataFrame:
    """Top terminals missing at least one wanted line, largest volume first.

    Returns
    -------
    DataFrame
        ``terminal_id, region, terminal_type, revenue, missing_lines`` (line codes joined by
        ``;`` in the organisation's order), ``n_missing``.

    Examples
    --------
    >>> cov = pd.DataFrame({"terminal_id": ["T1", "T1", "T2", "T2"], "region": "E",
    ...     "terminal_type": "supermarket", "revenue": [5.0, 5.0, 9.0, 9.0],
    ...     "line": ["a", "b"] * 2, "wanted": True, "present": [True, False, True, True]})
    >>> line_gaps(cov)[["terminal_id", "missing_lines"]].values.tolist()
    [['T1', 'b']]
    """
    miss = coverage[coverage["wanted"] & ~coverage["present"]]
    order = list(org.lines) if org is not None else list(dict.fromkeys(coverage["line"]))
    rank = {k: i for i, k in enumerate(order)}
    g = (
        miss.assign(o=miss["line"].map(rank))
        .sort_values(["terminal_id", "o"], kind="mergesort")
        .groupby("terminal_id", sort=False)
        .agg(
            region=("region", "first"),
            terminal_type=("terminal_type", "first"),
            revenue=("revenue", "first"),
            missing_lines=("line", ";".join),
            n_missing=("line", "size"),
        )
        .reset_index()
    )
    g["n_missing"] = g["n_missing"].astype("int64")
    return g.sort_values(["revenue", "terminal_id"], ascending=[False, True],
                         kind="mergesort").reset_index(drop=True)  # fmt: skip


def line_summary(coverage: pd.DataFrame) -> pd.DataFrame:
    """Coverage per region and line over the top terminals where the line is wanted.

    Returns
    -------
    DataFrame
        ``region, line, n_wanted, n_present, line_coverage`` (share present),
        ``revenue_at_stake`` (revenue of the top terminals where the line is wanted but
        missing).

    Examples
    --------
    >>> cov = pd.DataFrame({"terminal_id": ["T1", "T2"], "region": "E", "revenue": [5.0, 9.0],
    ...     "line": "a", "wanted": True, "present": [True, False]})
    >>> line_summary(cov)[["line_coverage", "revenue_at_stake"]].values.tolist()
    [[0.5, 9.0]]
    """
    w = coverage[coverage["wanted"]].copy()
    w["stake"] = np.where(w["present"], 0.0, w["revenue"].astype("float64"))
    out = (
        w.groupby(["region", "line"], sort=False)
        .agg(n_wanted=("terminal_id", "size"), n_present=("present", "sum"),
             revenue_at_stake=("stake", "sum"))
        .reset_index()
    )  # fmt: skip
    out["n_present"] = out["n_present"].astype("int64")
    out["line_coverage"] = out["n_present"] / out["n_wanted"]
    out = out.sort_values(["region"], kind="mergesort").reset_index(drop=True)
    return out[["region", "line", "n_wanted", "n_present", "line_coverage", "revenue_at_stake"]]
