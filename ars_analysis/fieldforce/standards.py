"""The visit standards a consultant edits (``config/visit_standards.yml``): :func:`load_standards`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ars_analysis.config import (
    ConfigModel,
    Layer,
    base_file,
    merge_layers,
    problem,
    read_yaml,
    suggest,
    validate_config,
)
from ars_analysis.fieldforce.common import SCORECARD_KPIS

#: Default standards shipped with the package (edit a copy, see :func:`load_standards`).
STANDARDS_FILE = base_file("visit_standards.yml")

#: Named visit intervals (days) accepted in the frequency standards.
INTERVALS = {"weekly": 7.0, "biweekly": 14.0, "monthly": 365.25 / 12}

#: Coaching standards when the standards file has none: KPI -> {"min"|"max": value}.
_COACHING_DEFAULT = {
    "visit_completion": {"min": 0.85},
    "frequency_compliance": {"min": 0.6},
    "far_checkin_share": {"max": 0.1},
}

# --------------------------------------------------------------------------------------------
# configuration: the model of config/visit_standards.yml

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _interval_days(grade, value) -> float:
    if isinstance(value, str) and value.strip().lower() in INTERVALS:
        return INTERVALS[value.strip().lower()]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise problem(
        str(grade),
        f"one of {sorted(INTERVALS)} or a positive number of days between visits "
        f"(frequency of grade {grade!r})",
        value,
    )


def _weights(weights) -> dict[str, float]:
    if not isinstance(weights, Mapping):
        raise problem("", "a mapping of scorecard KPIs to weights", weights)
    out = {}
    for k, v in weights.items():
        if k not in SCORECARD_KPIS:
            raise problem(
                str(k),
                f"one of the scorecard KPIs {list(SCORECARD_KPIS)}",
                k,
                suggest(k, SCORECARD_KPIS),
            )
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or not math.isfinite(v):
            raise problem(str(k), "a weight >= 0", v)
        out[k] = float(v)
    if out and sum(out.values()) <= 0:
        raise problem("", "weights that do not sum to 0 (give at least one positive)", out)
    return out


class Coaching(ConfigModel):
    """A coaching standard: ``{min: x}`` or ``{max: x}``."""

    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.min is None) == (self.max is None):
            raise problem("", "exactly one of min or max", self.model_dump(exclude_none=True))
        return self


class VisitStandards(ConfigModel):
    """The visit standards (``config/visit_standards.yml``; every key is explained there)."""

    frequency: dict[str, float]
    top_share: Number = Field(0.2, gt=0, le=1)
    distance_bands_m: list[Annotated[Number, Field(gt=0)]] = Field(
        default_factory=lambda: [200.0, 1000.0, 5000.0], min_length=1
    )
    far_checkin_m: Number = Field(1000.0, gt=0)
    scorecard_weights: dict[str, float] = {}
    attainment_cap: Number = Field(1.2, gt=0)
    min_score_basis: Number = Field(0.75, ge=0, le=1)
    reference: dict[
        Literal["avg_time_in_store_min", "visits_per_day"], Annotated[Number, Field(gt=0)]
    ] = {}
    new_terminal_history_months: Number = Field(6.0, ge=0)
    coaching: dict[str, Coaching] | None = None

    @field_validator("frequency", mode="before")
    @classmethod
    def _frequency(cls, v):
        if not isinstance(v, Mapping) or not v:
            raise problem("", "a mapping of each terminal grade to an interval", v)
        return {str(g): _interval_days(g, x) for g, x in v.items()}

    @field_validator("scorecard_weights", mode="before")
    @classmethod
    def _scorecard_weights(cls, v):
        return _weights(v if v is not None else {})

    @field_validator("distance_bands_m")
    @classmethod
    def _increasing(cls, v):
        if any(b2 <= b1 for b1, b2 in zip(v, v[1:], strict=False)):
            raise problem("", "an increasing list of positive metres", v)
        return v

    @field_validator("coaching")
    @classmethod
    def _coaching_kpis(cls, v):
        for k in v or {}:
            if k not in SCORECARD_KPIS:
                raise problem(str(k), f"one of the scorecard KPIs {list(SCORECARD_KPIS)}", k)
        return v

    def as_dict(self) -> dict:
        """The standards as :func:`load_standards` returns them."""
        ref = {"avg_time_in_store_min": 20.0, "visits_per_day": 8.0}
        ref.update({k: float(v) for k, v in self.reference.items()})
        coaching = (
            _COACHING_DEFAULT if self.coaching is None else
            {k: {"min": c.min} if c.min is not None else {"max": c.max}
             for k, c in self.coaching.items()}
        )  # fmt: skip
        return {
            "frequency": dict(self.frequency),
            "top_share": float(self.top_share),
            "distance_bands_m": [float(b) for b in self.distance_bands_m],
            "far_checkin_m": float(self.far_checkin_m),
            "scorecard_weights": dict(self.scorecard_weights),
            "attainment_cap": float(self.attainment_cap),
            "min_score_basis": float(self.min_score_basis),
            "reference": ref,
            "new_terminal_history_months": float(self.new_terminal_history_months),
            "coaching": {k: next(iter(v.items())) for k, v in coaching.items()},
        }


def load_standards(
    path: str | Path | None = None, *, layers: Sequence[Layer] = (), **overrides
) -> dict:
    """Read and check the visit standards (frequency per grade, distance bands, weights).

    Parameters
    ----------
    path : str or Path, optional
        A YAML file in the format of the shipped ``config/visit_standards.yml``; ``None`` reads
        the shipped defaults.
    layers : sequence of Layer, optional
        Client layers merged deep on top of the file (e.g. the ``visit_standards`` of a client
        configuration: ``Layer(cfg.source, cfg.visit_standards)``).
    **overrides
        Top-level entries that replace the merged ones (e.g.
        ``frequency={"top": 14, "other": 30}``, ``top_share=0.1``). ``None`` values are
        ignored, so notebook parameters can be passed straight through.

    Returns
    -------
    dict
        ``frequency`` (grade -> interval in days, float), ``top_share``, ``distance_bands_m``
        (increasing list), ``far_checkin_m``, ``scorecard_weights`` (KPI -> weight),
        ``attainment_cap``, ``min_score_basis``, ``reference`` (KPI -> reference value),
        ``new_terminal_history_months`` (months of sales history needed before a window to
        count new terminals) and ``coaching`` (KPI -> (``"min"`` or ``"max"``, value): the
        standard below / above which a rep is to be coached).

    Raises
    ------
    ConfigError
        (a ``ValueError``) naming the file the bad value came from, the key path and what was
        expected.

    Examples
    --------
    >>> std = load_standards()
    >>> std["frequency"]["top"], std["distance_bands_m"]
    (7.0, [200.0, 1000.0, 5000.0])
    >>> load_standards(frequency={"top": "biweekly", "other": 60})["frequency"]
    {'top': 14.0, 'other': 60.0}
    """
    src = Path(path) if path is not None else STANDARDS_FILE
    base = Layer(str(src), read_yaml(src, what="visit standards", empty={}))
    merged, origin = merge_layers([base, *layers])
    given = {k: v for k, v in overrides.items() if v is not None}
    for k, v in given.items():  # notebook parameters replace an entry whole
        merged[k] = v
        for p in [p for p in origin if p[0] == k]:
            del origin[p]
        origin[(k,)] = "parameters"
    return validate_config(merged, VisitStandards, source=str(src), origin=origin).as_dict()


def _check_weights(weights, where: str = "scorecard weights") -> dict[str, float]:
    """Validate scorecard weights given as a parameter (:class:`ConfigError` naming them)."""
    try:
        return _weights(weights)
    except ValueError:
        return validate_config(
            {"frequency": {"top": 7}, "scorecard_weights": weights}, VisitStandards, source=where
        ).scorecard_weights
