"""Monte Carlo of plan cost under uncertain sales, and a sensitivity (tornado) of cost.

Sales outcomes are drawn from :class:`AttainmentModel`, a lognormal model of monthly attainment
(revenue / target) fitted on history:

``log a[s, r, t] = mu[r] + tau[g] * z[s, g, t] + sigma[r] * e[s, r, t]``

with ``z`` and ``e`` independent standard normals: ``z`` is a shock shared by all reps of region
``g`` in a month (reps of a region move together), ``e`` is the rep's own noise. Each rep's
``mu`` and ``sigma^2`` are shrunk towards the region's values with weight
``n / (n + shrinkage)`` (``n`` = the rep's months of history), so reps with little history
borrow from their region. Months with attainment below ``floor`` are counted at ``floor``.

Behaviour KPIs (for plans with a scorecard or gates) are not held fixed: in every scenario
each rep's KPIs of each simulated month are drawn from the months in which that rep's KPIs were
measured (bootstrap of whole months, so the KPIs of one month stay together); a rep with no
measured month draws from the measured months of the reps of its region. So a rep who met the
visit gate in 2 of 3 measured months meets it in about two thirds of the simulated months.

Every plan is paid on the *same* scenarios (common random numbers), so differences between
plans are not noise. An optional, clearly labelled **behavioural assumption** lets attainment
respond to the plan: with ``elasticity = e`` (default 0 = off) each rep's attainment is
multiplied by ``(m_plan / m_baseline) ** e``, where ``m`` is the rep's marginal incentive per
unit of revenue around its median attainment (clipped to [0.5, 2]).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ars_analysis.incentives.backtest import (
    _as_plans,
    _measure_ratios,
    _results_only,
    kpi_months,
)
from ars_analysis.incentives.engine import vector_payout
from ars_analysis.incentives.grid import Grid, build_grid
from ars_analysis.incentives.plan import SENSITIVITY_PARAMETERS, Plan


class AttainmentModel:
    """Lognormal monthly attainment per rep with regional shocks and shrinkage to the region.

    Parameters
    ----------
    shrinkage : float
        Pseudo-months of the region's values mixed into each rep's (0 = no shrinkage).
    floor : float
        Smallest monthly attainment used in the log (months with no sales count as ``floor``).

    Attributes
    ----------
    reps_ : DataFrame
        ``rep_id, region, n_months, mu, sigma`` (log scale, after shrinkage).
    regions_ : DataFrame
        ``region, mu, sigma, tau`` (tau = sd of the regional monthly shock).

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"rep_id": ["a"] * 3 + ["b"] * 3,
    ...                       "period": ["2025-01", "2025-02", "2025-03"] * 2,
    ...                       "revenue": [90.0, 110.0, 100.0, 80.0, 120.0, 100.0]})
    >>> targets = sales.drop(columns="revenue").assign(target_revenue=100.0)
    >>> m = AttainmentModel(shrinkage=0).fit(sales, targets)
    >>> m.reps_["n_months"].tolist()
    [3, 3]
    """

    def __init__(self, shrinkage: float = 6.0, floor: float = 0.05):
        self.shrinkage = shrinkage
        self.floor = floor

    def fit(self, sales: pd.DataFrame, targets: pd.DataFrame, reps: pd.DataFrame | None = None):
        """Estimate the model from monthly revenue and targets (columns as in ``payout``)."""
        dummy = Plan(name="fit")
        g = build_grid(dummy, sales, targets, reps=reps)
        a = np.where(
            g.mask,
            np.maximum(np.divide(g.revenue, np.where(g.mask, g.target, 1.0)), self.floor),
            np.nan,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            la = np.log(a)
            n = g.mask.sum(axis=1)
            mu_r = np.nanmean(np.where(g.mask, la, np.nan), axis=1)
            regions = list(dict.fromkeys(g.region))
            reg_rows, rep_mu, rep_sigma = [], np.zeros(len(g.reps)), np.zeros(len(g.reps))
            for reg in regions:
                idx = np.nonzero(g.region == reg)[0]
                dev = la[idx] - mu_r[idx, None]
                shock = np.nanmean(dev, axis=0)  # (T,) regional shock per month
                valid = ~np.isnan(shock)
                tau = (
                    float(np.std(shock[valid], ddof=1)) if valid.sum() > 1 and len(idx) > 1 else 0.0
                )
                resid = dev - (shock[None, :] if len(idx) > 1 else 0.0)
                var_r = np.nansum(resid**2, axis=1) / np.maximum(n[idx] - 1, 1)
                mu_g = float(np.nansum(mu_r[idx] * n[idx]) / max(n[idx].sum(), 1))
                var_g = float(np.nansum(var_r * n[idx]) / max(n[idx].sum(), 1))
                k = self.shrinkage
                w = n[idx] / (n[idx] + k) if k > 0 else np.ones(len(idx))
                w = np.where(n[idx] > 1, w, 0.0) if k > 0 else w
                rep_mu[idx] = w * np.nan_to_num(mu_r[idx], nan=mu_g) + (1 - w) * mu_g
                rep_sigma[idx] = np.sqrt(w * var_r + (1 - w) * var_g)
                reg_rows.append({"region": reg, "mu": mu_g, "sigma": np.sqrt(var_g), "tau": tau})
        self.reps_ = pd.DataFrame(
            {"rep_id": g.reps, "region": g.region, "n_months": n, "mu": rep_mu, "sigma": rep_sigma}
        )
        self.regions_ = pd.DataFrame(reg_rows)
        return self

    def _params(self, g: Grid):
        if not hasattr(self, "reps_"):
            raise ValueError("AttainmentModel: call fit() first")
        reps = self.reps_.set_index("rep_id")
        regs = self.regions_.set_index("region")
        rep_ids = pd.Index(g.reps)
        region = pd.Series(g.region)
        mu = reps["mu"].reindex(rep_ids).to_numpy(float)
        sigma = reps["sigma"].reindex(rep_ids).to_numpy(float)
        # reps without history: their region's values, else the mean over regions
        reg_mu = region.map(regs["mu"]).fillna(self.regions_["mu"].mean()).to_numpy(float)
        reg_sigma = region.map(regs["sigma"]).fillna(self.regions_["sigma"].mean()).to_numpy(float)
        mu = np.where(np.isnan(mu), reg_mu, mu)
        sigma = np.where(np.isnan(sigma), reg_sigma, sigma)
        regions = list(dict.fromkeys(g.region))
        tau = (
            pd.Series(regions).map(regs["tau"]).fillna(self.regions_["tau"].mean()).to_numpy(float)
        )
        code = pd.Series(g.region).map({r: i for i, r in enumerate(regions)}).to_numpy(int)
        return mu, sigma, tau, code

    def sample(self, g: Grid, n: int, rng: np.random.Generator, params=None) -> np.ndarray:
        """``n`` scenarios of monthly attainment on the grid: array (n, R, T)."""
        mu, sigma, tau, code = self._params(g) if params is None else params
        R, T = g.shape
        z = rng.standard_normal((n, len(tau), T))
        la = rng.standard_normal((n, R, T))
        la *= sigma[None, :, None]
        la += mu[None, :, None]
        la += (tau[code][None, :, None]) * z[:, code, :]
        return np.exp(la, out=la)


@dataclass
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes
    ----------
    scenarios : DataFrame
        One row per plan x scenario: ``plan, scenario, revenue, incentive_cost, total_cost,
        incentive_cost_rate`` (field-force pay / revenue), ``share_at_quota``.
    summary : DataFrame
        One row per plan: ``plan, revenue_mean, total_cost_mean, total_cost_p5, total_cost_p10,
        total_cost_p50, total_cost_p90, total_cost_p95, incentive_cost_rate_mean,
        incentive_cost_rate_p95, prob_over_budget, share_at_quota_mean, earnings_p10,
        earnings_p50, earnings_p90, response_multiplier``.
        ``earnings_pXX`` is the expected XXth percentile of reps' incentive over the horizon;
        ``response_multiplier`` the mean behavioural multiplier of attainment (1 when off).
    earnings : DataFrame
        ``plan, percentile, incentive``: expected percentiles 5..95 of rep incentive.
    budget : float or None
    elasticity : float
    """

    scenarios: pd.DataFrame
    summary: pd.DataFrame
    earnings: pd.DataFrame
    budget: float | None
    elasticity: float


