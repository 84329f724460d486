"""The what-if controls (ipywidgets): each wires inputs to a tested function and shows its result.

Every controls object keeps its widgets in :attr:`Controls.widgets` (by setting key), so a test
or a consultant's code drives it like a person would: ``c.set("commissions.0.tiers.1.rate",
0.02)`` changes the widget, the widget's observer calls :meth:`Controls.update`, and
:attr:`Controls.outcome` holds what the control shows. The numbers come from
:class:`~ars_analysis.whatif.plans.IncentiveWhatIf`,
:class:`~ars_analysis.whatif.grading.GradingWhatIf` and
:class:`~ars_analysis.whatif.coverage.CoverageWhatIf`; nothing is computed here.
"""

from __future__ import annotations

import html
import time
from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd

from ars_analysis.labels import check_lang, has_label, label
from ars_analysis.presentation import fmt
from ars_analysis.whatif.coverage import CoverageWhatIf, coverage_gaps
from ars_analysis.whatif.grading import GradingWhatIf, edit_scorecard
from ars_analysis.whatif.plans import IncentiveWhatIf, edit_plan, plan_settings, save_plan
from ars_analysis.whatif.scenarios import save_client_config, save_scorecard

_esc = html.escape


def _L(key: str, lang: str, **kw) -> str:
    return label(f"whatif.{key}", lang, **kw)


