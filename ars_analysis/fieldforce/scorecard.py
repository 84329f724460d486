"""The rep scorecard: one row per rep with the behaviour KPIs (:data:`SCORECARD_KPIS`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ars_analysis.config import Layer
from ars_analysis.fieldforce.checkins import checkin_distance, distance_summary
from ars_analysis.fieldforce.common import (
    SCORECARD_KPIS,
    UNKNOWN,
    _check_freq,
    _rep_info,
    _require,
    prepare_visits,
)
from ars_analysis.fieldforce.frequency import (
    _period_bounds,
    _window,
    frequency_summary,
    frequency_vs_standard,
)
from ars_analysis.fieldforce.new_terminals import new_terminals
from ars_analysis.fieldforce.standards import _check_weights, load_standards
from ars_analysis.fieldforce.targets import attainment
from ars_analysis.fieldforce.time_use import time_use
from ars_analysis.fieldforce.visits import visit_compliance
from ars_analysis.scoring import Measure, WeightedScorecard

#: How each KPI of :data:`SCORECARD_KPIS` enters the overall score (explained in the standards
#: file): a share as itself, ``far_checkin_share`` turned around, ``attainment`` against its cap,
#: time in store and visits per day against their reference, new terminals against the best rep.
_KPI_METHOD = {
    "visit_completion": ("share", True),
    "visit_order_rate": ("share", True),
    "top_terminal_coverage": ("share", True),
    "frequency_compliance": ("share", True),
    "far_checkin_share": ("share", False),
    "attainment": ("target", True),
    "avg_time_in_store_min": ("target", True),
    "visits_per_day": ("target", True),
    "new_terminals": ("relative_to_best", True),
}


def rep_score_card(std: Mapping) -> WeightedScorecard | None:
    """The rep scorecard's overall score as the one scoring mechanism.

    Every KPI with a weight in ``std["scorecard_weights"]`` is a measure on ``0..1``
    (:data:`_KPI_METHOD`); the total is ``100 *`` their weighted mean over the KPIs a rep has,
    none when those carry less than ``min_score_basis`` of the weights. ``None`` without weights.

    >>> card = rep_score_card(load_standards())
    >>> [(m.key, m.method, m.weight) for m in card.measures][:2]
    [('visit_completion', 'share', 0.25), ('visit_order_rate', 'share', 0.15)]
    """
    weights = std["scorecard_weights"]
    if not weights:
        return None
    measures = []
    for k, w in weights.items():
        method, up = _KPI_METHOD[k]
        target = None
        if k == "attainment":
            target = std["attainment_cap"]
        elif method == "target":
            target = std["reference"][k]
        measures.append(
            Measure(k, column=k, method=method, weight=w, higher_is_better=up, target=target)
        )
    return WeightedScorecard(
        tuple(measures),
        unit=1.0,
        factor=100.0,
        min_basis=std.get("min_score_basis", 0.0),
        source="visit standards: scorecard_weights",
    )


def _score(card: pd.DataFrame, std: dict) -> pd.Series:
    sc = rep_score_card(std)
    if sc is None:
        return pd.Series(np.nan, index=card.index)
    # A rep measured on only a few KPIs (e.g. a manager without terminals of his own) gets no
    # score rather than a high one on what little is measured: ranking him would mislead.
    return sc.score(card).total


def rep_scorecard(
    visits: pd.DataFrame,
    terminals: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    rep_sales: pd.DataFrame | None = None,
    terminal_sales: pd.DataFrame | None = None,
    *,
    freq: str | None = None,
    start=None,
    end=None,
    weights: Mapping | None = None,
    standards: Mapping | None = None,
    top_share: float | None = None,
    bands: Iterable[float] | None = None,
    far_m: float | None = None,
    grades: pd.DataFrame | None = None,
    standards_path: str | Path | None = None,
    sales: pd.DataFrame | None = None,
    top_terminals=None,
    standards_layers: Sequence[Layer] = (),
) -> pd.DataFrame:
    """One row per rep (per period with ``freq``): the behaviour KPIs and attainment.

    Usable as the behaviour KPIs of an incentive plan (the column names are a contract:
    :data:`SCORECARD_KPIS`).

    Parameters
    ----------
    visits, terminals : DataFrame
        Contract tables.
    reps : DataFrame, optional
        Adds ``rep_name``, ``team_id``, ``region``; every rep of ``reps`` gets a row, visited or
        not.
    targets, rep_sales : DataFrame, optional
        Contract ``targets`` and ``aggregate.rep_sales(ds, freq="M")`` for ``attainment``
        (NaN when either is missing), over the months the window touches.
    terminal_sales : DataFrame, optional
        ``aggregate.terminal_sales(ds)``: terminal volumes (and the top terminals when
        ``top_terminals`` is not given).
    freq : {"M", "Q", "Y"}, optional
        One row per rep and period of the window (time measures by the period of the working
        day, visit completion by the period of the planned date).
    start, end : date-like, optional
        Window of the visits, the frequency standard, new terminals and attainment months
        (default: first to last visit date).
    weights : dict, optional
        KPI -> weight of the overall ``score`` (default ``scorecard_weights`` of the standards).
    standards_layers : sequence of Layer, optional
        Client layers over the standards file (a client configuration's ``visit_standards``).
    standards, top_share, bands, far_m, grades, standards_path
        Passed to :func:`load_standards`, :func:`frequency_vs_standard` and
        :func:`checkin_distance`.
    sales : DataFrame, optional
        The sales lines (whole history, not only the window) for ``new_terminals``: terminals
        whose first sales line falls in the window, when the sales reach at least
        ``new_terminal_history_months`` before it (:func:`new_terminal_list`). Without them,
        or without enough history, ``new_terminals`` is NaN (unknown), never a count of
        visited terminals.
    top_terminals : DataFrame or iterable of str, optional
        The client's shared top-terminal set (:func:`ars_analysis.compose.top_terminals` on
        the whole dataset). :func:`scorecard_from_dataset` passes it; without it the top
        terminals are ranked here from ``terminal_sales`` with ``top_share``.

    Returns
    -------
    DataFrame
        ``rep_id`` (+ ``period``), ``rep_name, team_id, region`` (when ``reps`` is given), then
        ``visit_completion``, ``visit_order_rate``, ``top_terminal_coverage``,
        ``frequency_compliance`` (shares 0-1), ``avg_time_in_store_min``, ``visits_per_day``,
        ``far_checkin_share`` (0-1), ``new_terminals`` (count, float: NaN when unknown),
        ``attainment``, ``score``
        (0-100, weighted mean of the KPIs scaled to 0-1 as explained in the standards file,
        over the KPIs the rep has; empty when those carry less than ``min_score_basis`` of the
        weights, e.g. a manager without terminals of his own), plus context: ``planned_visits``, ``done_visits``,
        ``unplanned_visits``, ``excluded_visits`` (left out of time measures),
        ``revenue``, ``target_revenue``.

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1"], "terminal_id": ["T1", "T2"],
    ...     "planned_date": ["2025-01-02", "2025-01-02"],
    ...     "check_in": ["2025-01-02 09:00", None], "check_out": ["2025-01-02 09:20", None],
    ...     "activities": ["order", None], "latitude": [30.0, None], "longitude": [120.0, None]})
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2"], "rep_id": ["R1", "R1"],
    ...                   "latitude": [30.0, 30.1], "longitude": [120.0, 120.1]})
    >>> card = rep_scorecard(v, t)
    >>> card[["visit_completion", "visit_order_rate", "avg_time_in_store_min"]].values.tolist()
    [[0.5, 0.5, 20.0]]
    """
    _check_freq(freq)
    std = load_standards(
        standards_path,
        layers=standards_layers,
        frequency=dict(standards) if standards is not None else None,
        top_share=top_share,
    )
    if weights is not None:
        std["scorecard_weights"] = _check_weights(weights)
    if bands is not None:
        std["distance_bands_m"] = [float(b) for b in bands]
    if far_m is not None:
        std["far_checkin_m"] = float(far_m)
    keys = ["rep_id"] + (["period"] if freq else [])

    vis = prepare_visits(visits)
    if start is not None or end is not None:
        lo, hi = _window(vis, start, end)
        in_window = (vis["visit_date"] >= lo) & (vis["visit_date"] <= hi)
    else:
        in_window = pd.Series(True, index=vis.index)
        lo, hi = _window(vis, None, None)
    vw = vis[in_window]

    comp = visit_compliance(vw, freq=freq)
    tu = time_use(vw, freq=freq)
    dist = distance_summary(
        checkin_distance(vw, terminals, bands=std["distance_bands_m"], far_m=std["far_checkin_m"]),
        freq=freq,
    )
    dist = dist.drop_duplicates(keys)[keys + ["far_checkin_share"]]
    fq = frequency_vs_standard(
        vw, terminals, terminal_sales, grades=grades, standards=std["frequency"],
        top_share=std["top_share"], freq=freq, start=lo, end=hi, top=top_terminals,
    )  # fmt: skip
    fs = frequency_summary(fq)
    if sales is not None:
        nt = new_terminals(sales, terminals, start=lo, end=hi, freq=freq,
                           history_months=std["new_terminal_history_months"])  # fmt: skip
    else:
        nt = pd.DataFrame({k: pd.Series(dtype=object) for k in keys})
        nt["new_terminals"] = pd.Series(dtype="int64")
        nt.attrs["available"] = False
    nt_available = bool(nt.attrs.get("available", False))

    # the frame of rows: every rep seen anywhere (and every period with visits)
    frames = [comp[keys], tu[keys], fs[keys]] + ([nt[keys]] if len(nt) else [])
    base = pd.concat(frames).drop_duplicates()
    base = base[base["rep_id"] != UNKNOWN]
    if freq:  # only the periods of the window (a visit planned for it may be done just outside)
        base = base[base["period"].isin(_period_bounds(lo, hi, freq)["period"])]
    if reps is not None:
        _require(reps, "reps", ["rep_id"])
        if freq:
            periods = sorted(set(base["period"].dropna()))
            extra = (
                reps[["rep_id"]]
                .drop_duplicates()
                .merge(pd.DataFrame({"period": periods}), how="cross")
            )
        else:
            extra = reps[["rep_id"]].drop_duplicates()
        base = pd.concat([base, extra]).drop_duplicates()
    card = base.merge(comp, on=keys, how="left")
    card = card.merge(
        tu[keys + ["avg_time_in_store_min", "visits_per_day", "excluded_visits"]],
        on=keys,
        how="left",
    )
    card = card.merge(dist, on=keys, how="left")
    card = card.merge(
        fs[keys + ["top_terminal_coverage", "frequency_compliance"]], on=keys, how="left"
    )
    card = card.merge(nt, on=keys, how="left")
    card["new_terminals"] = (
        card["new_terminals"].fillna(0).astype("float64") if nt_available else np.nan
    )
    card["excluded_visits"] = card["excluded_visits"].fillna(0).astype("int64")
    for c in ("planned_visits", "done_visits", "unplanned_visits"):
        card[c] = card[c].fillna(0).astype("int64")

    if targets is not None and rep_sales is not None:
        att = attainment(rep_sales, targets, freq=freq, start=lo, end=hi)
        if not freq:
            att = att.drop(columns="period")
        card = card.merge(
            att[keys + ["revenue", "target_revenue", "attainment"]], on=keys, how="left"
        )
    else:
        card["revenue"] = np.nan
        card["target_revenue"] = np.nan
        card["attainment"] = np.nan
    card["score"] = _score(card, std)

    info_cols: list[str] = []
    if reps is not None:
        info = _rep_info(reps)
        card = card.merge(info, on="rep_id", how="left")
        info_cols = [c for c in ("rep_name", "team_id", "region") if c in card.columns]
    cols = (
        keys
        + info_cols
        + list(SCORECARD_KPIS)
        + [
            "score",
            "planned_visits",
            "done_visits",
            "unplanned_visits",
            "excluded_visits",
            "revenue",
            "target_revenue",
        ]
    )
    return card[cols].sort_values(keys, kind="mergesort").reset_index(drop=True)