def _response(plans, g, mu, ratios_all, baseline_idx, elasticity, bump=0.05):
    """Per plan, per rep multiplier of attainment under the behavioural assumption."""
    R, T = g.shape
    mults = []
    if elasticity == 0:
        return [np.ones(R) for _ in plans]
    med = np.exp(mu)[None, :, None] * g.target[None]
    marg = []
    for p, ratios in zip(plans, ratios_all, strict=True):
        inc = []
        for f in (1.0, 1.0 + bump):
            rev = med * f
            meas = {k: rev * v[None, :, None] for k, v in ratios.items()}
            lines = vector_payout(p, g, rev, meas)
            tot = sum(np.where(g.mask[None], v, 0.0) for v in lines.values())
            inc.append(tot[0].sum(axis=1))
        drev = (med[0] * bump * g.mask).sum(axis=1)
        marg.append(np.maximum((inc[1] - inc[0]) / np.where(drev > 0, drev, 1.0), 1e-4))
    for m in marg:
        mults.append(np.clip((m / marg[baseline_idx]) ** elasticity, 0.5, 2.0))
    return mults


def simulate(
    plans,
    model: AttainmentModel,
    sales: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    kpis: pd.DataFrame | None = None,
    n_scenarios: int = 2000,
    seed: int = 0,
    budget: float | None = None,
    elasticity: float = 0.0,
    baseline: int = 0,
    chunk_size: int = 50,
    n_jobs: int = 1,
) -> SimulationResult:
    """Pay ``n_scenarios`` simulated sales outcomes under each plan and summarise the cost.

    Parameters
    ----------
    plans : list of Plan or paths
    model : AttainmentModel
        A fitted model (see :meth:`AttainmentModel.fit`).
    sales : DataFrame
        Historical sales (``rep_id, period, revenue`` [``gross_margin``, ``category``]): only
        used for each rep's gross-margin rate and category mix.
    targets : DataFrame
        The targets of the simulated horizon (``rep_id, period, target_revenue``): revenue is
        attainment x target.
    reps : DataFrame, optional
        Regions.
    kpis : DataFrame, optional
        Monthly KPIs (``rep_id, period`` + KPI columns) when a plan reads KPIs: each rep's
        KPIs of every simulated month are drawn from its measured months (see the module).
    n_scenarios, seed, chunk_size : int
        Scenarios are drawn and paid ``chunk_size`` at a time (bounded memory); chunk ``i``
        draws from its own stream spawned from ``seed``, so results do not depend on
        ``n_jobs``.
    n_jobs : int
        Threads paying chunks in parallel (NumPy releases the GIL).
    budget : float, optional
        Budget for the total cost (base + incentive) over the horizon.
    elasticity : float
        Behavioural assumption (default 0 = off): elasticity of attainment to the marginal
        incentive, relative to the baseline plan.
    baseline : int
        Position of the baseline plan for the behavioural response.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"rep_id": ["a", "a", "b", "b"], "period": ["2025-01", "2025-02"] * 2,
    ...                       "revenue": [90.0, 110.0, 80.0, 120.0]})
    >>> targets = sales.drop(columns="revenue").assign(target_revenue=100.0)
    >>> plan = Plan.from_dict({"name": "flat", "commissions": [{"name": "c",
    ...     "tiers": [{"from": 0, "rate": 0.1}]}]})
    >>> res = simulate([plan], AttainmentModel().fit(sales, targets), sales, targets,
    ...                n_scenarios=200, seed=1)
    >>> bool(abs(res.summary.loc[0, "total_cost_mean"] - 0.1 * res.summary.loc[0, "revenue_mean"]) < 0.05)
    True
    """
    plans = _as_plans(plans)
    if n_scenarios < 1:
        raise ValueError(f"n_scenarios: expected >= 1, got {n_scenarios}")
    needed = list(dict.fromkeys(c for p in plans for c in p.kpi_columns))
    pools = None
    if needed:
        kpi_months(plans, kpis)  # checks: monthly KPIs with the columns the plans read
        grid_kpis = kpis[["rep_id", *needed]].drop_duplicates("rep_id")  # validated, replaced
    else:
        grid_kpis = kpis
    with warnings.catch_warnings():  # history outside the horizon is expected here
        warnings.simplefilter("ignore", UserWarning)
        g = build_grid(plans, sales, targets, reps=reps, kpis=grid_kpis)
    if needed:
        pools = kpi_pools(kpis, needed, g.reps, g.region, reps)
    hist = build_grid(
        [_results_only(p) for p in plans], sales, _history_targets(sales, targets), reps=reps
    )
    ratios_all = []
    for p in plans:
        r_hist = _measure_ratios(p, hist)
        pos = {r: i for i, r in enumerate(hist.reps)}
        ratios = {}
        for k, v in r_hist.items():
            overall = float(np.median(v)) if len(v) else 1.0
            ratios[k] = np.array([v[pos[r]] if r in pos else overall for r in g.reps])
        ratios_all.append(ratios)
    params = model._params(g)
    mu = params[0]
    mults = _response(plans, g, mu, ratios_all, baseline, elasticity)
    n_cells = g.mask.sum()
    tgt_rep = g.target.sum(axis=1)
    inv_tgt_rep = np.divide(1.0, tgt_rep, out=np.zeros_like(tgt_rep), where=tgt_rep > 0)
    pct = np.arange(5, 100, 5)
    starts = list(range(0, n_scenarios, chunk_size))
    seeds = np.random.SeedSequence(seed).spawn(len(starts))
    scaled_targets = [(g.target * mult[:, None])[None] for mult in mults]

    def run_chunk(i: int):
        first = starts[i]
        n = min(chunk_size, n_scenarios - first)
        rng = np.random.default_rng(seeds[i])
        att = model.sample(g, n, rng, params)
        sim_kpis = (
            None
            if pools is None
            else dict(zip(needed, draw_kpis(pools, n, g.shape[1], rng), strict=True))
        )
        res = []
        for p, ratios, tg in zip(plans, ratios_all, scaled_targets, strict=True):
            rev = att * tg  # zero where the rep has no target
            meas = {k: rev * v[None, :, None] for k, v in ratios.items()}
            lines = vector_payout(p, g, rev, meas, sim_kpis if p.kpi_columns else None)
            rep_inc = np.zeros(rev.shape[:2])  # (n, R) incentive over the horizon
            absent = {
                "bonus": p.bonus is None,
                "scorecard": p.scorecard is None,
                "draw": p.draw is None,
            }
            for name, v in lines.items():
                if not absent.get(name, False):  # absent components are all zero
                    rep_inc += v.sum(axis=2)
            rep_rev = rev.sum(axis=2)
            incentive = rep_inc.sum(axis=1)
            revenue = rep_rev.sum(axis=1)
            total = incentive + p.base_pay * n_cells
            share = (rep_rev * inv_tgt_rep[None] >= 1 - 1e-12).sum(axis=1) / max(
                (tgt_rep > 0).sum(), 1
            )
            res.append(
                (
                    np.column_stack(
                        [np.arange(first, first + n), revenue, incentive, total, share]
                    ),
                    np.percentile(rep_inc[:, tgt_rep > 0], pct, axis=1).T,
                )
            )
        return res

    if n_jobs > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=n_jobs) as ex:
            chunks = list(ex.map(run_chunk, range(len(starts))))
    else:
        chunks = [run_chunk(i) for i in range(len(starts))]
    rows = {p.name: [c[j][0] for c in chunks] for j, p in enumerate(plans)}
    pcts = {p.name: [c[j][1] for c in chunks] for j, p in enumerate(plans)}
    scen, summ, earn = [], [], []
    for p, mult in zip(plans, mults, strict=True):
        arr = np.vstack(rows[p.name])
        df = pd.DataFrame(
            arr, columns=["scenario", "revenue", "incentive_cost", "total_cost", "share_at_quota"]
        )
        df["scenario"] = df["scenario"].astype(int)
        df["incentive_cost_rate"] = df["total_cost"] / df["revenue"]
        df.insert(0, "plan", p.name)
        scen.append(
            df[
                [
                    "plan",
                    "scenario",
                    "revenue",
                    "incentive_cost",
                    "total_cost",
                    "incentive_cost_rate",
                    "share_at_quota",
                ]
            ]
        )
        ep = np.vstack(pcts[p.name]).mean(axis=0)
        earn.append(pd.DataFrame({"plan": p.name, "percentile": pct, "incentive": ep}))
        tc = df["total_cost"]
        summ.append(
            {
                "plan": p.name,
                "revenue_mean": df["revenue"].mean(),
                "total_cost_mean": tc.mean(),
                "total_cost_p5": tc.quantile(0.05),
                "total_cost_p10": tc.quantile(0.10),
                "total_cost_p50": tc.quantile(0.5),
                "total_cost_p90": tc.quantile(0.90),
                "total_cost_p95": tc.quantile(0.95),
                "incentive_cost_rate_mean": df["incentive_cost_rate"].mean(),
                "incentive_cost_rate_p95": df["incentive_cost_rate"].quantile(0.95),
                "prob_over_budget": float((tc > budget).mean()) if budget is not None else np.nan,
                "share_at_quota_mean": df["share_at_quota"].mean(),
                "earnings_p10": float(ep[pct == 10][0]),
                "earnings_p50": float(ep[pct == 50][0]),
                "earnings_p90": float(ep[pct == 90][0]),
                "response_multiplier": float(np.average(mult, weights=np.maximum(tgt_rep, 1e-9))),
            }
        )
    return SimulationResult(
        pd.concat(scen, ignore_index=True),
        pd.DataFrame(summ),
        pd.concat(earn, ignore_index=True),
        budget,
        elasticity,
    )


