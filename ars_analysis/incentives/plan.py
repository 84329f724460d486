"""Incentive plan model: a plan written in YAML, validated with clear errors.

A plan is a small tree of components, each a frozen dataclass. :meth:`Plan.from_yaml` and
:meth:`Plan.from_dict` check every key and report problems as ``PlanError`` (a ``ValueError``)
naming the file, the key path (e.g. ``commissions[0].tiers[1].rate``) and what was expected.

The file format is a pydantic model on the one config model (:mod:`~.plan_file`, read by
:meth:`Plan.from_dict`); this module holds the dataclasses the engine computes with.

Vocabulary (all money amounts are per payout period, i.e. per month, unless said otherwise):

``base_pay``
    Fixed pay per month (counted in the total cost, not in the incentive).
``commissions``
    Commission lines. ``measure``: ``revenue`` or ``gross_margin``; ``categories``: product
    categories counted (``null`` = all). ``basis``: tiers on the ``amount`` of the measure or on
    quota ``attainment`` (revenue / target revenue). ``mode``: ``marginal`` (each slice at its own
    rate), ``retroactive`` (the whole measure at the rate of the tier reached) or
    ``interpolated`` (the rate moves linearly from one tier start to the next; flat in the last
    tier; applied to the whole measure). ``application``: ``per_period`` (tiers reset each month),
    ``cumulative`` (tiers on year-to-date figures; each month pays YTD earnings minus what was
    already paid, so a month can be negative - a true-up) or ``per_transaction`` (tiers on each
    sales line; basis must be ``amount``). ``threshold``: nothing is paid below this attainment.
    Accelerators and decelerators are tiers with a higher or lower rate. ``cap_period`` /
    ``cap_year``: most paid per month / per calendar year.
``bonus``
    A target bonus ``amount`` per ``frequency`` window (month, quarter, year) paid along a payout
    curve through the ``threshold``, ``target`` and optional ``excellence`` points (attainment ->
    payout factor): nothing below the threshold, linear in between, capped at the last point.
``scorecard``
    A behaviour bonus ``amount`` per month times the weighted KPI score; each KPI is a column of
    the KPI table scored by a piecewise-linear curve of ``points`` ``[[value, score], ...]``.
``gates``
    ``{kpi, min, applies_to}``: the listed component groups (``commissions``, ``bonus``,
    ``scorecard``, ``honours``, ``team_bonuses``) or component names pay nothing in a month when
    the KPI is below ``min`` (or missing).
``honours``
    Rank-based awards: within each ``within`` group (``region`` or ``all``), reps ranked by
    ``rank_by`` (``attainment`` or ``revenue``) over the window; the ``top_n`` (or the top
    ``top_share``, rounded up) get ``amount``; ties share the rank (all tied reps win).
``team_bonuses``
    Every rep of a region gets ``amount`` when the region's attainment over the window reaches
    ``min_attainment``.
``draw``
    A monthly guarantee on the incentive: when the month's incentive is below ``amount`` the rep is
    paid ``amount``. ``recoverable: true`` carries the shortfall forward and recovers it from later
    incentive above the draw; ``forgive_at_year_end`` clears the balance each January.

Examples
--------
>>> plan = Plan.from_dict({"name": "Flat 2%", "base_pay": 3000,
...     "commissions": [{"name": "commission", "tiers": [{"from": 0, "rate": 0.02}]}]})
>>> plan.commissions[0].mode, plan.commissions[0].application
('marginal', 'per_period')
>>> Plan.from_dict({"name": "x", "commissions": [{"name": "c", "tiers": []}]})
Traceback (most recent call last):
...
ars_analysis.incentives.plan.PlanError: <dict>: commissions[0].tiers: expected a non-empty list of {from, rate}, got []
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ars_analysis.config import (
    ConfigError,
    base_file,
    read_yaml,
)
from ars_analysis.scoring import Measure, WeightedScorecard, gate_passes, weighted_total

MEASURES = ("revenue", "gross_margin")
BASES = ("amount", "attainment")
MODES = ("marginal", "retroactive", "interpolated")
APPLICATIONS = ("per_period", "cumulative", "per_transaction")
FREQUENCIES = ("month", "quarter", "year")
GATE_GROUPS = ("commissions", "bonus", "scorecard", "honours", "team_bonuses")
RANK_BY = ("attainment", "revenue")
WITHIN = ("region", "all")
#: Column names of the payout table that components may not use as names.
RESERVED = (
    "rep_id",
    "period",
    "region",
    "revenue",
    "target_revenue",
    "attainment",
    "base_pay",
    "bonus",
    "scorecard",
    "draw",
    "incentive",
    "total_pay",
    "plan",
)


class PlanError(ConfigError):
    """A plan file or dict does not follow the plan schema (one of the config errors:
    file, key path, what was expected)."""


@dataclass(frozen=True)
class Tier:
    """One row of a rate table: from ``start`` (amount or attainment) on, pay ``rate``."""

    start: float
    rate: float


@dataclass(frozen=True)
class Commission:
    """A commission line (see the module docstring for every field)."""

    name: str
    tiers: tuple[Tier, ...]
    measure: str = "revenue"
    categories: tuple[str, ...] | None = None
    basis: str = "attainment"
    mode: str = "marginal"
    application: str = "per_period"
    threshold: float | None = None
    cap_period: float | None = None
    cap_year: float | None = None


@dataclass(frozen=True)
class CurvePoint:
    attainment: float
    payout: float


@dataclass(frozen=True)
class Bonus:
    """Target bonus along a payout curve (factor of ``amount``)."""

    amount: float
    threshold: CurvePoint
    target: CurvePoint
    excellence: CurvePoint | None = None
    frequency: str = "quarter"

    @property
    def points(self) -> list[CurvePoint]:
        return [p for p in (self.threshold, self.target, self.excellence) if p is not None]


@dataclass(frozen=True)
class Kpi:
    """One KPI of the plan's scorecard: a column scored by a piecewise-linear curve."""

    column: str
    weight: float
    points: tuple[tuple[float, float], ...]

    @property
    def measure(self) -> Measure:
        """The KPI as a measure of the one scoring mechanism (method ``curve``)."""
        return Measure(
            self.column, column=self.column, method="curve", weight=self.weight, points=self.points
        )


