"""The field organisation of the synthetic world: hires over time, leavers, training, role habits.

:func:`add_field_organisation` is applied to the tables of :func:`~.world.generate_dataset`
after they are built. It draws from its own random stream (``[seed, 16]``), so the tables it does
not touch are exactly those of the generator without it, and every change is deterministic:

* **hires spread over time with a learning curve**: about a quarter of the salespeople and
  promoters are hired during the period (the 2nd month to 5 months before its end). Before their
  first full month, their terminals' sales are credited to a colleague of the region who covered
  the vacancy (and took over the target) and they have no target; afterwards their sales (those of every field rep, hired
  before the period too) reach
  ``1 - LEARNING_GAP * exp(-m / LEARNING_MONTHS)`` of what an experienced rep sells (``m`` =
  whole months since hire), and a share ``DISCIPLINE_GAP * exp(-m / LEARNING_MONTHS)`` of their
  planned visits in the visit log is not done;
* **leavers**: about one in ten of the other field reps leaves (``end_date`` = the last day of a
  month between the 4th month and the month before the last); afterwards their sales and
  terminals go to the covering colleague (with the target) and they have no target. The visit log has no visits of
  a rep before the hire date or after the end date (the vacancy is not visited);
* **training**: reps employed from 3 months before to 3 months after one of three course dates
  (the 9th, 13th and 17th month) and with at least a year of tenure 3 months before it are
  trained with probability 0.3 at each date; from the month after the course their sales rise by
  :data:`TRAINING_EFFECT` (the planted effect the training comparison must find);
* **role habits**: promoters (导购员) work in store on display and promotion and rarely take
  orders (80 % of their done visits record ``display;promotion`` only).

Examples
--------
>>> from ars_analysis.data.synth import generate_dataset
>>> t = generate_dataset(seed=2, n_customers=24, n_terminals=240, n_reps=40, months=24)
>>> int(t["reps"]["end_date"].notna().sum()) > 0, len(t["training"]) > 0
(True, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Planted effect of a course on the trained rep's sales from the month after it (+10 %).
TRAINING_EFFECT = 0.10
#: A new hire sells ``1 - LEARNING_GAP`` of an experienced rep's sales in the first month ...
LEARNING_GAP = 0.5
#: ... and the gap shrinks with this time constant (months).
LEARNING_MONTHS = 3.0
#: Share of a new hire's planned visits not done in the first month (shrinks the same way).
DISCIPLINE_GAP = 0.35
#: Course names of the synthetic training table.
COURSES = ("拜访八步骤", "终端陈列标准", "产品知识与卖点", "客情与谈判")
#: Months (0-based, in the period) of the three course dates, and the chance that a rep not yet
#: trained is trained at each (about half of the field force over the three).
COURSE_MONTHS = (8, 12, 16)
TRAINED_SHARE = 0.3


def _months_between(later: pd.Series, earlier) -> np.ndarray:
    """Whole months from ``earlier`` to ``later`` (both month starts)."""
    a = pd.DatetimeIndex(later)
    b = pd.DatetimeIndex(earlier) if not isinstance(earlier, pd.Timestamp) else None
    if b is None:
        return ((a.year - earlier.year) * 12 + (a.month - earlier.month)).to_numpy()
    return ((a.year - b.year) * 12 + (a.month - b.month)).to_numpy()


def _scale_sales(sales: pd.DataFrame, mask: np.ndarray, factor: np.ndarray) -> None:
    """Scale quantity, revenue and cost of the masked lines in place (quantity stays whole and
    keeps its sign)."""
    if not mask.any():
        return
    q = sales.loc[mask, "quantity"].to_numpy()
    newq = np.round(q * factor)
    newq = np.where(q > 0, np.maximum(newq, 1), np.where(q < 0, np.minimum(newq, -1), newq))
    ratio = np.divide(newq, q, out=np.ones(len(q)), where=q != 0)
    sales.loc[mask, "quantity"] = newq.astype(sales["quantity"].dtype)
    for c in ("revenue", "cost"):
        if c in sales:
            sales.loc[mask, c] = np.round(sales.loc[mask, c].to_numpy() * ratio, 2)


def add_field_organisation(tables: dict, *, seed: int, month_starts: pd.DatetimeIndex) -> dict:
    """Hires over time, leavers, training records and promoter habits (see the module).

    Parameters
    ----------
    tables : dict of DataFrame
        The generator's tables (not modified).
    seed : int
        The generator's seed.
    month_starts : DatetimeIndex
        First day of every month of the period.

    Returns
    -------
    dict of DataFrame
        The same tables (``reps`` gains ``end_date``) plus ``training``
        (``rep_id, course, date``). With fewer than 12 months nobody is hired, leaves or
        is trained (``training`` is empty).
    """
    rng = np.random.default_rng([seed, 16])
    out = {k: v.copy() for k, v in tables.items()}
    reps, sales, targets = out["reps"], out["sales"], out["targets"]
    visits, terminals = out["visits"], out["terminals"]
    reps["end_date"] = pd.Series(pd.NaT, index=reps.index, dtype="datetime64[ns]")
    n_m = len(month_starts)
    training = pd.DataFrame(
        {"rep_id": pd.Series(dtype=object), "course": pd.Series(dtype=object),
         "date": pd.Series(dtype="datetime64[ns]")}
    )  # fmt: skip
    if n_m >= 12:
        field = np.flatnonzero(reps["role"].to_numpy() != "business_manager")
        k_hire = int(round(0.25 * len(field)))
        hires = np.sort(rng.choice(field, k_hire, replace=False)) if k_hire else np.array([], int)
        rest = np.setdiff1d(field, hires)
        k_leave = int(round(0.1 * len(field)))
        leavers = np.sort(rng.choice(rest, min(k_leave, len(rest)), replace=False))
        hire_month = rng.integers(1, n_m - 5, len(hires))
        hire_day = rng.integers(0, 20, len(hires))
        leave_month = rng.integers(3, n_m - 1, len(leavers))

        # the colleague who covers a vacancy: the region's first steady salesperson, else its
        # business manager
        moving = set(hires) | set(leavers)
        cover = {}
        for i in sorted(moving):
            region = reps.at[i, "region"]
            same = reps.index[(reps["region"] == region) & ~reps.index.isin(list(moving))]
            sp = [j for j in same if reps.at[j, "role"] == "salesperson"]
            bm = [j for j in same if reps.at[j, "role"] == "business_manager"]
            cover[i] = (sp or bm or [i])[0]
        rid = reps["rep_id"].to_numpy()

        line_month = sales["date"].dt.to_period("M").dt.to_timestamp()
        target_month = pd.to_datetime(targets["period"].astype(str) + "-01")
        first_full = {}
        drop_target = pd.Series(False, index=targets.index)
        to_cover = pd.Series(None, index=targets.index, dtype=object)
        drop_visit = pd.Series(False, index=visits.index)
        for i, m, d in zip(hires, hire_month, hire_day, strict=True):
            hired = month_starts[m] + pd.Timedelta(days=int(d))
            reps.at[i, "hire_date"] = hired
            first = month_starts[m] if d == 0 else month_starts[m] + pd.offsets.MonthBegin(1)
            first_full[i] = first
            own = (sales["rep_id"] == rid[i]).to_numpy()
            before = own & (line_month < first).to_numpy()
            sales.loc[before, "rep_id"] = rid[cover[i]]
            moved = (targets["rep_id"] == rid[i]) & (target_month < first)
            drop_target |= moved
            to_cover[moved[moved].index] = rid[cover[i]]
            v_own = visits["rep_id"] == rid[i]
            when = visits["planned_date"].fillna(visits["check_in"])
            drop_visit |= v_own & (when < hired)
        # the learning curve of every field rep (those hired before the period too)
        for i in field:
            h = pd.Timestamp(reps.at[i, "hire_date"])
            first = first_full.get(i, h.to_period("M").to_timestamp() + pd.offsets.MonthBegin(1))
            own = (sales["rep_id"] == rid[i]).to_numpy() & (line_month >= first).to_numpy()
            m_since = _months_between(line_month[own], first)
            if len(m_since) and m_since.min() < 24:
                _scale_sales(sales, own, 1 - LEARNING_GAP * np.exp(-m_since / LEARNING_MONTHS))
        for i, m in zip(leavers, leave_month, strict=True):
            end = month_starts[m] + pd.offsets.MonthEnd(0)
            reps.at[i, "end_date"] = end
            own = (sales["rep_id"] == rid[i]).to_numpy()
            sales.loc[own & (sales["date"] > end).to_numpy(), "rep_id"] = rid[cover[i]]
            moved = (targets["rep_id"] == rid[i]) & (target_month > end)
            drop_target |= moved
            to_cover[moved[moved].index] = rid[cover[i]]
            when = visits["planned_date"].fillna(visits["check_in"])
            drop_visit |= (visits["rep_id"] == rid[i]) & (when > end)
            if end < month_starts[-1]:
                terminals.loc[terminals["rep_id"] == rid[i], "rep_id"] = rid[cover[i]]

        # the colleague covering a vacancy takes over its target too
        extra = (
            targets[drop_target].assign(rep_id=to_cover[drop_target])
            .groupby(["rep_id", "period"])["target_revenue"].sum()
        )  # fmt: skip
        targets = targets[~drop_target].copy()
        add = pd.MultiIndex.from_frame(targets[["rep_id", "period"]]).map(
            lambda k: extra.get(k, 0.0)
        )
        targets["target_revenue"] = targets["target_revenue"] + np.asarray(add, dtype=float)
        visits = visits[~drop_visit]

        # new hires' planned visits: fewer done in the first months
        for i in hires:
            planned = (visits["rep_id"] == rid[i]) & visits["planned_date"].notna()
            done = planned & visits["check_in"].notna()
            m_since = _months_between(visits.loc[done, "planned_date"].dt.to_period("M")
                                      .dt.to_timestamp(), first_full[i])  # fmt: skip
            p = DISCIPLINE_GAP * np.exp(-np.maximum(m_since, 0) / LEARNING_MONTHS)
            drop = rng.random(int(done.sum())) < p
            idx = visits.index[done][drop]
            visits.loc[idx, ["check_in", "check_out"]] = pd.NaT
            visits.loc[idx, "activities"] = None
            visits.loc[idx, ["latitude", "longitude"]] = np.nan

        # training: three course dates; reps employed from 3 months before to 3 months after
        rows = []
        end = reps["end_date"]
        untrained = set(field)
        for k, cm in enumerate(COURSE_MONTHS):
            if cm + 4 > n_m:
                break
            date = month_starts[cm] + pd.Timedelta(days=14)
            lo, hi = month_starts[cm - 3], month_starts[cm + 3] + pd.offsets.MonthEnd(0)
            pool = [i for i in sorted(untrained)
                    if reps.at[i, "hire_date"] <= lo - pd.DateOffset(months=12)]  # fmt: skip
            pool = [i for i in pool if pd.isna(end[i]) or end[i] >= hi]
            chosen = [i for i, u in zip(pool, rng.random(len(pool)), strict=True)
                      if u < TRAINED_SHARE]  # fmt: skip
            for i in chosen:
                untrained.discard(i)
                rows.append({"rep_id": rid[i], "course": COURSES[k % len(COURSES)], "date": date})
                own = (sales["rep_id"] == rid[i]).to_numpy()
                after = own & (line_month > date).to_numpy()
                _scale_sales(sales, after, np.full(int(after.sum()), 1 + TRAINING_EFFECT))
        if rows:
            training = pd.DataFrame(rows)
            training["date"] = pd.to_datetime(training["date"])

    # promoters work in store: display and promotion, rarely an order
    prom = set(reps.loc[reps["role"] == "promoter", "rep_id"])
    done = visits["rep_id"].isin(prom) & visits["check_in"].notna()
    swap = done.to_numpy() & (rng.random(len(visits)) < 0.8)
    visits.loc[swap, "activities"] = "display;promotion"

    out["targets"] = targets.reset_index(drop=True)
    out["visits"] = visits.reset_index(drop=True)
    out["training"] = training.sort_values(["date", "rep_id"], kind="mergesort").reset_index(
        drop=True
    )
    return out
