"""The field organisation's configuration: lines, roles, distributor-visit standard, development
and coaching settings (``config/field_organisation.yml``), validated by a pydantic model.

:func:`load_organisation` reads the file and raises :class:`OrganisationConfigError` naming the
file and the key path of every problem (``roles.promoter.kpis.visit_complete: ...``). The model
is a plain pydantic ``BaseModel`` with ``extra="forbid"`` (a misspelt key is an error, not a
silent default).

Examples
--------
>>> org = load_organisation()
>>> org.lines["main_attack"].roles
['salesperson']
>>> org.role_of_line()["promoter"]
['promotion', 'service']
>>> round(org.distributor_interval_days()["A"], 1)
14.0
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ars_analysis.config import ConfigError
from ars_analysis.data.contract import ACTIVITIES, ROLES, TERMINAL_TYPES
from ars_analysis.fieldforce.common import SCORECARD_KPIS
from ars_analysis.fieldforce.standards import INTERVALS

#: The shipped organisation file.
ORGANISATION_FILE = "field_organisation.yml"

#: Interval names accepted for distributor visits (days between two visits).
DISTRIBUTOR_INTERVALS = INTERVALS | {"quarterly": 365.25 / 4}

#: Scorecard KPIs where a lower value is better.
LOWER_IS_BETTER = ("far_checkin_share",)

#: Coaching roles, in the order their rules are tried.
COACHING_ROLES = ("firefighter", "missionary", "planner", "coach")


class OrganisationConfigError(ConfigError):
    """The organisation file does not follow the schema (message names file and key path)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    zh: str
    en: str


class Line(_Strict):
    """One line (主攻线 ...): the roles that carry it and what makes it present."""

    name: Names
    roles: list[str] = Field(min_length=1)
    rule: Literal["frequency", "visit", "activity", "distributor_visit"]
    terminal_types: list[str] | None = None
    activities: list[str] | None = None

    @field_validator("roles")
    @classmethod
    def _roles(cls, v):
        bad = sorted(set(v) - set(ROLES))
        if bad:
            raise ValueError(f"unknown role(s) {bad}; expected codes from {list(ROLES)}")
        return v

    @field_validator("terminal_types")
    @classmethod
    def _types(cls, v):
        bad = sorted(set(v or ()) - set(TERMINAL_TYPES))
        if bad:
            raise ValueError(f"unknown terminal type(s) {bad}; expected {list(TERMINAL_TYPES)}")
        return v

    @field_validator("activities")
    @classmethod
    def _acts(cls, v):
        bad = sorted(set(v or ()) - set(ACTIVITIES))
        if bad:
            raise ValueError(f"unknown activity code(s) {bad}; expected {list(ACTIVITIES)}")
        return v

    @model_validator(mode="after")
    def _activity_rule(self):
        if self.rule == "activity" and not self.activities:
            raise ValueError("rule 'activity' needs a list of activities")
        return self


class Role(_Strict):
    """One role (岗位): responsibilities, visit standard and KPI set."""

    name: Names
    terminal_types: list[str] = Field(default_factory=list)
    activities: list[str] = Field(default_factory=list)
    distributors: bool = False
    visits_per_day: float = Field(gt=0)
    kpis: dict[str, float] = Field(min_length=1)

    @field_validator("kpis")
    @classmethod
    def _kpis(cls, v):
        bad = sorted(set(v) - set(SCORECARD_KPIS))
        if bad:
            raise ValueError(f"unknown KPI(s) {bad}; expected names from {list(SCORECARD_KPIS)}")
        if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("KPI weights must be >= 0 with a positive sum")
        return v

    _types = field_validator("terminal_types")(Line._types.__func__)
    _acts = field_validator("activities")(Line._acts.__func__)