@dataclass(frozen=True)
class Scorecard:
    """The behaviour bonus: ``amount`` times the weighted KPI score (a KPI not measured
    scores 0; the weights are not re-normalised)."""

    amount: float
    kpis: tuple[Kpi, ...]

    def to_weighted(self) -> WeightedScorecard:
        """The KPI scorecard as :class:`ars_analysis.scoring.WeightedScorecard`.

        >>> import pandas as pd
        >>> sc = Scorecard(100.0, (Kpi("a", 1.0, ((0.0, 0.0), (1.0, 1.0))),))
        >>> sc.to_weighted().score(pd.DataFrame({"a": [0.5, None]})).total.tolist()
        [0.5, 0.0]
        """
        return WeightedScorecard(
            tuple(k.measure for k in self.kpis), unit=1.0, renormalise=False, source="scorecard"
        )

    def score(self, kpis) -> np.ndarray:
        """The weighted KPI score for arrays of KPI values (``{column: array}``, any shape)."""
        card = self.to_weighted()
        scores = [m.normalise(kpis[m.column], unit=1.0) for m in card.measures]
        total, _ = weighted_total(scores, [m.weight for m in card.measures], renormalise=False)
        return total


@dataclass(frozen=True)
class Gate:
    """A gate: the components ``applies_to`` pay nothing when KPI ``kpi`` is below ``min``
    (or not measured)."""

    kpi: str
    min: float
    applies_to: tuple[str, ...] = ("commissions",)

    def passes(self, values) -> np.ndarray:
        """Where the gate is passed (KPI measured and at least ``min``)."""
        return gate_passes(values, self.min)


@dataclass(frozen=True)
class Honour:
    name: str
    amount: float
    rank_by: str = "attainment"
    within: str = "region"
    top_n: int | None = None
    top_share: float | None = None
    frequency: str = "quarter"
    min_attainment: float | None = None


@dataclass(frozen=True)
class TeamBonus:
    name: str
    amount: float
    min_attainment: float = 1.0
    frequency: str = "quarter"


@dataclass(frozen=True)
class Draw:
    amount: float
    recoverable: bool = True
    forgive_at_year_end: bool = False


