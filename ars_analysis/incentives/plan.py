"""Incentive plan model: a plan written in YAML, validated with clear errors.

A plan is a small tree of components, each a frozen dataclass. :meth:`Plan.from_yaml` and
:meth:`Plan.from_dict` check every key and report problems as ``PlanError`` (a ``ValueError``)
naming the file, the key path (e.g. ``commissions[0].tiers[1].rate``) and what was expected.

This module is longer than ~600 lines on purpose: the model (the dataclasses and :class:`Plan`)
and its YAML parser/serialiser (``_parse_*``, ``_plan_to_dict``) refer to each other
(``Plan.from_dict`` parses, the parser builds the dataclasses), and the parser is about to be
replaced by the one config model of issue 13 (pydantic); splitting it now would only add an
import cycle.

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

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ars_analysis.config import ConfigError, base_file
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
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PlanError(f"{path}: not valid YAML: {exc}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "<dict>") -> Plan:
        """Validate a plan given as a dict (same keys as the YAML file)."""
        return _parse_plan(d, source)

    def to_dict(self) -> dict:
        """The plan as a dict that :meth:`from_dict` accepts (round trip)."""
        return _plan_to_dict(self)

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


# --------------------------------------------------------------------------- parsing helpers


class _Ctx:
    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, expected: str, got: Any) -> None:
        raise PlanError(f"{self.source}: {key}: expected {expected}, got {got!r}")


def _check_keys(ctx: _Ctx, d: Any, key: str, allowed: set[str], required: set[str] = frozenset()):
    if not isinstance(d, dict):
        ctx.fail(key or "plan", "a mapping (key: value)", d)
    unknown = sorted(set(d) - allowed)
    if unknown:
        ctx.fail(
            f"{key + '.' if key else ''}{unknown[0]}",
            f"one of the keys {sorted(allowed)}",
            unknown[0],
        )
    for r in sorted(required):
        if r not in d:
            ctx.fail(f"{key + '.' if key else ''}{r}", "this required key", "missing")


def _num(
    ctx, d, k, key, *, default=None, required=False, min_value=None, max_value=None, allow_none=True
):
    if k not in d or d[k] is None:
        if required:
            ctx.fail(f"{key}.{k}" if key else k, "a number", d.get(k, "missing"))
        return default
    v = d[k]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        ctx.fail(f"{key}.{k}" if key else k, "a number", v)
    if min_value is not None and v < min_value:
        ctx.fail(f"{key}.{k}" if key else k, f"a number >= {min_value}", v)
    if max_value is not None and v > max_value:
        ctx.fail(f"{key}.{k}" if key else k, f"a number <= {max_value}", v)
    return float(v)


def _choice(ctx, d, k, key, choices, default):
    v = d.get(k, default)
    if v not in choices:
        ctx.fail(f"{key}.{k}", f"one of {list(choices)}", v)
    return v


def _name(ctx, d, key, used: set[str]):
    v = d.get("name")
    if not isinstance(v, str) or not v.strip() or not v.replace("_", "").isalnum():
        ctx.fail(f"{key}.name", "a name of letters, digits and _ (a column name)", v)
    if v in RESERVED or v in used:
        ctx.fail(f"{key}.name", f"a unique name not in {list(RESERVED)}", v)
    used.add(v)
    return v


def _freq(ctx, d, key):
    return _choice(ctx, d, "frequency", key, FREQUENCIES, "quarter")


def _parse_commission(ctx: _Ctx, d: dict, key: str, used: set[str]) -> Commission:
    _check_keys(
        ctx,
        d,
        key,
        {
            "name",
            "measure",
            "categories",
            "basis",
            "mode",
            "application",
            "threshold",
            "tiers",
            "cap_period",
            "cap_year",
            "description",
            "label",
        },
        {"name", "tiers"},
    )
    name = _name(ctx, d, key, used)
    tiers_raw = d["tiers"]
    if not isinstance(tiers_raw, list) or not tiers_raw:
        ctx.fail(f"{key}.tiers", "a non-empty list of {from, rate}", tiers_raw)
    tiers = []
    for i, t in enumerate(tiers_raw):
        tk = f"{key}.tiers[{i}]"
        _check_keys(ctx, t, tk, {"from", "rate"}, {"from", "rate"})
        start = _num(ctx, t, "from", tk, required=True, min_value=0)
        rate = _num(ctx, t, "rate", tk, required=True, min_value=0, max_value=1)
        if i == 0 and start != 0:
            ctx.fail(f"{tk}.from", "0 for the first tier", start)
        if i > 0 and start <= tiers[-1].start:
            ctx.fail(
                f"{tk}.from", f"a value above the previous tier's from ({tiers[-1].start})", start
            )
        tiers.append(Tier(start, rate))
    cats = d.get("categories")
    if cats is not None:
        if isinstance(cats, str):
            cats = [cats]
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
            ctx.fail(f"{key}.categories", "null or a list of category names", cats)
        cats = tuple(cats)
    basis = _choice(ctx, d, "basis", key, BASES, "attainment")
    application = _choice(ctx, d, "application", key, APPLICATIONS, "per_period")
    if application == "per_transaction" and basis != "amount":
        ctx.fail(f"{key}.basis", "'amount' when application is 'per_transaction'", basis)
    return Commission(
        name=name,
        tiers=tuple(tiers),
        measure=_choice(ctx, d, "measure", key, MEASURES, "revenue"),
        categories=cats,
        basis=basis,
        mode=_choice(ctx, d, "mode", key, MODES, "marginal"),
        application=application,
        threshold=_num(ctx, d, "threshold", key, min_value=0),
        cap_period=_num(ctx, d, "cap_period", key, min_value=0),
        cap_year=_num(ctx, d, "cap_year", key, min_value=0),
    )


def _point(ctx, d, k, key, required):
    if d.get(k) is None:
        if required:
            ctx.fail(f"{key}.{k}", "{attainment, payout}", "missing")
        return None
    pk = f"{key}.{k}"
    _check_keys(ctx, d[k], pk, {"attainment", "payout"}, {"attainment", "payout"})
    return CurvePoint(
        _num(ctx, d[k], "attainment", pk, required=True, min_value=0),
        _num(ctx, d[k], "payout", pk, required=True, min_value=0),
    )


def _parse_bonus(ctx, d, key="bonus") -> Bonus:
    _check_keys(
        ctx,
        d,
        key,
        {"amount", "frequency", "threshold", "target", "excellence", "description", "label"},
        {"amount", "threshold", "target"},
    )
    b = Bonus(
        amount=_num(ctx, d, "amount", key, required=True, min_value=0),
        threshold=_point(ctx, d, "threshold", key, True),
        target=_point(ctx, d, "target", key, True),
        excellence=_point(ctx, d, "excellence", key, False),
        frequency=_freq(ctx, d, key),
    )
    pts = b.points
    for a, bb, nm in zip(pts, pts[1:], ["target", "excellence"], strict=False):
        if bb.attainment <= a.attainment:
            ctx.fail(f"{key}.{nm}.attainment", f"a value above {a.attainment}", bb.attainment)
        if bb.payout < a.payout:
            ctx.fail(
                f"{key}.{nm}.payout", f"a value >= {a.payout} (curve must not fall)", bb.payout
            )
    return b


def _parse_scorecard(ctx, d, key="scorecard") -> Scorecard:
    _check_keys(ctx, d, key, {"amount", "kpis", "description", "label"}, {"amount", "kpis"})
    amount = _num(ctx, d, "amount", key, required=True, min_value=0)
    if not isinstance(d["kpis"], list) or not d["kpis"]:
        ctx.fail(f"{key}.kpis", "a non-empty list of {column, weight, points}", d["kpis"])
    kpis = []
    for i, k in enumerate(d["kpis"]):
        kk = f"{key}.kpis[{i}]"
        _check_keys(
            ctx,
            k,
            kk,
            {"column", "weight", "points", "description", "label"},
            {"column", "weight", "points"},
        )
        if not isinstance(k["column"], str) or not k["column"]:
            ctx.fail(f"{kk}.column", "a KPI column name", k["column"])
        pts = k["points"]
        ok = (
            isinstance(pts, list)
            and len(pts) >= 2
            and all(
                isinstance(p, list)
                and len(p) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)
                for p in pts
            )
        )
        if not ok:
            ctx.fail(f"{kk}.points", "a list of at least two [value, score] pairs", pts)
        xs = [p[0] for p in pts]
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            ctx.fail(f"{kk}.points", "increasing values", xs)
        kpis.append(
            Kpi(
                k["column"],
                _num(ctx, k, "weight", kk, required=True, min_value=0),
                tuple((float(a), float(b)) for a, b in pts),
            )
        )
    total = sum(k.weight for k in kpis)
    if abs(total - 1) > 1e-9:
        ctx.fail(f"{key}.kpis[].weight", "weights that sum to 1", round(total, 6))
    return Scorecard(amount, tuple(kpis))


def _texts(ctx, v, key: str) -> dict[str, str]:
    """A text given once (``"..."``) or per language (``{zh: ..., en: ...}``) -> lang -> text."""
    if isinstance(v, str) and v.strip():
        return {"": " ".join(v.split())}
    if (
        isinstance(v, dict)
        and v
        and set(v) <= {"zh", "en"}
        and all(isinstance(x, str) and x.strip() for x in v.values())
    ):
        return {k: " ".join(x.split()) for k, x in v.items()}
    ctx.fail(key, "a non-empty text or {zh: ..., en: ...}", v)
    return {}


def _parse_plan(d: Any, source: str) -> Plan:
    ctx = _Ctx(source)
    _check_keys(
        ctx,
        d,
        "",
        {
            "id",
            "name",
            "description",
            "currency",
            "base_pay",
            "target_incentive",
            "commissions",
            "bonus",
            "scorecard",
            "gates",
            "honours",
            "team_bonuses",
            "draw",
        },
        {"name"},
    )
    titles = _texts(ctx, d["name"], "name")
    descriptions = _texts(ctx, d.get("description"), "description") if d.get("description") else {}
    plan_id = d.get("id")
    if plan_id is None:
        if isinstance(d["name"], str):
            plan_id = d["name"].strip()
        elif source != "<dict>":
            plan_id = Path(source).stem
        else:
            ctx.fail("id", "a plan id (required when the name is given per language)", None)
    if not isinstance(plan_id, str) or not plan_id.strip():
        ctx.fail("id", "a non-empty text", plan_id)
    used: set[str] = set()
    commissions = []
    for i, c in enumerate(d.get("commissions") or []):
        commissions.append(_parse_commission(ctx, c, f"commissions[{i}]", used))
    if d.get("commissions") is not None and not isinstance(d["commissions"], list):
        ctx.fail("commissions", "a list", d["commissions"])
    bonus = _parse_bonus(ctx, d["bonus"]) if d.get("bonus") is not None else None
    scorecard = _parse_scorecard(ctx, d["scorecard"]) if d.get("scorecard") is not None else None
    gates = []
    for i, g in enumerate(d.get("gates") or []):
        gk = f"gates[{i}]"
        _check_keys(ctx, g, gk, {"kpi", "min", "applies_to", "description"}, {"kpi", "min"})
        applies = g.get("applies_to", ["commissions"])
        if isinstance(applies, str):
            applies = [applies]
        names = set(GATE_GROUPS) | {c.name for c in commissions}
        if not isinstance(applies, list) or not applies or any(a not in names for a in applies):
            ctx.fail(f"{gk}.applies_to", f"a list of {sorted(names)}", applies)
        if not isinstance(g["kpi"], str):
            ctx.fail(f"{gk}.kpi", "a KPI column name", g["kpi"])
        gates.append(Gate(g["kpi"], _num(ctx, g, "min", gk, required=True), tuple(applies)))
    honours = []
    for i, h in enumerate(d.get("honours") or []):
        hk = f"honours[{i}]"
        _check_keys(
            ctx,
            h,
            hk,
            {
                "name",
                "amount",
                "rank_by",
                "within",
                "top_n",
                "top_share",
                "frequency",
                "min_attainment",
                "description",
                "label",
            },
            {"name", "amount"},
        )
        name = _name(ctx, h, hk, used)
        top_n = h.get("top_n")
        top_share = _num(ctx, h, "top_share", hk, min_value=0, max_value=1)
        if top_n is not None and (
            isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1
        ):
            ctx.fail(f"{hk}.top_n", "a whole number >= 1", top_n)
        if (top_n is None) == (top_share is None):
            ctx.fail(
                f"{hk}.top_n",
                "exactly one of top_n or top_share",
                {"top_n": top_n, "top_share": top_share},
            )
        honours.append(
            Honour(
                name=name,
                amount=_num(ctx, h, "amount", hk, required=True, min_value=0),
                rank_by=_choice(ctx, h, "rank_by", hk, RANK_BY, "attainment"),
                within=_choice(ctx, h, "within", hk, WITHIN, "region"),
                top_n=top_n,
                top_share=top_share,
                frequency=_freq(ctx, h, hk),
                min_attainment=_num(ctx, h, "min_attainment", hk, min_value=0),
            )
        )
    teams = []
    for i, t in enumerate(d.get("team_bonuses") or []):
        tk = f"team_bonuses[{i}]"
        _check_keys(
            ctx,
            t,
            tk,
            {"name", "amount", "min_attainment", "frequency", "description", "label"},
            {"name", "amount"},
        )
        name = _name(ctx, t, tk, used)
        teams.append(
            TeamBonus(
                name,
                _num(ctx, t, "amount", tk, required=True, min_value=0),
                _num(ctx, t, "min_attainment", tk, default=1.0, min_value=0),
                _freq(ctx, t, tk),
            )
        )
    draw = None
    if d.get("draw") is not None:
        dd = d["draw"]
        _check_keys(
            ctx,
            dd,
            "draw",
            {"amount", "recoverable", "forgive_at_year_end", "description", "label"},
            {"amount"},
        )
        for k in ("recoverable", "forgive_at_year_end"):
            if k in dd and not isinstance(dd[k], bool):
                ctx.fail(f"draw.{k}", "true or false", dd[k])
        draw = Draw(
            _num(ctx, dd, "amount", "draw", required=True, min_value=0),
            dd.get("recoverable", True),
            dd.get("forgive_at_year_end", False),
        )
    component_labels = {}
    for group in ("commissions", "honours", "team_bonuses"):
        for i, c in enumerate(d.get(group) or []):
            if c.get("label") is not None:
                component_labels[c["name"]] = _texts(ctx, c["label"], f"{group}[{i}].label")
    for single in ("bonus", "scorecard", "draw"):
        if isinstance(d.get(single), dict) and d[single].get("label") is not None:
            component_labels[single] = _texts(ctx, d[single]["label"], f"{single}.label")
    return Plan(
        name=plan_id.strip(),
        base_pay=_num(ctx, d, "base_pay", "", default=0.0, min_value=0) or 0.0,
        target_incentive=_num(ctx, d, "target_incentive", "", min_value=0),
        commissions=tuple(commissions),
        bonus=bonus,
        scorecard=scorecard,
        gates=tuple(gates),
        honours=tuple(honours),
        team_bonuses=tuple(teams),
        draw=draw,
        description=descriptions.get("en") or next(iter(descriptions.values()), ""),
        titles=titles,
        descriptions=descriptions,
        component_labels=component_labels,
        source=source,
        raw=dict(d),
    )


def _plan_to_dict(p: Plan) -> dict:
    named = {k: v for k, v in p.titles.items() if k}
    out: dict[str, Any] = {"id": p.name, "name": named or p.title("en"), "base_pay": p.base_pay}
    described = {k: v for k, v in p.descriptions.items() if k}
    if described or p.describe("en"):
        out["description"] = described or p.describe("en")
    if p.target_incentive is not None:
        out["target_incentive"] = p.target_incentive
    if p.commissions:
        out["commissions"] = []
        for c in p.commissions:
            cd = {
                "name": c.name,
                "measure": c.measure,
                "basis": c.basis,
                "mode": c.mode,
                "application": c.application,
                "tiers": [{"from": t.start, "rate": t.rate} for t in c.tiers],
            }
            if c.categories:
                cd["categories"] = list(c.categories)
            for k in ("threshold", "cap_period", "cap_year"):
                if getattr(c, k) is not None:
                    cd[k] = getattr(c, k)
            out["commissions"].append(cd)
    if p.bonus:
        b = p.bonus
        out["bonus"] = {"amount": b.amount, "frequency": b.frequency}
        for k in ("threshold", "target", "excellence"):
            pt = getattr(b, k)
            if pt is not None:
                out["bonus"][k] = {"attainment": pt.attainment, "payout": pt.payout}
    if p.scorecard:
        out["scorecard"] = {
            "amount": p.scorecard.amount,
            "kpis": [
                {"column": k.column, "weight": k.weight, "points": [list(x) for x in k.points]}
                for k in p.scorecard.kpis
            ],
        }
    if p.gates:
        out["gates"] = [
            {"kpi": g.kpi, "min": g.min, "applies_to": list(g.applies_to)} for g in p.gates
        ]
    if p.honours:
        out["honours"] = []
        for h in p.honours:
            hd = {
                "name": h.name,
                "amount": h.amount,
                "rank_by": h.rank_by,
                "within": h.within,
                "frequency": h.frequency,
            }
            for k in ("top_n", "top_share", "min_attainment"):
                if getattr(h, k) is not None:
                    hd[k] = getattr(h, k)
            out["honours"].append(hd)
    if p.team_bonuses:
        out["team_bonuses"] = [
            {
                "name": t.name,
                "amount": t.amount,
                "min_attainment": t.min_attainment,
                "frequency": t.frequency,
            }
            for t in p.team_bonuses
        ]
    if p.draw:
        out["draw"] = {
            "amount": p.draw.amount,
            "recoverable": p.draw.recoverable,
            "forgive_at_year_end": p.draw.forgive_at_year_end,
        }
    return out


def shipped_plans() -> list[Path]:
    """Paths of the plans shipped in ``ars_analysis/config/plans``: current first, then candidates.

    >>> [p.name for p in shipped_plans()]
    ['current.yml', 'candidate_a.yml', 'candidate_b.yml']
    """
    folder = base_file("plans")
    return [folder / n for n in ("current.yml", "candidate_a.yml", "candidate_b.yml")]