def kpi_pools(
    kpis: pd.DataFrame, columns: list[str], rep_ids: list[str], regions, reps=None
) -> list[np.ndarray]:
    """Per rep (in ``rep_ids`` order): the (months, KPIs) array of its measured months.

    A month is measured when at least one of ``columns`` has a value. A rep with no measured
    month gets the measured months of all reps of its region (``regions``, in the same order),
    else of all reps.

    Examples
    --------
    >>> k = pd.DataFrame({"rep_id": ["a", "a", "b"], "period": ["2025-01", "2025-02", "2025-01"],
    ...                   "v": [0.5, 0.9, None]})
    >>> [p.ravel().tolist() for p in kpi_pools(k, ["v"], ["a", "b"], ["N", "N"])]
    [[0.5, 0.9], [0.5, 0.9]]
    """
    k = kpis[["rep_id", *columns]].copy()
    k["rep_id"] = k["rep_id"].astype(str)
    k = k[k[columns].notna().any(axis=1)]
    by_rep = {r: df[columns].to_numpy(float) for r, df in k.groupby("rep_id", sort=False)}
    region_of = dict(zip(rep_ids, regions, strict=True))
    by_region: dict = {}
    for r, arr in by_rep.items():
        by_region.setdefault(region_of.get(r), []).append(arr)
    everyone = np.vstack(list(by_rep.values())) if by_rep else np.full((1, len(columns)), np.nan)
    pools = []
    for r in rep_ids:
        if r in by_rep:
            pools.append(by_rep[r])
        elif by_region.get(region_of[r]):
            pools.append(np.vstack(by_region[region_of[r]]))
        else:
            pools.append(everyone)
    return pools