@dataclass(frozen=True)
class Plan:
    """An incentive plan. Build it with :meth:`from_yaml` or :meth:`from_dict`.

    Examples
    --------
    >>> p = Plan.from_dict({"name": "B", "bonus": {"amount": 1000,
    ...     "threshold": {"attainment": 0.8, "payout": 0.5},
    ...     "target": {"attainment": 1.0, "payout": 1.0}}})
    >>> p.bonus.frequency, p.component_names
    ('quarter', ['bonus'])
    """

    name: str
    base_pay: float = 0.0
    target_incentive: float | None = None
    commissions: tuple[Commission, ...] = ()
    bonus: Bonus | None = None
    scorecard: Scorecard | None = None
    gates: tuple[Gate, ...] = ()
    honours: tuple[Honour, ...] = ()
    team_bonuses: tuple[TeamBonus, ...] = ()
    draw: Draw | None = None
    description: str = ""
    titles: dict = field(default_factory=dict, compare=False)
    descriptions: dict = field(default_factory=dict, compare=False)
    component_labels: dict = field(default_factory=dict, compare=False)
    source: str = "<dict>"
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def components(self) -> list[tuple[str, str]]:
        """``(name, kind)`` of each component the plan has, in payout order; kind is one of
        ``commission``, ``bonus``, ``scorecard``, ``honour``, ``team_bonus``, ``draw``."""
        return (
            [(c.name, "commission") for c in self.commissions]
            + ([("bonus", "bonus")] if self.bonus is not None else [])
            + ([("scorecard", "scorecard")] if self.scorecard is not None else [])
            + [(h.name, "honour") for h in self.honours]
            + [(t.name, "team_bonus") for t in self.team_bonuses]
            + ([("draw", "draw")] if self.draw is not None else [])
        )

    @property
    def component_names(self) -> list[str]:
        """Incentive columns of the payout table, in order (before ``incentive``): exactly the
        components the plan has."""
        return [name for name, _ in self.components]

    def title(self, lang: str) -> str:
        """The plan's name in ``lang`` (the text given once when not given per language)."""
        return self.titles.get(lang) or self.titles.get("") or self.name

    def describe(self, lang: str) -> str:
        """The plan's description in ``lang`` (full text, never cut)."""
        return self.descriptions.get(lang) or self.descriptions.get("") or ""

    def component_label(self, name: str, lang: str) -> str | None:
        """The text the plan file gives for component ``name`` in ``lang`` (None if none)."""
        texts = self.component_labels.get(name) or {}
        return texts.get(lang) or texts.get("")

    @property
    def kpi_columns(self) -> list[str]:
        """KPI columns the plan reads (scorecard and gates)."""
        cols = [k.column for k in self.scorecard.kpis] if self.scorecard else []
        cols += [g.kpi for g in self.gates]
        return list(dict.fromkeys(cols))

    @classmethod
    def from_yaml(cls, path) -> Plan:
        """Read and validate a plan file.

        Raises
        ------
        PlanError
            Naming the file, the key and what was expected.
        """
        path = Path(path)
        data = read_yaml(path, what="plan", error=PlanError)
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "<dict>") -> Plan:
        """Validate a plan given as a dict (same keys as the YAML file)."""
        from ars_analysis.incentives.plan_file import parse_plan  # the file model builds Plans

        return parse_plan(d, source)

    def to_dict(self) -> dict:
        """The plan as a dict that :meth:`from_dict` accepts (round trip)."""
        from ars_analysis.incentives.plan_file import plan_to_dict

        return plan_to_dict(self)

    def scaled(self, parameter: str, factor: float) -> Plan:
        """A copy with one family of parameters multiplied by ``factor`` (for sensitivities).

        ``parameter`` is one of :data:`SENSITIVITY_PARAMETERS`: ``rates`` (every commission rate),
        ``threshold`` (commission thresholds and the bonus threshold attainment), ``caps``
        (commission caps), ``bonus`` (bonus amount), ``scorecard`` (scorecard amount),
        ``honours`` (honour and team amounts), ``quota`` is not a plan parameter (see simulate).

        >>> p = Plan.from_dict({"name": "x", "commissions": [{"name": "c",
        ...     "tiers": [{"from": 0, "rate": 0.02}]}]})
        >>> p.scaled("rates", 1.5).commissions[0].tiers[0].rate
        0.03
        """
        if parameter not in SENSITIVITY_PARAMETERS:
            raise ValueError(
                f"parameter must be one of {SENSITIVITY_PARAMETERS}, got {parameter!r}"
            )
        f = float(factor)

        def mul(x):
            return None if x is None else round(x * f, 10)

        p = self
        if parameter == "rates":
            p = replace(
                p,
                commissions=tuple(
                    replace(c, tiers=tuple(Tier(t.start, mul(t.rate)) for t in c.tiers))
                    for c in p.commissions
                ),
            )
        elif parameter == "threshold":
            p = replace(
                p, commissions=tuple(replace(c, threshold=mul(c.threshold)) for c in p.commissions)
            )
            if p.bonus is not None:
                th = p.bonus.threshold
                new_att = min(th.attainment * f, p.bonus.target.attainment - 1e-9)
                p = replace(p, bonus=replace(p.bonus, threshold=CurvePoint(new_att, th.payout)))
        elif parameter == "caps":
            p = replace(
                p,
                commissions=tuple(
                    replace(c, cap_period=mul(c.cap_period), cap_year=mul(c.cap_year))
                    for c in p.commissions
                ),
            )
        elif parameter == "bonus" and p.bonus is not None:
            p = replace(p, bonus=replace(p.bonus, amount=mul(p.bonus.amount)))
        elif parameter == "scorecard" and p.scorecard is not None:
            p = replace(p, scorecard=replace(p.scorecard, amount=mul(p.scorecard.amount)))
        elif parameter == "honours":
            p = replace(
                p,
                honours=tuple(replace(h, amount=mul(h.amount)) for h in p.honours),
                team_bonuses=tuple(replace(t, amount=mul(t.amount)) for t in p.team_bonuses),
            )
        return p


#: Parameter families that :meth:`Plan.scaled` can move.
SENSITIVITY_PARAMETERS = ("rates", "threshold", "caps", "bonus", "scorecard", "honours")


def shipped_plans() -> list[Path]:
    """Paths of the plans shipped in ``ars_analysis/config/plans``: current first, then candidates.

    >>> [p.name for p in shipped_plans()]
    ['current.yml', 'candidate_a.yml', 'candidate_b.yml']
    """
    folder = base_file("plans")
    return [folder / n for n in ("current.yml", "candidate_a.yml", "candidate_b.yml")]
