"""What-if on an incentive plan: change a setting, see the cost move.

The settings a workshop argues over (tier bounds and rates, thresholds, caps, gate levels, the
bonus curve) are read from a plan as a flat mapping (:func:`plan_settings`, keys are the plan's
YAML key paths such as ``commissions.0.tiers.1.rate``) and written back into a new, validated
plan (:func:`edit_plan`, through the plan's own YAML schema: :meth:`Plan.to_dict` /
:meth:`Plan.from_dict`). :class:`IncentiveWhatIf` pays the comparison window of the report's
backtest with the vector engine and a small Monte Carlo, so one change is evaluated in a
fraction of a second; with the settings unchanged it gives the report's backtest numbers.
:func:`save_plan` writes the edited plan as a YAML plan file that ``ars render`` accepts
(``plan_files`` of notebook 03) and reads it back to prove it.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ars_analysis.compose import sales_by
from ars_analysis.data.outputs import write_text
from ars_analysis.incentives import AttainmentModel, Plan, PlanError, payout, simulate

#: Scenarios of the what-if Monte Carlo (the report's is larger; P(over budget) is indicative).
WHATIF_SCENARIOS = 200

_POINTS = ("threshold", "target", "excellence")


def plan_settings(plan: Plan) -> dict[str, float]:
    """The settings of ``plan`` a what-if control can move, by YAML key path.

    Tier rates and bounds (the first tier starts at 0), each commission's threshold and caps
    when the plan has them, the gates' minimum levels, the bonus amount and its curve points.

    Examples
    --------
    >>> from ars_analysis.incentives import shipped_plans
    >>> s = plan_settings(Plan.from_yaml(shipped_plans()[1]))
    >>> s["commissions.0.tiers.1.from"], s["commissions.0.tiers.1.rate"], s["bonus.target.payout"]
    (1.0, 0.016, 1.0)
    """
    d = plan.to_dict()
    out: dict[str, float] = {}
    for i, c in enumerate(d.get("commissions") or []):
        for j, t in enumerate(c["tiers"]):
            if j > 0:
                out[f"commissions.{i}.tiers.{j}.from"] = float(t["from"])
            out[f"commissions.{i}.tiers.{j}.rate"] = float(t["rate"])
        for k in ("threshold", "cap_period", "cap_year"):
            if c.get(k) is not None:
                out[f"commissions.{i}.{k}"] = float(c[k])
    for i, g in enumerate(d.get("gates") or []):
        out[f"gates.{i}.min"] = float(g["min"])
    b = d.get("bonus")
    if b:
        out["bonus.amount"] = float(b["amount"])
        for pt in _POINTS:
            if b.get(pt):
                out[f"bonus.{pt}.attainment"] = float(b[pt]["attainment"])
                out[f"bonus.{pt}.payout"] = float(b[pt]["payout"])
    return out


def _set(d: dict, key: str, value) -> None:
    parts = key.split(".")
    node = d
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        if parts[-1] not in node:
            raise KeyError(key)
        node[parts[-1]] = value


def edit_plan(plan: Plan, settings: dict, *, plan_id: str | None = None) -> Plan:
    """A copy of ``plan`` with ``settings`` (keys of :func:`plan_settings`) changed, validated by
    the plan schema; ``plan_id`` renames it (its name gets "(what-if)").

    Raises :class:`~ars_analysis.incentives.PlanError` naming the key when a key is not a
    setting of the plan or a value breaks the schema (e.g. tiers out of order).

    Examples
    --------
    >>> from ars_analysis.incentives import shipped_plans
    >>> a = Plan.from_yaml(shipped_plans()[1])
    >>> b = edit_plan(a, {"commissions.0.tiers.1.rate": 0.02})
    >>> b.commissions[0].tiers[1].rate, a.commissions[0].tiers[1].rate
    (0.02, 0.016)
    >>> edit_plan(a, {"commissions.0.tiers.9.rate": 0.02})
    Traceback (most recent call last):
    ...
    ars_analysis.incentives.plan.PlanError: what-if of candidate_a: commissions.0.tiers.9.rate is not a setting of the plan (see plan_settings)
    """
    d = copy.deepcopy(plan.to_dict())
    known = plan_settings(plan)
    source = f"what-if of {plan.name}"
    for key, value in settings.items():
        if key not in known:
            raise PlanError(f"{source}: {key} is not a setting of the plan (see plan_settings)")
        _set(d, key, float(value))
    if plan_id is not None:
        d["id"] = plan_id
        name = d.get("name")
        if isinstance(name, dict):
            d["name"] = {
                lang: f"{text}（情景）" if lang == "zh" else f"{text} (what-if)"
                for lang, text in name.items()
            }
    return Plan.from_dict(d, source=source)


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write ``plan`` as a YAML plan file (atomically) and read it back with
    :meth:`Plan.from_yaml` (raises :class:`PlanError` if it would not load). Returns the path:
    pass it to ``ars render`` as a ``plan_files`` entry of notebook 03."""
    path = Path(path)
    text = yaml.safe_dump(plan.to_dict(), allow_unicode=True, sort_keys=False)
    write_text(path, text)
    back = Plan.from_yaml(path)
    if plan_settings(back) != plan_settings(plan):
        raise PlanError(f"{path}: the saved plan does not read back as written")
    return path


@dataclass
class IncentiveInputs:
    """What a plan is paid on: the report scope's sales (``rep_id, category, period`` +
    measures), targets, reps, monthly KPIs, the backtest's comparison window, the simulated
    horizon's targets, the fitted attainment model and the budget."""

    sales: pd.DataFrame
    targets: pd.DataFrame
    reps: pd.DataFrame
    kpis: pd.DataFrame | None
    window: list
    future: pd.DataFrame
    model: AttainmentModel
    budget: float | None