class Development(_Strict):
    tenure_bins: list[int] = Field(min_length=2)
    productive_share: float = Field(gt=0, le=1.5)
    experienced_months: int = Field(gt=0)
    training_months: int = Field(gt=0, le=12)
    min_tenure_months: int = Field(ge=0)

    @field_validator("tenure_bins")
    @classmethod
    def _bins(cls, v):
        if v[0] != 0 or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("tenure bins must start at 0 and increase")
        return v


class Coaching(_Strict):
    drop: float = Field(gt=0)
    drop_months: int = Field(gt=0)
    new_rep_months: int = Field(ge=0)
    min_peers: int = Field(ge=2)
    families: dict[Literal["missionary", "planner", "coach"], list[str]]

    @field_validator("families")
    @classmethod
    def _families(cls, v):
        seen: dict[str, str] = {}
        for fam, kpis in v.items():
            bad = sorted(set(kpis) - set(SCORECARD_KPIS))
            if bad:
                raise ValueError(f"{fam}: unknown KPI(s) {bad}")
            for k in kpis:
                if k in seen:
                    raise ValueError(f"KPI {k!r} is in both {seen[k]!r} and {fam!r}")
                seen[k] = fam
        return v


class Organisation(_Strict):
    """The whole organisation file."""

    lines: dict[str, Line] = Field(min_length=1)
    roles: dict[str, Role] = Field(min_length=1)
    distributor_visits: dict[str, float | str]
    development: Development
    coaching: Coaching
    source: str = "<dict>"

    @field_validator("roles")
    @classmethod
    def _role_codes(cls, v):
        bad = sorted(set(v) - set(ROLES))
        if bad:
            raise ValueError(f"unknown role(s) {bad}; expected codes from {list(ROLES)}")
        return v

    @field_validator("distributor_visits")
    @classmethod
    def _intervals(cls, v):
        for grade, x in v.items():
            ok = (isinstance(x, str) and x in DISTRIBUTOR_INTERVALS) or (
                not isinstance(x, str) and x > 0
            )
            if not ok:
                raise ValueError(
                    f"grade {grade!r}: {x!r}; expected one of {sorted(DISTRIBUTOR_INTERVALS)} "
                    "or a positive number of days"
                )
        return v

    def role_of_line(self) -> dict[str, list[str]]:
        """Role -> the lines it carries (in the file's order)."""
        out: dict[str, list[str]] = {r: [] for r in self.roles}
        for name, line in self.lines.items():
            for r in line.roles:
                out.setdefault(r, []).append(name)
        return out

    def distributor_interval_days(self) -> dict[str, float]:
        """Grade -> days between two distributor visits."""
        return {
            g: float(DISTRIBUTOR_INTERVALS[x]) if isinstance(x, str) else float(x)
            for g, x in self.distributor_visits.items()
        }

    def kpi_weights(self) -> dict[str, dict[str, float]]:
        """Role -> its KPI weights (the role's scorecard)."""
        return {r: dict(role.kpis) for r, role in self.roles.items()}


def _key_path(loc) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _default_path() -> Path:
    return Path(str(resources.files("ars_analysis") / "config" / ORGANISATION_FILE))


def organisation_from_dict(raw: dict, *, source: str = "<dict>") -> Organisation:
    """Validate a dict as an organisation (errors name ``source`` and the key path)."""
    if not isinstance(raw, dict):
        raise OrganisationConfigError(f"organisation {source}: expected a mapping of keys")
    try:
        return Organisation(**raw, source=source)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_key_path(e['loc'])}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()
        )
        raise OrganisationConfigError(f"organisation {source}: {problems}") from None


def load_organisation(path: str | os.PathLike | None = None) -> Organisation:
    """Read and validate the organisation file (``None``: the shipped
    ``config/field_organisation.yml``).

    Raises
    ------
    OrganisationConfigError
        Naming the file, the key path and what was expected.
    """
    file = Path(path) if path is not None else _default_path()
    if not file.is_file():
        raise OrganisationConfigError(f"organisation {file}: file not found")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise OrganisationConfigError(f"organisation {file}: not valid YAML ({exc})") from None
    return organisation_from_dict(raw, source=str(file))