def _table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{_esc(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{_esc(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return (
        "<table style='border-collapse:collapse' class='ars-whatif'>"
        f"<thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"
    )


class Controls(ABC):
    """Widgets (by setting key), an output, a message line and "save as scenario"."""

    def __init__(self, lang: str, scenario_dir="scenarios"):
        import ipywidgets as w

        self.lang = check_lang(lang)
        self.scenario_dir = Path(scenario_dir)
        self.widgets: dict = {}
        self.output = w.HTML()
        self.message = w.HTML()
        self.save_button = w.Button(description=_L("save", lang))
        self.save_button.on_click(lambda _: self._save_clicked())
        self.outcome = None
        self.seconds: float | None = None
        self.saved: list[Path] = []
        self._settings = w.VBox()
        self._extra: list = []

    # driving the controls ---------------------------------------------------------------
    def set(self, key: str, value) -> None:
        """Set the widget of ``key`` (as a person would): the output updates."""
        self.widgets[key].value = value

    def values(self) -> dict:
        return {k: wd.value for k, wd in self.widgets.items()}

    def _observe(self) -> None:
        for wd in self.widgets.values():
            wd.observe(lambda _change: self.update(), names="value")

    def update(self) -> None:
        t0 = time.perf_counter()
        try:
            self.outcome = self.evaluate(self.values())
        except (ValueError, KeyError) as exc:
            self.message.value = (
                f"<p style='color:#c62828'>{_esc(_L('invalid', self.lang, error=exc))}</p>"
            )
            return
        self.seconds = time.perf_counter() - t0
        self.output.value = self.render(self.outcome)
        ms = fmt.integer(self.seconds * 1000)
        self.message.value = f"<p style='color:#6b7280'>{_esc(_L('latency', self.lang, ms=ms))}</p>"

    def _save_clicked(self) -> None:
        try:
            paths = self.save()
        except (ValueError, KeyError, OSError) as exc:
            self.message.value = (
                f"<p style='color:#c62828'>{_esc(_L('save_failed', self.lang, error=exc))}</p>"
            )
            return
        text = ", ".join(str(p) for p in paths)
        self.message.value = f"<p>{_esc(_L('saved', self.lang, path=text))}</p>"

    def box(self):
        """The panel to display: choosers, settings, save button, message, output."""
        import ipywidgets as w

        self._settings.children = list(self.widgets.values())
        return w.VBox([*self._extra, self._settings, self.save_button, self.message, self.output])

    # each kind of control (incentive plans, grading, coverage) says what to compute, show, save
    @abstractmethod
    def evaluate(self, values: dict):
        """The outcome of the current settings (a tested function of the package)."""

    @abstractmethod
    def render(self, outcome) -> str:
        """The outcome as HTML in the report's language."""

    @abstractmethod
    def save(self) -> list[Path]:
        """Write the current settings as a scenario file ``ars render`` accepts."""


def _float_widget(value: float, description: str, key: str):
    import ipywidgets as w

    step = 0.001 if ".rate" in key else 500.0 if "cap" in key or "amount" in key else 0.05
    return w.BoundedFloatText(
        value=value, min=0.0, max=max(10 * abs(value), 1e9 if step == 500.0 else 10.0),
        step=step, description=description, continuous_update=False,
        style={"description_width": "initial"}, layout=w.Layout(width="28em"),
    )  # fmt: skip


class IncentiveControls(Controls):
    """Tier bounds and rates, thresholds, caps, gate levels and the bonus curve of one plan,
    with its backtest cost, cost rate, payout spread, winners / losers and P(over budget)."""

    def __init__(self, engine: IncentiveWhatIf, plans: list, lang: str = "zh", *, plan=None,
                 scenario_dir="scenarios", background: bool = False):  # fmt: skip
        import ipywidgets as w

        super().__init__(lang, scenario_dir)
        self.engine = engine
        self.background = background
        self.budget_seconds: float | None = None
        self._token = 0
        self._thread = None
        self.plans = {p.name: p for p in plans}
        first = plan or next((p.name for p in plans if p.name != engine.baseline.name),
                             plans[0].name)  # fmt: skip
        self.chooser = w.Dropdown(options=[(p.title(lang), p.name) for p in plans], value=first,
                                  description=_L("plan", lang))  # fmt: skip
        self.chooser.observe(lambda _c: self._choose(), names="value")
        self._extra = [self.chooser]
        self._reference: dict = {}
        self._choose()

    @property
    def plan(self):
        return self.plans[self.chooser.value]

    def _describe(self, key: str) -> str:
        p, lang = self.plan, self.lang
        parts = key.split(".")
        if parts[0] == "commissions":
            c = p.commissions[int(parts[1])]
            name = p.component_label(c.name, lang) or c.name
            if parts[2] == "tiers":
                what = "tier_rate" if parts[4] == "rate" else "tier_from"
                return _L(what, lang, commission=name, n=int(parts[3]) + 1)
            return _L(parts[2], lang, commission=name)
        if parts[0] == "gates":
            kpi = p.gates[int(parts[1])].kpi
            k = f"fieldforce.kpi_values.{kpi}"
            return _L("gate_min", lang, kpi=label(k, lang) if has_label(k) else kpi)
        if parts[1] == "amount":
            return _L("bonus_amount", lang)
        return _L("bonus_point", lang, point=_L(f"point_{parts[1]}", lang),
                  what=_L(f"point_{parts[2]}", lang))  # fmt: skip

    def _choose(self) -> None:
        for wd in self.widgets.values():
            wd.unobserve_all()
        self.widgets = {k: _float_widget(v, self._describe(k), k)
                        for k, v in plan_settings(self.plan).items()}  # fmt: skip
        self._settings.children = list(self.widgets.values())
        self._observe()
        if self.plan.name not in self._reference:
            self._reference[self.plan.name] = self.engine.evaluate(self.plan)
        if self.engine.baseline.name not in self._reference:
            self._reference[self.engine.baseline.name] = self.engine.evaluate(self.engine.baseline)
        self.update()

    def edited(self, values: dict | None = None):
        """The chosen plan with the widgets' settings (unchanged settings are left alone)."""
        values = self.values() if values is None else values
        base = plan_settings(self.plan)
        changed = {k: v for k, v in values.items() if abs(float(v) - base[k]) > 1e-12}
        return edit_plan(self.plan, changed) if changed else self.plan

    def evaluate(self, values: dict) -> dict:
        return self.engine.evaluate(self.edited(values))

    def update(self) -> None:
        """Show the backtest numbers at once; P(over budget) follows from the Monte Carlo (in a
        background thread when ``background``, so the cost moves without waiting for it)."""
        t0 = time.perf_counter()
        try:
            plan = self.edited()
            outcome = self.engine.evaluate(plan, simulate_budget=False)
        except (ValueError, KeyError) as exc:
            self.message.value = (
                f"<p style='color:#c62828'>{_esc(_L('invalid', self.lang, error=exc))}</p>"
            )
            return
        self.outcome = outcome
        self.seconds = time.perf_counter() - t0
        self.output.value = self.render(outcome)
        ms = fmt.integer(self.seconds * 1000)
        self.message.value = f"<p style='color:#6b7280'>{_esc(_L('latency', self.lang, ms=ms))}</p>"
        self._token += 1
        if self.background:
            import threading

            self._thread = threading.Thread(target=self._budget, args=(plan, self._token, t0),
                                            daemon=True)  # fmt: skip
            self._thread.start()
        else:
            self._budget(plan, self._token, t0)

    def _budget(self, plan, token: int, t0: float) -> None:
        p = self.engine.prob_over_budget(plan)
        if token != self._token:  # a newer change is on its way
            return
        self.outcome = {**self.outcome, "prob_over_budget": p}
        self.budget_seconds = time.perf_counter() - t0
        self.output.value = self.render(self.outcome)

    def wait(self) -> None:
        """Wait for the Monte Carlo of the last change (background mode)."""
        if self._thread is not None:
            self._thread.join()

    def render(self, o: dict) -> str:
        lang = self.lang
        ref = self._reference[self.plan.name]
        cur = self._reference[self.engine.baseline.name]

        def cells(x):
            return [
                fmt.money(x["total_cost"]),
                fmt.money(x["change_vs_baseline"]),
                fmt.percent(x["incentive_cost_rate"], 2),
                " / ".join(fmt.money(x[f"payout_p{q}"]) for q in (10, 50, 90)),
                f"{fmt.integer(x['n_up'])} / {fmt.integer(x['n_down'])}",
                fmt.percent(x["prob_over_budget"], 1),
            ]

        names = ["total_cost", "change_vs_baseline", "cost_rate", "payout_spread",
                 "winners_losers", "prob_over_budget"]  # fmt: skip
        cols = list(zip(cells(ref), cells(o), cells(cur), strict=True))
        rows = [[_L(n, lang), *c] for n, c in zip(names, cols, strict=True)]
        head = [_L("col_measure", lang), _L("col_report", lang), _L("col_whatif", lang),
                _L("col_current", lang)]  # fmt: skip
        return _table(head, rows)

    def save(self) -> list[Path]:
        plan = self.edited()
        plan_id = f"{self.plan.name}_whatif"
        plan = edit_plan(plan, {}, plan_id=plan_id)
        return [save_plan(plan, self.scenario_dir / f"{plan_id}.yml")]


class GradingControls(Controls):
    """Scorecard weights, grade bounds and ABC cuts, with grade and class counts, the
    distributors changing grade and the seedlings list."""

    def __init__(self, engine: GradingWhatIf, cfg, lang: str = "zh", *, scenario_dir="scenarios"):
        import ipywidgets as w

        super().__init__(lang, scenario_dir)
        self.engine, self.cfg = engine, cfg
        dims = engine.spec["dimensions"]
        for key, value in engine.settings().items():
            kind, _, name = key.partition(".")
            if kind == "weight":
                text = dims[name].get("label", {}).get(lang, name)
                desc, lo, hi, step = _L("weight", lang, dimension=text), 0.0, 1.0, 0.05
            elif kind == "grade_min":
                desc, lo, hi, step = _L("grade_min", lang, grade=name), 0.0, 100.0, 1.0
            else:
                desc, lo, hi, step = _L(key, lang), 0.5, 1.0, 0.01
            self.widgets[key] = w.FloatSlider(
                value=value, min=lo, max=hi, step=step, description=desc,
                continuous_update=False, style={"description_width": "initial"},
                layout=w.Layout(width="34em"),
            )  # fmt: skip
        self._observe()
        self.update()

    def evaluate(self, values: dict):
        return self.engine.evaluate(values)

    def render(self, o) -> str:
        lang = self.lang
        head = [_L("col_grade", lang), _L("col_report", lang), _L("col_whatif", lang)]
        parts = [_table(head, [[r.grade, fmt.integer(r.n_report), fmt.integer(r.n_whatif)]
                               for r in o.grade_counts.itertuples()])]  # fmt: skip
        head = [_L("col_class", lang), _L("col_report", lang), _L("col_whatif", lang)]
        parts.append(_table(head, [[r.abc_class, fmt.integer(r.n_report), fmt.integer(r.n_whatif)]
                                   for r in o.class_counts.itertuples()]))  # fmt: skip
        parts.append(
            f"<p>{_esc(_L('class_changes', lang, n=fmt.integer(len(o.class_changes))))}</p>"
        )
        ch = o.grade_changes
        parts.append(f"<h4>{_esc(_L('grade_changes', lang, n=fmt.integer(len(ch))))}</h4>")
        name = "customer_name" if "customer_name" in ch else "customer_id"
        rows = [[f"{r[name]}（{r['customer_id']}）" if lang == "zh" else f"{r[name]} ({r['customer_id']})",
                 f"{r['grade_report']} → {r['grade_whatif']}"] for _, r in ch.head(15).iterrows()]  # fmt: skip
        if rows:
            parts.append(_table([label("common.action_who", lang), _L("col_grade", lang)], rows))
        seeds = o.seedlings
        parts.append(f"<h4>{_esc(_L('seedlings', lang, n=fmt.integer(len(seeds))))}</h4>")
        col = "customer_name" if "customer_name" in seeds else "customer_id"
        names = "、".join(str(x) for x in seeds[col].head(20)) if len(seeds) else _L("none", lang)
        parts.append(f"<p>{_esc(names)}</p>")
        return "".join(parts)

    def save(self) -> list[Path]:
        values = self.values()
        spec = edit_scorecard(self.engine.spec, values)
        card = save_scorecard(spec, self.scenario_dir / "scorecard_whatif.yml")
        cuts = [values["abc_cut_a"], values["abc_cut_b"]]
        client = save_client_config(self.cfg, {"definitions.core_customer.abc_cuts": cuts},
                                    self.scenario_dir / "client_grading_whatif.yml")  # fmt: skip
        return [card, client]


class CoverageControls(Controls):
    """The top-terminal definition and the market assumption, with coverage gaps and the
    opportunity."""

    def __init__(self, engine: CoverageWhatIf, cfg, lang: str = "zh", *, scenario_dir="scenarios"):
        import ipywidgets as w

        super().__init__(lang, scenario_dir)
        self.engine, self.cfg = engine, cfg
        s = engine.settings()
        style, layout = {"description_width": "initial"}, w.Layout(width="34em")
        self.widgets = {
            "top_share": w.FloatSlider(value=s["top_share"], min=0.05, max=0.5, step=0.01,
                                       description=_L("top_share", lang), continuous_update=False,
                                       readout_format=".0%", style=style, layout=layout),
            "within": w.Dropdown(options=[(_L("within_region", lang), "region"),
                                          (_L("within_national", lang), "national")],
                                 value=s["within"], description=_L("within", lang), style=style),
            "unobserved_ratio": w.FloatSlider(value=s["unobserved_ratio"], min=0.0, max=2.0,
                                              step=0.1, description=_L("unobserved_ratio", lang),
                                              continuous_update=False, style=style, layout=layout),
        }  # fmt: skip
        self._reference = engine.evaluate()
        self._observe()
        self.update()

    def evaluate(self, values: dict) -> dict:
        return self.engine.evaluate(values)

    def render(self, o: dict) -> str:
        lang, ref = self.lang, self._reference

        def cells(x):
            return [
                fmt.integer(x["n_top"]), fmt.percent(x["coverage_rate"]),
                fmt.percent(x["linked_rate"]), fmt.integer(x["neither"]),
                fmt.integer(x["n_to_link"]), fmt.money(x["opportunity"]),
                f"{fmt.money(x['potential'])}（{fmt.money(x['potential_low'])}–{fmt.money(x['potential_high'])}）"
                if lang == "zh" else
                f"{fmt.money(x['potential'])} ({fmt.money(x['potential_low'])}–{fmt.money(x['potential_high'])})",
            ]  # fmt: skip

        names = ["n_top", "coverage_rate", "linked_rate", "gaps", "n_to_link", "opportunity",
                 "potential"]  # fmt: skip
        rows = [[_L(n, lang), a, b] for n, a, b in zip(names, cells(ref), cells(o), strict=True)]
        parts = [_table([_L("col_measure", lang), _L("col_report", lang), _L("col_whatif", lang)],
                        rows)]  # fmt: skip
        gaps = coverage_gaps(o)
        if len(gaps):
            parts.append(f"<h4>{_esc(_L('gap_list', lang))}</h4>")
            name = "terminal_name" if "terminal_name" in gaps else "terminal_id"
            parts.append(_table(
                [label("common.action_who", lang), _L("opportunity", lang)],
                [[str(r[name]), fmt.money(r["non_core_volume"])] for _, r in gaps.iterrows()],
            ))  # fmt: skip
        return "".join(parts)

    def save(self) -> list[Path]:
        v = self.values()
        updates = {
            "definitions.top_terminal.share": round(float(v["top_share"]), 4),
            "definitions.top_terminal.within": v["within"],
            "market.unobserved_terminal_ratio": round(float(v["unobserved_ratio"]), 4),
        }
        return [save_client_config(self.cfg, updates,
                                   self.scenario_dir / "client_coverage_whatif.yml")]  # fmt: skip


def as_frame(outcome: dict) -> pd.DataFrame:
    """A one-row frame of a what-if outcome's numbers (for a test or a consultant's notes)."""
    return pd.DataFrame([{k: v for k, v in outcome.items() if not isinstance(v, pd.DataFrame)}])