def incentive_inputs(ds, result) -> IncentiveInputs:
    """The inputs of :class:`IncentiveWhatIf` for the scope of ``result`` (the
    :class:`~ars_analysis.incentives.IncentiveAnalysis` of notebook 03, on dataset ``ds``):
    the same sales, targets, KPIs, window, horizon and budget as the report."""
    keep = set(result.reps["rep_id"].astype(str))
    sales = sales_by(ds, ["rep_id", "category"], freq="M")
    sales = sales[sales["rep_id"].astype(str).isin(keep)].reset_index(drop=True)
    targets = ds.targets[["rep_id", "period", "target_revenue"]]
    targets = targets[targets["rep_id"].astype(str).isin(keep)].reset_index(drop=True)
    future = targets[targets["period"].astype(str).isin(result.horizon)]
    monthly = sales.groupby(["rep_id", "period"], as_index=False)["revenue"].sum()
    model = AttainmentModel().fit(monthly, targets, ds.reps)
    return IncentiveInputs(
        sales=sales,
        targets=targets,
        reps=ds.reps,
        kpis=result.kpis,
        window=list(result.backtest.periods),
        future=future,
        model=model,
        budget=result.budget,
    )


class IncentiveWhatIf:
    """Evaluate plans on the report's comparison window against a baseline plan.

    Parameters
    ----------
    inputs : IncentiveInputs
    baseline : Plan
        The current plan: winners and losers are counted against it.
    n_scenarios, seed : int
        The Monte Carlo of P(over budget).

    Examples
    --------
    ``IncentiveWhatIf(incentive_inputs(ds, result), result.plans[0]).evaluate(plan)`` gives the
    numbers of :meth:`evaluate`; ``tests/test_whatif.py`` checks them against the backtest.
    """

    def __init__(self, inputs: IncentiveInputs, baseline: Plan, *, n_scenarios=WHATIF_SCENARIOS,
                 seed: int = 0):  # fmt: skip
        self.inputs = inputs
        self.baseline = baseline
        self.n_scenarios = n_scenarios
        self.seed = seed
        w = set(inputs.window)
        self._sales = inputs.sales[inputs.sales["period"].astype(str).isin(w)]
        self._targets = inputs.targets[inputs.targets["period"].astype(str).isin(w)]
        k = inputs.kpis
        self._kpis = k[k["period"].astype(str).isin(w)] if k is not None and "period" in k else k
        self._base = self.rep_incentive(baseline)

    def payouts(self, plan: Plan) -> pd.DataFrame:
        """:func:`~ars_analysis.incentives.payout` (vector engine) of the comparison window."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return payout(plan, self._sales, self._targets, reps=self.inputs.reps,
                          kpis=self._kpis, engine="vector")  # fmt: skip

    def rep_incentive(self, plan: Plan, payouts: pd.DataFrame | None = None) -> pd.Series:
        df = self.payouts(plan) if payouts is None else payouts
        return df.groupby("rep_id")["incentive"].sum()

    def prob_over_budget(self, plan: Plan) -> float:
        """Share of simulated horizons whose total cost exceeds the budget (NaN: no budget)."""
        if self.inputs.budget is None:
            return float("nan")
        sim = simulate([plan], self.inputs.model, self.inputs.sales, self.inputs.future,
                       reps=self.inputs.reps, kpis=self.inputs.kpis, n_scenarios=self.n_scenarios,
                       chunk_size=self.n_scenarios, seed=self.seed,
                       budget=self.inputs.budget)  # fmt: skip
        return float(sim.summary.loc[0, "prob_over_budget"])

    def evaluate(self, plan: Plan, *, simulate_budget: bool = True) -> dict:
        """The plan's numbers on the comparison window.

        Returns
        -------
        dict
            ``revenue``, ``incentive_cost``, ``total_cost`` (base + incentive),
            ``incentive_cost_rate`` (total cost / revenue), ``change_vs_baseline`` (total cost
            minus the baseline's), ``payout_p10``, ``payout_p50``, ``payout_p90`` (reps'
            incentive over the window), ``n_up``, ``n_down`` (reps paid more / less than under
            the baseline), ``prob_over_budget`` (simulated horizon; NaN without a budget or
            when ``simulate_budget`` is False).
        """
        df = self.payouts(plan)
        per = self.rep_incentive(plan, df)
        revenue = float(df["revenue"].sum())
        total = float(df["total_pay"].sum())
        base_total = self._base_total()
        change = (per - self._base.reindex(per.index)).round(2)
        q = np.percentile(per.to_numpy(float), [10, 50, 90]) if len(per) else [np.nan] * 3
        return {
            "revenue": round(revenue, 2),
            "incentive_cost": round(float(df["incentive"].sum()), 2),
            "total_cost": round(total, 2),
            "incentive_cost_rate": total / revenue if revenue > 0 else float("nan"),
            "change_vs_baseline": round(total - base_total, 2),
            "payout_p10": float(q[0]),
            "payout_p50": float(q[1]),
            "payout_p90": float(q[2]),
            "n_up": int((change > 0).sum()),
            "n_down": int((change < 0).sum()),
            "prob_over_budget": self.prob_over_budget(plan) if simulate_budget else float("nan"),
        }

    def _base_total(self) -> float:
        if not hasattr(self, "_base_total_cost"):
            self._base_total_cost = float(self.payouts(self.baseline)["total_pay"].sum())
        return self._base_total_cost