def draw_kpis(pools: list[np.ndarray], n: int, months: int, rng) -> dict:
    """``n`` scenarios of monthly KPIs: each rep-month is one of the rep's measured months,
    drawn with replacement. Returns an array (KPIs, n, R, months), KPIs in the pools' order."""
    R = len(pools)
    K = pools[0].shape[1] if pools else 0
    out = np.empty((K, n, R, months))
    for r, pool in enumerate(pools):
        idx = rng.integers(0, len(pool), size=(n, months))
        out[:, :, r, :] = np.moveaxis(pool[idx], -1, 0)
    return out


def _history_targets(sales: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Rep-months of the sales history, for measure ratios (target values are irrelevant)."""
    s = sales[["rep_id", "period"]].drop_duplicates()
    return s.assign(target_revenue=1.0)


def sensitivity(
    plan: Plan,
    model: AttainmentModel,
    sales: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    kpis: pd.DataFrame | None = None,
    parameters=SENSITIVITY_PARAMETERS,
    delta: float = 0.2,
    n_scenarios: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Expected total cost when each parameter family moves by ``-delta`` and ``+delta``.

    All runs share the same scenarios (same ``seed``), so the differences are the parameters'
    effect, not noise. Families that the plan does not use are left out.

    Returns
    -------
    DataFrame
        ``parameter, low, base, high, swing`` (cost at -delta, at the plan's values, at +delta;
        swing = |high - low|), sorted by swing, largest first (the tornado's order).

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"rep_id": ["a", "a"], "period": ["2025-01", "2025-02"],
    ...                       "revenue": [90.0, 110.0]})
    >>> targets = sales.drop(columns="revenue").assign(target_revenue=100.0)
    >>> plan = Plan.from_dict({"name": "flat", "commissions": [{"name": "c",
    ...     "tiers": [{"from": 0, "rate": 0.1}]}]})
    >>> t = sensitivity(plan, AttainmentModel().fit(sales, targets), sales, targets,
    ...                 n_scenarios=50)
    >>> t["parameter"].tolist()
    ['rates']
    """
    plan = _as_plans([plan])[0]
    variants = [plan]
    labels = []
    for prm in parameters:
        lo, hi = plan.scaled(prm, 1 - delta), plan.scaled(prm, 1 + delta)
        if lo == plan and hi == plan:
            continue
        variants += [_renamed(lo, f"{prm}-"), _renamed(hi, f"{prm}+")]
        labels.append(prm)
    res = simulate(
        variants, model, sales, targets, reps=reps, kpis=kpis, n_scenarios=n_scenarios, seed=seed
    )
    cost = res.summary.set_index("plan")["total_cost_mean"]
    base = cost.iloc[0]
    out = pd.DataFrame(
        {
            "parameter": labels,
            "low": [cost[f"{prm}-"] for prm in labels],
            "base": base,
            "high": [cost[f"{prm}+"] for prm in labels],
        }
    )
    out["swing"] = (out["high"] - out["low"]).abs()
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def _renamed(p: Plan, name: str) -> Plan:
    from dataclasses import replace

    return replace(p, name=name)
