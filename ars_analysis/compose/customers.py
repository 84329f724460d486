"""Composition of the core-customer analysis: from a dataset to :class:`~ars_analysis.customers.CoreCustomerResult`.

These functions aggregate the dataset (:mod:`ars_analysis.compose.aggregate`), apply the client's
definitions (:mod:`ars_analysis.compose.definitions`) and call the pure functions of
:mod:`ars_analysis.customers`.
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.client import load_client_config
from ars_analysis.compose.aggregate import customer_sales, sales_by
from ars_analysis.compose.definitions import filter_region, top_terminals
from ars_analysis.compose.health import health_features
from ars_analysis.customers import (
    CoreCustomerResult,
    Scorecard,
    abc_groups,
    abc_summary,
    computed_abc,
    core_counts,
    customer_features,
    dimension_gaps,
    fit_segments,
    grade_movements,
    movement_periods,
    period_classes,
    sales_trend,
    scoped_abc,
    transition_matrix,
    trend_at_risk,
    trend_seedlings,
)
from ars_analysis.data.dataset import Dataset
from ars_analysis.data.snapshot import memo, path_arg

__all__ = [
    "analyse_core_customers",
    "core_customer_inputs",
    "core_customers",
    "customer_grades",
    "period_grades",
]


# ------------------------------------------------------------------------------------------------
# notebook helpers
# ------------------------------------------------------------------------------------------------
def core_customer_inputs(dataset, *, territory=None, freq: str = "Q") -> dict[str, pd.DataFrame]:
    """Aggregate a loaded dataset into the tables of the core-customer analysis.

    Parameters
    ----------
    dataset : Dataset
        A loaded (and possibly :func:`~ars_analysis.data.dataset.subset`) dataset.
    territory : str or list of str, optional
        Keep only the distributors of these territories (责任地区).
    freq : {"M", "Q", "Y"}
        Period of the grade movements.

    Returns
    -------
    dict
        ``features`` (:func:`customer_features` with every input the dataset has) and
        ``periods`` (:func:`ars_analysis.compose.aggregate.customer_sales` per ``freq`` period, with the
        same customers).
    """

    sales = customer_sales(dataset)
    monthly = customer_sales(dataset, freq="M")
    ct = sales_by(dataset, ["customer_id", "terminal_id"])
    periods = customer_sales(dataset, freq=freq)
    customers = dataset.tables.get("customers")
    receivables = dataset.tables.get("receivables")
    features = customer_features(
        sales,
        periods=monthly,
        customer_terminals=ct,
        customers=customers,
        receivables=receivables,
    )
    if territory is not None:
        wanted = [territory] if isinstance(territory, str) else list(territory)
        if "territory" not in features:
            raise ValueError("territory filter given but the customers table has no territory")
        unknown = sorted(set(wanted) - set(features["territory"].dropna()))
        if unknown:
            raise ValueError(
                f"customers.territory has no {unknown}; known: "
                f"{sorted(features['territory'].dropna().unique())}"
            )
        features = features[features["territory"].isin(wanted)].reset_index(drop=True)
    periods = periods[periods["customer_id"].isin(features["customer_id"])].reset_index(drop=True)
    return {"features": features, "periods": periods}


def _dataset_features(dataset, *, start=None, end=None, top_ids=None) -> pd.DataFrame:

    sales = customer_sales(dataset, start=start, end=end)
    monthly = customer_sales(dataset, freq="M", start=start, end=end)
    ct = sales_by(dataset, ["customer_id", "terminal_id"], start=start, end=end)
    receivables = dataset.tables.get("receivables")
    if receivables is not None and end is not None and "as_of_date" in receivables:
        receivables = receivables[receivables["as_of_date"] <= pd.Timestamp(end)]
    feats = customer_features(
        sales,
        periods=monthly,
        customer_terminals=ct,
        customers=dataset.tables.get("customers"),
        receivables=receivables,
        top_terminal_ids=top_ids,
    )
    # the four flows (optional scorecard dimensions): only the columns the data can give
    flows = health_features(dataset, start=start, end=end)
    return feats.merge(flows, on="customer_id", how="left") if flows.shape[1] > 1 else feats


def customer_grades(
    dataset,
    cfg=None,
    *,
    top: pd.DataFrame | None = None,
    scorecard: Scorecard | str | None = None,
) -> pd.DataFrame:
    """Every distributor's scorecard grade for the dataset's period (the client's one
    definition of a core customer: grade A).

    Computed on **all** distributors of ``dataset`` (features, percentile dimensions within
    territory) exactly as :func:`analyse_core_customers` does, so every report — core
    customers, terminal network, field execution — names the same core customers.

    Parameters
    ----------
    dataset : Dataset
        The period's dataset, every region.
    cfg : ClientConfig, optional
        The client configuration (its top-terminal definition feeds the reach dimension).
    top : DataFrame, optional
        :func:`ars_analysis.compose.top_terminals` of the dataset (computed when not given).
    scorecard : Scorecard or path, optional
        The grading standard (default ``config/scorecard_default.yml``).

    Returns
    -------
    DataFrame
        ``customer_id``, ``customer_name``, ``region``, ``territory``, ``city`` (those the
        customers table has), ``revenue``, ``score``, ``grade``, ``is_core`` (grade A).
    """

    cfg = cfg or load_client_config()
    card = (
        scorecard
        if isinstance(scorecard, Scorecard)
        else Scorecard(scorecard, layers=cfg.layer("scorecard"))
    )
    if top is None:
        top = top_terminals(dataset, cfg.definitions.top_terminal)
    top_ids = top.loc[top["is_top"], "terminal_id"].astype(str).tolist()
    feats = memo(  # whole dataset: shared by every report of a batch (data.snapshot)
        "features", dataset, (top_ids,), lambda: _dataset_features(dataset, top_ids=top_ids)
    )
    scored = card.score(feats)
    info = [c for c in ("customer_name", "region", "territory") if c in feats]
    out = feats[["customer_id", *info, "revenue"]].merge(
        scored[["customer_id", "score", "grade"]], on="customer_id"
    )
    customers = dataset.tables.get("customers")
    if customers is not None and "city" in customers and "city" not in out:
        city = customers.drop_duplicates("customer_id").set_index("customer_id")["city"]
        out["city"] = out["customer_id"].map(city)
    out["is_core"] = out["grade"].astype(str) == "A"
    return out.reset_index(drop=True)


def period_grades(
    dataset,
    scorecard: Scorecard,
    *,
    freq: str = "Q",
    top_terminal_ids=None,
) -> pd.DataFrame:
    """The scorecard re-scored per period, on features computed for that period alone.

    Every distributor with sales in a period is scored against all distributors of that
    period (one grade per distributor and period, whatever the report's scope).

    Returns
    -------
    DataFrame
        ``period``, ``customer_id``, ``revenue``, ``score``, ``grade``.
    """

    labels_ = sorted(customer_sales(dataset, freq=freq)["period"].astype(str).unique())
    rows = []
    for p in labels_:
        per = pd.Period(p, freq=freq)
        f = _dataset_features(
            dataset, start=per.start_time, end=per.end_time, top_ids=top_terminal_ids
        )
        if f.empty:
            continue
        s = scorecard.score(f)
        rows.append(
            pd.DataFrame(
                {
                    "period": p,
                    "customer_id": s["customer_id"].to_numpy(),
                    "revenue": f["revenue"].to_numpy(),
                    "score": s["score"].to_numpy(),
                    "grade": s["grade"].astype(str).to_numpy(),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["period", "customer_id", "revenue", "score", "grade"])
    out = pd.concat(rows, ignore_index=True)
    out["grade"] = pd.Categorical(out["grade"], categories=[g[0] for g in scorecard.grades])
    return out


def analyse_core_customers(
    dataset,
    cfg=None,
    *,
    region=None,
    top: pd.DataFrame | None = None,
    scorecard: Scorecard | str | None = None,
    measure: str = "revenue",
    second_measure: str = "gross_margin",
    random_state: int | None = 0,
    segments: bool = True,
) -> CoreCustomerResult:
    """The core-customer analysis of one report (national or one region).

    Features, scores, grades, ABC classes, trends and segments are computed on **all**
    distributors of ``dataset`` (the period's whole dataset) and then filtered to ``region``:
    a distributor has one grade per period, whatever report shows it.

    Parameters
    ----------
    dataset : Dataset
        The period's dataset, every region (``subset(ds, start=, end=)``, no region).
    cfg : ClientConfig, optional
        The client configuration (default: the sample client's).
    region : str or list, optional
        The report's scope (``None``: national).
    top : DataFrame, optional
        :func:`ars_analysis.compose.top_terminals` of the dataset (computed when not given).
    scorecard : Scorecard or path, optional
        The grading standard (default ``config/scorecard_default.yml``).
    measure, second_measure : str
        ABC measure and the second measure of the 3x3 matrix.
    random_state : int, optional
        Seed of the segmentation.
    segments : bool
        Segment the distributors (when the sample is large enough).

    Returns
    -------
    CoreCustomerResult

    Examples
    --------
    >>> from ars_analysis import load_dataset
    >>> ds = load_dataset("data/sample")  # doctest: +SKIP
    >>> res = analyse_core_customers(ds, region="华南")  # doctest: +SKIP
    >>> res.grade_counts()  # doctest: +SKIP
    """

    cfg = cfg or load_client_config()
    cc = cfg.definitions.core_customer
    card = (
        scorecard
        if isinstance(scorecard, Scorecard)
        else Scorecard(scorecard, layers=cfg.layer("scorecard"))
    )
    if top is None:
        top = top_terminals(dataset, cfg.definitions.top_terminal)
    top_ids = top.loc[top["is_top"], "terminal_id"].astype(str).tolist()

    # 1. every distributor of the period
    feats = memo(  # whole dataset: shared by every report of a batch (data.snapshot)
        "features", dataset, (top_ids,), lambda: _dataset_features(dataset, top_ids=top_ids)
    )
    if feats.empty:
        raise ValueError("no distributor has sales in the period")
    if region is not None:
        known = set(feats["region"].dropna()) if "region" in feats else set()
        wanted = [region] if isinstance(region, str) else list(region)
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ValueError(f"no distributor in region(s) {unknown}; known: {sorted(known)}")
    scored_all = card.score(feats)
    info = [c for c in ("customer_name", "region", "territory") if c in feats]
    scored_all = feats[["customer_id", *info, measure]].merge(
        scored_all.drop(columns=[c for c in info if c in scored_all]), on="customer_id"
    )
    abc_all = scoped_abc(
        feats, measure, scope=cc.abc_scope, min_group=cc.abc_min_group, cuts=cc.abc_cuts
    )
    second = scoped_abc(
        feats, second_measure, scope=cc.abc_scope, min_group=cc.abc_min_group, cuts=cc.abc_cuts
    )
    cells = abc_all[["customer_id", "abc_class"]].merge(
        second[["customer_id", "abc_class"]], on="customer_id", suffixes=("_1", "_2")
    )
    cells["cell"] = cells["abc_class_1"].astype(str) + cells["abc_class_2"].astype(str)
    computed_all = computed_abc(feats, measure, sort=False) if len(feats) >= 3 else None

    monthly = customer_sales(dataset, freq="M")
    p0, p1 = dataset.period if dataset.period is not None else (None, None)
    months = (
        [str(p) for p in pd.period_range(p0, p1, freq="M")]
        if p0 is not None
        else sorted(monthly["period"].astype(str).unique())
    )
    trend_all = sales_trend(monthly, months=months, measure=measure, level=cc.trend_level)
    floor = float(feats[measure].quantile(cc.seedling_min_revenue_quantile))
    gaps_all = dimension_gaps(scored_all, card)

    # 2. grade movements: re-scored per period
    pg_all = memo(
        "period_grades",
        dataset,
        (path_arg(scorecard), cc.movement_freq, top_ids),
        lambda: period_grades(dataset, card, freq=cc.movement_freq, top_terminal_ids=top_ids),
    )
    start = end = None
    if pg_all["period"].nunique() >= 2:
        start, end = movement_periods(pg_all)
    seg, reason = (None, "off")
    if segments:
        seg, reason = memo(
            "segments",
            dataset,
            (cfg, top_ids, random_state),
            lambda: fit_segments(feats, cfg, random_state),
        )

    # 3. the report's scope
    keep = set(filter_region(feats, region)["customer_id"]) if region is not None else None

    def scope(frame):
        if frame is None:
            return None
        if keep is None:
            return frame.reset_index(drop=True)
        return frame[frame["customer_id"].isin(keep)].reset_index(drop=True)

    scored = scope(scored_all)
    abc = scope(abc_all)
    computed = scope(computed_all) if computed_all is not None else abc.iloc[0:0]
    items = scope(cells)
    classes = ["A", "B", "C"]
    matrix = pd.crosstab(
        pd.Categorical(items["abc_class_1"].astype(str), categories=classes),
        pd.Categorical(items["abc_class_2"].astype(str), categories=classes),
        dropna=False,
    ).reindex(index=classes, columns=classes, fill_value=0)
    matrix.index.name, matrix.columns.name = measure, second_measure
    pg = scope(pg_all)
    transitions = movements = abc_mv = latest = None
    if start is not None:
        transitions = transition_matrix(pg, start, end, column="grade")
        movements = grade_movements(pg, start, end, column="grade", measure="revenue")
        latest = pg[pg["period"] == end]
        pc = period_classes(
            customer_sales(dataset, freq=cc.movement_freq), measure, cuts=cc.abc_cuts,
            items=feats["customer_id"],
        )  # fmt: skip
        abc_mv = scope(grade_movements(pc, start, end, measure=measure))
    trend = scope(trend_all)
    base = scored[["customer_id", *info, measure, "score", "grade"]]
    gaps = scope(gaps_all)
    seeds = trend_seedlings(base, trend, min_revenue=floor).merge(gaps, on="customer_id")
    risk = trend_at_risk(base, trend)
    counts = core_counts(scored, abc, computed, items.assign(customer_id=items["customer_id"]),
                         latest, measure=measure)  # fmt: skip
    top_scope = filter_region(top, region) if region is not None and "region" in top else top
    seg_assign = seg_profiles = None
    if seg is not None:
        seg_assign = scope(
            pd.DataFrame({"customer_id": feats["customer_id"], "segment": seg.labels_})
        )
        if len(seg_assign) < cfg.min_sample.segments:
            reason = "too_few"
        else:
            prof = seg.profiles_.copy()
            counts_in = seg_assign["segment"].value_counts()
            prof["n_customers"] = prof.index.map(counts_in).fillna(0).astype("int64")
            prof["share"] = prof["n_customers"] / max(len(seg_assign), 1)
            seg_profiles = prof.reset_index()
    return CoreCustomerResult(
        region=region,
        measure=measure,
        sales_period=(p0, p1),
        n_all=len(feats),
        scorecard=card,
        scored=scored,
        features=scope(feats),
        abc=abc,
        abc_summary=abc_summary(abc, measure),
        abc_groups=abc_groups(abc, measure),
        computed=computed,
        computed_summary=abc_summary(computed, measure) if len(computed) else abc_summary(abc, measure).iloc[0:0],
        matrix=matrix,
        counts=counts,
        period_grades=pg,
        movement_start=start,
        movement_end=end,
        transitions=transitions,
        movements=movements,
        abc_movements=abc_mv,
        trend=trend,
        size_floor=floor,
        seedlings=seeds,
        at_risk=risk,
        gaps=gaps,
        top_terminal_ids=sorted(top_scope.loc[top_scope["is_top"], "terminal_id"].astype(str)),
        segmenter=seg if seg_profiles is not None else None,
        segments=seg_assign if seg_profiles is not None else None,
        segment_profiles=seg_profiles,
        segment_reason=None if seg_profiles is not None else reason,
        options={"scope": cc.abc_scope, "min_group": cc.abc_min_group, "cuts": cc.abc_cuts,
                 "freq": cc.movement_freq,
            "trend_level": cc.trend_level, "second_measure": second_measure},
    )  # fmt: skip


def core_customers(dataset: Dataset, cfg=None, *, top: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every distributor with its scorecard grade and whether it is a core customer (grade A):
    the client's one definition, computed on the whole dataset (see
    :func:`ars_analysis.compose.customer_grades`)."""
    return memo(  # shared by every report of a batch
        "core_customers", dataset, (cfg, top), lambda: customer_grades(dataset, cfg, top=top)
    )
