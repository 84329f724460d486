"""The visit standards a consultant edits (``config/visit_standards.yml``): :func:`load_standards`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import yaml

from ars_analysis.fieldforce.common import SCORECARD_KPIS

#: Default standards shipped with the package (edit a copy, see :func:`load_standards`).
STANDARDS_FILE = Path(__file__).parents[1] / "config" / "visit_standards.yml"

#: Named visit intervals (days) accepted in the frequency standards.
INTERVALS = {"weekly": 7.0, "biweekly": 14.0, "monthly": 365.25 / 12}

#: Coaching standards when the standards file has none: KPI -> {"min"|"max": value}.
_COACHING_DEFAULT = {
    "visit_completion": {"min": 0.85},
    "frequency_compliance": {"min": 0.6},
    "far_checkin_share": {"max": 0.1},
}

# --------------------------------------------------------------------------------------------
# configuration


def _interval_days(grade, value) -> float:
    if isinstance(value, str) and value.strip().lower() in INTERVALS:
        return INTERVALS[value.strip().lower()]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError(
        f"visit standards: frequency of grade {grade!r} is {value!r}; expected one of "
        f"{sorted(INTERVALS)} or a positive number of days between visits"
    )


def load_standards(path: str | Path | None = None, **overrides) -> dict:
    """Read and check the visit standards (frequency per grade, distance bands, weights).

    Parameters
    ----------
    path : str or Path, optional
        A YAML file in the format of the shipped ``config/visit_standards.yml``; ``None`` reads
        the shipped defaults.
    **overrides
        Top-level entries that replace the file's (e.g. ``frequency={"top": 14, "other": 30}``,
        ``top_share=0.1``). ``None`` values are ignored, so notebook parameters can be passed
        straight through.

    Returns
    -------
    dict
        ``frequency`` (grade -> interval in days, float), ``top_share``, ``distance_bands_m``
        (increasing list), ``far_checkin_m``, ``scorecard_weights`` (KPI -> weight),
        ``attainment_cap``, ``reference`` (KPI -> reference value),
        ``new_terminal_history_months`` (months of sales history needed before a window to
        count new terminals) and ``coaching`` (KPI -> (``"min"`` or ``"max"``, value): the
        standard below / above which a rep is to be coached).

    Raises
    ------
    ValueError
        Naming the entry that is missing or wrong.

    Examples
    --------
    >>> std = load_standards()
    >>> std["frequency"]["top"], std["distance_bands_m"]
    (7.0, [200.0, 1000.0, 5000.0])
    >>> load_standards(frequency={"top": "biweekly", "other": 60})["frequency"]
    {'top': 14.0, 'other': 60.0}
    """
    src = Path(path) if path is not None else STANDARDS_FILE
    try:
        raw = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"visit standards {src}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ValueError(
            f"visit standards {src}: expected a mapping of entries, got {type(raw).__name__}"
        )
    raw.update({k: v for k, v in overrides.items() if v is not None})
    where = f"visit standards ({src.name})"
    known = {
        "frequency",
        "top_share",
        "distance_bands_m",
        "far_checkin_m",
        "scorecard_weights",
        "attainment_cap",
        "min_score_basis",
        "reference",
        "new_terminal_history_months",
        "coaching",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{where}: unknown entries {unknown}; expected some of {sorted(known)}")
    freq = raw.get("frequency")
    if not isinstance(freq, Mapping) or not freq:
        raise ValueError(f"{where}: 'frequency' must map each terminal grade to an interval")
    out: dict = {"frequency": {str(g): _interval_days(g, v) for g, v in freq.items()}}

    top_share = raw.get("top_share", 0.2)
    if (
        not isinstance(top_share, (int, float))
        or isinstance(top_share, bool)
        or not 0 < top_share <= 1
    ):
        raise ValueError(f"{where}: 'top_share' must be a number in (0, 1], got {top_share!r}")
    out["top_share"] = float(top_share)

    bands = raw.get("distance_bands_m", [200, 1000, 5000])
    if (
        not isinstance(bands, list)
        or not bands
        or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and b > 0 for b in bands)
        or any(b2 <= b1 for b1, b2 in zip(bands, bands[1:], strict=False))
    ):
        raise ValueError(
            f"{where}: 'distance_bands_m' must be a non-empty increasing list of positive metres, "
            f"got {bands!r}"
        )
    out["distance_bands_m"] = [float(b) for b in bands]

    far = raw.get("far_checkin_m", 1000)
    if not isinstance(far, (int, float)) or isinstance(far, bool) or far <= 0:
        raise ValueError(
            f"{where}: 'far_checkin_m' must be a positive number of metres, got {far!r}"
        )
    out["far_checkin_m"] = float(far)

    weights = raw.get("scorecard_weights", {})
    out["scorecard_weights"] = _check_weights(weights, where)

    cap = raw.get("attainment_cap", 1.2)
    if not isinstance(cap, (int, float)) or isinstance(cap, bool) or cap <= 0:
        raise ValueError(f"{where}: 'attainment_cap' must be a positive number, got {cap!r}")
    out["attainment_cap"] = float(cap)

    basis = raw.get("min_score_basis", 0.75)
    if not isinstance(basis, (int, float)) or isinstance(basis, bool) or not 0 <= basis <= 1:
        raise ValueError(f"{where}: 'min_score_basis' must be a share in [0, 1], got {basis!r}")
    out["min_score_basis"] = float(basis)

    ref = raw.get("reference", {}) or {}
    if not isinstance(ref, Mapping):
        raise ValueError(f"{where}: 'reference' must map KPIs to positive numbers")
    defaults = {"avg_time_in_store_min": 20.0, "visits_per_day": 8.0}
    for k, v in ref.items():
        if k not in defaults:
            raise ValueError(
                f"{where}: 'reference' has unknown KPI {k!r}; expected {sorted(defaults)}"
            )
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{where}: reference of {k!r} must be a positive number, got {v!r}")
        defaults[k] = float(v)
    out["reference"] = defaults

    hist = raw.get("new_terminal_history_months", 6)
    if not isinstance(hist, (int, float)) or isinstance(hist, bool) or hist < 0:
        raise ValueError(
            f"{where}: 'new_terminal_history_months' must be a number of months >= 0, got {hist!r}"
        )
    out["new_terminal_history_months"] = float(hist)

    coaching = raw.get("coaching", _COACHING_DEFAULT) or {}
    if not isinstance(coaching, Mapping):
        raise ValueError(f"{where}: 'coaching' must map KPIs to {{min: ...}} or {{max: ...}}")
    out["coaching"] = {}
    for k, v in coaching.items():
        if k not in SCORECARD_KPIS:
            raise ValueError(
                f"{where}: 'coaching' has unknown KPI {k!r}; expected some of "
                f"{list(SCORECARD_KPIS)}"
            )
        if (
            not isinstance(v, Mapping)
            or len(v) != 1
            or next(iter(v)) not in ("min", "max")
            or not isinstance(next(iter(v.values())), (int, float))
            or isinstance(next(iter(v.values())), bool)
        ):
            raise ValueError(
                f"{where}: coaching standard of {k!r} must be {{min: number}} or "
                f"{{max: number}}, got {v!r}"
            )
        ((direction, value),) = v.items()
        out["coaching"][k] = (direction, float(value))
    return out


def _check_weights(weights, where: str = "scorecard weights") -> dict[str, float]:
    if not isinstance(weights, Mapping):
        raise ValueError(f"{where}: 'scorecard_weights' must map KPI names to weights")
    out = {}
    for k, v in weights.items():
        if k not in SCORECARD_KPIS:
            raise ValueError(
                f"{where}: unknown scorecard KPI {k!r}; expected some of {list(SCORECARD_KPIS)}"
            )
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or not math.isfinite(v):
            raise ValueError(f"{where}: weight of {k!r} must be a number >= 0, got {v!r}")
        out[k] = float(v)
    if out and sum(out.values()) <= 0:
        raise ValueError(f"{where}: scorecard weights sum to 0; give at least one positive weight")
    return out
