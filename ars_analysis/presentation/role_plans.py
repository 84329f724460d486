"""Plans per role in report 03 as a client reads it: the organisation's cost and each role's pay
spread under each plan assignment, honour awards as recognition, and what each plan pays for
and would correct. From a :class:`~ars_analysis.incentives.RolePlanAnalysis`.

All wording comes from ``labels/role_plans.yml`` (role and KPI names from
``config/field_organisation.yml`` and ``labels/fieldforce.yml``).

Examples
--------
>>> from ars_analysis.compose import analyse_role_plans  # doctest: +SKIP
>>> r = analyse_role_plans(ds, cfg, n_scenarios=200)  # doctest: +SKIP
>>> summary_table(r, "en")  # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.fieldforce import load_organisation
from ars_analysis.incentives import RolePlanAnalysis
from ars_analysis.labels import check_lang, label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import Html, _esc, section
from ars_analysis.presentation.tables import ReportTable

NS = ("role_plans",)


def _L(key: str, lang: str, **values) -> str:
    return label(f"role_plans.{key}", lang, **values)


def _p(text: str) -> Html:
    return Html(f'<p class="ars-text">{_esc(text)}</p>')


def heading(lang: str = "zh") -> Html:
    return section("sec-role-plans", _L("s_role_plans", lang))


def _assignment_names(r: RolePlanAnalysis, lang: str) -> dict[str, str]:
    return {a.id: a.title(lang) for a in r.assignment.assignments}


def _role_name(role: str, lang: str) -> str:
    org = load_organisation()
    x = org.roles.get(role)
    return getattr(x.name, lang) if x is not None else _L("role_unknown", lang)


def _window(r: RolePlanAnalysis) -> str:
    a, b = r.backtest["window"]
    return f"{a} – {b}" if a and b else fmt.MISSING


def role_plans_text(r: RolePlanAnalysis, lang: str = "zh") -> Html:
    """The finding: the organisation's cost under each assignment against the reference."""
    check_lang(lang)
    names = _assignment_names(r, lang)
    s = r.backtest["summary"].set_index("assignment")
    ref = r.backtest["reference"]
    parts = []
    for aid in s.index:
        if aid == ref:
            continue
        ch = s.loc[aid, "change_vs_reference"]
        key = "cost_more" if ch > 0 else "cost_less"
        parts.append(_L(key, lang, name=names[aid], cost=fmt.compact(s.loc[aid, "total_cost"], lang),
                        change=fmt.compact(abs(ch), lang),
                        rate=fmt.percent(s.loc[aid, "cost_rate"])))  # fmt: skip
    return _p(_L("role_plans_text", lang, window=_window(r), ref=names[ref],
                 cost=fmt.compact(s.loc[ref, "total_cost"], lang),
                 rate=fmt.percent(s.loc[ref, "cost_rate"]), n=fmt.integer(s.loc[ref, "n_reps"]),
                 others=_L("list_sep", lang).join(parts)))  # fmt: skip


def summary_table(r: RolePlanAnalysis, lang: str = "zh") -> ReportTable:
    """Backtest of each assignment: base pay, cash incentive, awards, cost of recognition, total."""
    names = _assignment_names(r, lang)
    t = r.backtest["summary"].copy()
    t["assignment"] = t["assignment"].map(names)
    t = t[["assignment", "n_reps", "revenue", "base_pay", "cash_incentive", "n_awards",
           "recognition_cost", "total_cost", "cost_rate", "change_vs_reference"]]  # fmt: skip
    return ReportTable(t, lang, NS, kinds={"assignment": "text", "n_reps": "int",
                                           "n_awards": "int", "cost_rate": "pct",
                                           "change_vs_reference": "money"},
                       decimals={"cost_rate": 2}, title=_L("table_summary", lang, window=_window(r)),
                       note=_L("summary_note", lang))  # fmt: skip


def spread_table(r: RolePlanAnalysis, lang: str = "zh") -> ReportTable:
    """Each role's pay spread: percentiles of the monthly cash incentive per rep."""
    names = _assignment_names(r, lang)
    t = r.backtest["spread"].copy()
    order = {a: i for i, a in enumerate(names)}  # the file's order: the reference first
    t = t.assign(_o=t["assignment"].map(order)).sort_values(["role", "_o"], kind="mergesort")
    t["role"] = [_role_name(x, lang) for x in t["role"]]
    t["assignment"] = t["assignment"].map(names)
    t = t[["role", "assignment", "n_reps", "incentive_p10", "incentive_p50", "incentive_p90",
           "spread"]]  # fmt: skip
    return ReportTable(t, lang, NS, kinds={"role": "text", "assignment": "text", "n_reps": "int",
                                           "incentive_p10": "money", "incentive_p50": "money",
                                           "incentive_p90": "money", "spread": "money"},
                       title=_L("table_spread", lang), note=_L("spread_note", lang))  # fmt: skip


