"""The incentive plan file (``config/plans/*.yml``) on the one config model.

:class:`PlanFile` and its parts are pydantic models on :class:`ars_analysis.config.ConfigModel`:
unknown keys, wrong types and bad values become one :class:`~.plan.PlanError` naming the file,
the key path (``commissions[0].tiers[1].rate``) and what was expected. :func:`parse_plan` turns
a validated file into the frozen dataclasses of :mod:`~.plan` (what the engine computes with);
:func:`plan_to_dict` is the way back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from ars_analysis.config import ConfigModel, problem, validate_config
from ars_analysis.incentives.plan import (
    GATE_GROUPS,
    RESERVED,
    Bonus,
    Commission,
    CurvePoint,
    Draw,
    Gate,
    Honour,
    Kpi,
    Plan,
    PlanError,
    Scorecard,
    TeamBonus,
    Tier,
)

# The YAML file as pydantic models on the one config model (ars_analysis.config): unknown keys,
# wrong types and bad values become one PlanError naming the file, the key path
# (``commissions[0].tiers[1].rate``) and what was expected; _parse_plan turns the validated
# file into the frozen dataclasses above that the engine computes with.

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
Frequency = Literal["month", "quarter", "year"]


def _text_map(v, key: str = "") -> dict[str, str]:
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
    raise problem(key, "a non-empty text or {zh: ..., en: ...}", v)


def _valid_texts(v):
    if v is not None:
        _text_map(v)
    return v


Texts = Annotated[Any, AfterValidator(_valid_texts)]


def _column_name(v):
    if not isinstance(v, str) or not v.strip() or not v.replace("_", "").isalnum():
        raise problem("", "a name of letters, digits and _ (a column name)", v)
    return v


ComponentName = Annotated[Any, AfterValidator(_column_name)]


class _TierFile(ConfigModel):
    from_: NonNegative = Field(alias="from")
    rate: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]


class _CommissionFile(ConfigModel):
    name: ComponentName
    tiers: list[_TierFile]
    measure: Literal["revenue", "gross_margin"] = "revenue"
    categories: Any = None
    basis: Literal["amount", "attainment"] = "attainment"
    mode: Literal["marginal", "retroactive", "interpolated"] = "marginal"
    application: Literal["per_period", "cumulative", "per_transaction"] = "per_period"
    threshold: NonNegative | None = None
    cap_period: NonNegative | None = None
    cap_year: NonNegative | None = None
    description: Texts = None
    label: Texts = None

    @field_validator("tiers", mode="before")
    @classmethod
    def _tiers_given(cls, v):
        if not isinstance(v, list) or not v:
            raise problem("", "a non-empty list of {from, rate}", v)
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v):
        if v is None:
            return None
        cats = [v] if isinstance(v, str) else v
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
            raise problem("", "null or a list of category names", v)
        return tuple(cats)

    @model_validator(mode="after")
    def _consistent(self):
        for i, t in enumerate(self.tiers):
            if i == 0 and t.from_ != 0:
                raise problem("tiers[0].from", "0 for the first tier", t.from_)
            if i > 0 and t.from_ <= self.tiers[i - 1].from_:
                raise problem(
                    f"tiers[{i}].from",
                    f"a value above the previous tier's from ({self.tiers[i - 1].from_})",
                    t.from_,
                )
        if self.application == "per_transaction" and self.basis != "amount":
            raise problem("basis", "'amount' when application is 'per_transaction'", self.basis)
        return self


class _PointFile(ConfigModel):
    attainment: NonNegative
    payout: NonNegative


class _BonusFile(ConfigModel):
    amount: NonNegative
    threshold: _PointFile
    target: _PointFile
    excellence: _PointFile | None = None
    frequency: Frequency = "quarter"
    description: Texts = None
    label: Texts = None

    @model_validator(mode="after")
    def _curve(self):
        pts = [p for p in (self.threshold, self.target, self.excellence) if p is not None]
        for a, b, nm in zip(pts, pts[1:], ["target", "excellence"], strict=False):
            if b.attainment <= a.attainment:
                raise problem(f"{nm}.attainment", f"a value above {a.attainment}", b.attainment)
            if b.payout < a.payout:
                raise problem(
                    f"{nm}.payout", f"a value >= {a.payout} (curve must not fall)", b.payout
                )
        return self


class _KpiFile(ConfigModel):
    column: Any
    weight: NonNegative
    points: Any
    description: Texts = None
    label: Texts = None

    @field_validator("column")
    @classmethod
    def _column(cls, v):
        if not isinstance(v, str) or not v:
            raise problem("", "a KPI column name", v)
        return v

    @field_validator("points")
    @classmethod
    def _points(cls, pts):
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
            raise problem("", "a list of at least two [value, score] pairs", pts)
        xs = [p[0] for p in pts]
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            raise problem("", "increasing values", xs)
        return tuple((float(a), float(b)) for a, b in pts)


class _ScorecardFile(ConfigModel):
    amount: NonNegative
    kpis: list[_KpiFile]
    description: Texts = None
    label: Texts = None

    @field_validator("kpis", mode="before")
    @classmethod
    def _kpis_given(cls, v):
        if not isinstance(v, list) or not v:
            raise problem("", "a non-empty list of {column, weight, points}", v)
        return v

    @model_validator(mode="after")
    def _weights(self):
        total = sum(k.weight for k in self.kpis)
        if abs(total - 1) > 1e-9:
            raise problem("kpis[].weight", "weights that sum to 1", round(total, 6))
        return self


class _GateFile(ConfigModel):
    kpi: Any
    min: Number
    applies_to: Any = ("commissions",)
    description: Texts = None

    @field_validator("kpi")
    @classmethod
    def _kpi(cls, v):
        if not isinstance(v, str):
            raise problem("", "a KPI column name", v)
        return v


class _HonourFile(ConfigModel):
    name: ComponentName
    amount: NonNegative
    rank_by: Literal["attainment", "revenue"] = "attainment"
    within: Literal["region", "all"] = "region"
    top_n: Any = None
    top_share: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)] | None = None
    frequency: Frequency = "quarter"
    min_attainment: NonNegative | None = None
    description: Texts = None
    label: Texts = None

    @field_validator("top_n")
    @classmethod
    def _top_n(cls, v):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise problem("", "a whole number >= 1", v)
        return v

    @model_validator(mode="after")
    def _one_rule(self):
        if (self.top_n is None) == (self.top_share is None):
            raise problem(
                "top_n",
                "exactly one of top_n or top_share",
                {"top_n": self.top_n, "top_share": self.top_share},
            )
        return self


class _TeamBonusFile(ConfigModel):
    name: ComponentName
    amount: NonNegative
    min_attainment: NonNegative | None = 1.0
    frequency: Frequency = "quarter"
    description: Texts = None
    label: Texts = None


class _DrawFile(ConfigModel):
    amount: NonNegative
    recoverable: Annotated[bool, Field(strict=True)] = True
    forgive_at_year_end: Annotated[bool, Field(strict=True)] = False
    description: Texts = None
    label: Texts = None


class PlanFile(ConfigModel):
    """An incentive plan file (``config/plans/*.yml``; the module docstring explains each key)."""

    id: Any = None
    name: Texts
    description: Texts = None
    currency: Any = None
    base_pay: NonNegative | None = 0.0
    target_incentive: NonNegative | None = None
    commissions: list[_CommissionFile] | None = None
    bonus: _BonusFile | None = None
    scorecard: _ScorecardFile | None = None
    gates: list[_GateFile] | None = None
    honours: list[_HonourFile] | None = None
    team_bonuses: list[_TeamBonusFile] | None = None
    draw: _DrawFile | None = None

    @field_validator("name")
    @classmethod
    def _name_given(cls, v):
        if v is None:
            raise problem("", "a non-empty text or {zh: ..., en: ...}", v)
        return v

    @model_validator(mode="after")
    def _plan_rules(self, info: ValidationInfo):
        source = (info.context or {}).get("source", "<dict>")
        plan_id = self.id
        if plan_id is None:
            if isinstance(self.name, str):
                plan_id = self.name.strip()
            elif source != "<dict>":
                plan_id = Path(source).stem
            else:
                raise problem(
                    "id", "a plan id (required when the name is given per language)", None
                )
        if not isinstance(plan_id, str) or not plan_id.strip():
            raise problem("id", "a non-empty text", plan_id)
        used: set[str] = set()
        for group in ("commissions", "honours", "team_bonuses"):
            for i, c in enumerate(getattr(self, group) or []):
                if c.name in RESERVED or c.name in used:
                    raise problem(
                        f"{group}[{i}].name", f"a unique name not in {list(RESERVED)}", c.name
                    )
                used.add(c.name)
        names = set(GATE_GROUPS) | {c.name for c in self.commissions or []}
        for i, g in enumerate(self.gates or []):
            applies = [g.applies_to] if isinstance(g.applies_to, str) else g.applies_to
            if isinstance(applies, tuple):
                applies = list(applies)
            if not isinstance(applies, list) or not applies or any(a not in names for a in applies):
                raise problem(f"gates[{i}].applies_to", f"a list of {sorted(names)}", g.applies_to)
        return self


def parse_plan(d: Any, source: str) -> Plan:
    """Validate a plan file's content and build the :class:`Plan` (:class:`PlanError` naming
    the file, the key path and what was expected)."""
    f = validate_config(d, PlanFile, source=source, context={"source": source}, error=PlanError)
    titles = _text_map(f.name, "name")
    descriptions = _text_map(f.description, "description") if f.description else {}
    plan_id = f.id if f.id is not None else (
        f.name.strip() if isinstance(f.name, str) else Path(source).stem
    )  # fmt: skip
    commissions = tuple(
        Commission(
            name=c.name,
            tiers=tuple(Tier(float(t.from_), float(t.rate)) for t in c.tiers),
            measure=c.measure,
            categories=c.categories,
            basis=c.basis,
            mode=c.mode,
            application=c.application,
            threshold=c.threshold,
            cap_period=c.cap_period,
            cap_year=c.cap_year,
        )
        for c in f.commissions or []
    )

    def point(p):
        return None if p is None else CurvePoint(float(p.attainment), float(p.payout))

    bonus = None
    if f.bonus is not None:
        b = f.bonus
        bonus = Bonus(float(b.amount), point(b.threshold), point(b.target), point(b.excellence),
                      b.frequency)  # fmt: skip
    scorecard = None
    if f.scorecard is not None:
        sc = f.scorecard
        scorecard = Scorecard(
            float(sc.amount), tuple(Kpi(k.column, float(k.weight), k.points) for k in sc.kpis)
        )
    gates = tuple(
        Gate(
            g.kpi,
            float(g.min),
            tuple([g.applies_to] if isinstance(g.applies_to, str) else g.applies_to),
        )
        for g in f.gates or []
    )
    honours = tuple(
        Honour(
            name=h.name,
            amount=float(h.amount),
            rank_by=h.rank_by,
            within=h.within,
            top_n=h.top_n,
            top_share=h.top_share,
            frequency=h.frequency,
            min_attainment=h.min_attainment,
        )
        for h in f.honours or []
    )
    teams = tuple(
        TeamBonus(
            t.name,
            float(t.amount),
            1.0 if t.min_attainment is None else float(t.min_attainment),
            t.frequency,
        )
        for t in f.team_bonuses or []
    )
    draw = None
    if f.draw is not None:
        draw = Draw(float(f.draw.amount), f.draw.recoverable, f.draw.forgive_at_year_end)
    component_labels = {}
    for group in ("commissions", "honours", "team_bonuses"):
        for c in getattr(f, group) or []:
            if c.label is not None:
                component_labels[c.name] = _text_map(c.label)
    for single in ("bonus", "scorecard", "draw"):
        part = getattr(f, single)
        if part is not None and part.label is not None:
            component_labels[single] = _text_map(part.label)
    return Plan(
        name=plan_id.strip(),
        base_pay=float(f.base_pay or 0.0),
        target_incentive=None if f.target_incentive is None else float(f.target_incentive),
        commissions=commissions,
        bonus=bonus,
        scorecard=scorecard,
        gates=gates,
        honours=honours,
        team_bonuses=teams,
        draw=draw,
        description=descriptions.get("en") or next(iter(descriptions.values()), ""),
        titles=titles,
        descriptions=descriptions,
        component_labels=component_labels,
        source=source,
        raw=dict(d),
    )


def plan_to_dict(p: Plan) -> dict:
    """The plan as a dict that :func:`parse_plan` accepts (round trip)."""
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