def simulation_table(r: RolePlanAnalysis, lang: str = "zh") -> ReportTable:
    """Monte Carlo: the organisation's cost over the horizon under each assignment."""
    names = _assignment_names(r, lang)
    t = r.simulation["summary"].copy()
    t["assignment"] = t["assignment"].map(names)
    t = t[["assignment", "total_cost_mean", "total_cost_p5", "total_cost_p95"]]
    return ReportTable(t, lang, NS, kinds={"assignment": "text", "total_cost_mean": "money",
                                           "total_cost_p5": "money", "total_cost_p95": "money"},
                       title=_L("table_simulation", lang, months=fmt.integer(len(r.horizon)),
                                n=fmt.integer(r.simulation["n_scenarios"])),
                       note=_L("simulation_note", lang))  # fmt: skip


def _honour_label(r: RolePlanAnalysis, assignment: str, honour: str, lang: str) -> str:
    for (aid, _), p in r.plans.items():
        if aid == assignment and honour in {h.name for h in p.honours}:
            return p.component_label(honour, lang) or _L("honour_award", lang)
    return _L("honour_award", lang)


def honours_table(r: RolePlanAnalysis, reps: pd.DataFrame, lang: str = "zh") -> ReportTable:
    """Honour awards as recognition: how many, who, and the cost where the client gives one."""
    names = _assignment_names(r, lang)
    aw = r.backtest["awards"]
    cost = r.assignment.recognition.cost
    who = reps.drop_duplicates("rep_id").set_index("rep_id")["rep_name"] if (
        "rep_name" in reps.columns) else pd.Series(dtype=object)  # fmt: skip
    rows = []
    for (aid, role, _plan, honour), g in aw.groupby(["assignment", "role", "plan", "honour"],
                                                   sort=False):  # fmt: skip
        counts = g["rep_id"].value_counts()
        winners = _L("list_sep", lang).join(
            _L("winner", lang, name=who.get(i, i), n=fmt.integer(n)) for i, n in counts.items()
        )
        c = cost.get(honour)
        rows.append({"assignment": names.get(aid, aid), "role": _role_name(role, lang),
                     "honour": _honour_label(r, aid, honour, lang), "n_awards": len(g),
                     "winners": winners,
                     "cost_per_award": c if c is not None else float("nan"),
                     "recognition_cost": len(g) * c if c is not None else float("nan")})  # fmt: skip
    t = pd.DataFrame(rows, columns=["assignment", "role", "honour", "n_awards", "winners",
                                    "cost_per_award", "recognition_cost"])  # fmt: skip
    return ReportTable(t, lang, NS, kinds={"assignment": "text", "role": "text", "honour": "text",
                                           "n_awards": "int", "winners": "text",
                                           "cost_per_award": "money",
                                           "recognition_cost": "money"},
                       title=_L("table_honours", lang), missing_note=_L("not_costed", lang),
                       note=_L("honours_note", lang))  # fmt: skip


def _behaviour_text(row, lang: str) -> str:
    if row["behaviour"] == "kpi":
        return label(f"fieldforce.kpi_values.{row['kpi']}", lang)
    return _L(f"behaviour_values.{row['behaviour']}", lang)


def behaviours_table(r: RolePlanAnalysis, lang: str = "zh") -> ReportTable:
    """For each assignment and role: what the plan pays for and the deviations it would correct
    (reps of the role clearly below their peers on a KPI the plan pays for)."""
    names = _assignment_names(r, lang)
    b = r.behaviours
    rows = []
    for (aid, role), g in b.groupby(["assignment", "role"], sort=False):
        plan = r.plans[(aid, role)]
        pays = _L("list_sep", lang).join(dict.fromkeys(_behaviour_text(x, lang)
                                                       for x in g.to_dict("records")))  # fmt: skip
        corr = g[g["corrects"]]
        fixes = _L("list_sep", lang).join(dict.fromkeys(
            _L("deviation", lang, kpi=label(f"fieldforce.kpi_values.{x['kpi']}", lang),
               n=fmt.integer(x["n_reps_below"])) for x in corr.to_dict("records")))  # fmt: skip
        rows.append({"assignment": names.get(aid, aid), "role": _role_name(role, lang),
                     "plan": plan.title(lang), "pays_for": pays,
                     "corrects": fixes or _L("corrects_none", lang)})  # fmt: skip
    t = pd.DataFrame(rows, columns=["assignment", "role", "plan", "pays_for", "corrects"])
    return ReportTable(t, lang, NS, kinds={c: "text" for c in t.columns},
                       title=_L("table_behaviours", lang), note=_L("behaviours_note", lang))  # fmt: skip


def interpretation(lang: str = "zh") -> Html:
    """The sentence of interpretation closing the section."""
    return _p(_L("role_plans_interpret", lang))


def workbook_tables(r: RolePlanAnalysis, reps: pd.DataFrame, lang: str = "zh") -> list:
    """The plans-per-role sheets of the incentive workbook."""
    return [summary_table(r, lang), spread_table(r, lang), simulation_table(r, lang),
            honours_table(r, reps, lang), behaviours_table(r, lang)]  # fmt: skip
