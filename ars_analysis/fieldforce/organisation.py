"""The field organisation's configuration: lines, roles, distributor-visit standard, development
and coaching settings (``config/field_organisation.yml``), a model on
:class:`~ars_analysis.config.ConfigModel` read with :func:`~ars_analysis.config.load_config`.

:func:`load_organisation` reads the file, with a client's ``field_organisation:`` layer merged
over it (``cfg.layer("field_organisation")``), and raises :class:`OrganisationConfigError`
naming the file, the key path and what was expected for every problem
(``roles.promoter.kpis.visit_complete: expected one of the scorecard KPIs [...], got
'visit_complete'; did you mean 'visit_completion'?``); a misspelt key is an error, not a silent
default.

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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ars_analysis.config import (
    ConfigError,
    ConfigModel,
    Layer,
    base_file,
    load_config,
    problem,
    suggest,
    validate_config,
)
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


def _known(values, known, what: str):
    """``values`` when every item (of a list, or key of a mapping) is one of ``known``, else a
    :func:`~ars_analysis.config.problem` naming the first unknown one (its position or key)."""
    for i, x in enumerate(values or ()):
        if x not in known:
            key = str(x) if isinstance(values, dict) else f"[{i}]"
            raise problem(key, f"{what} {list(known)}", x, suggest(x, known))
    return values


class Names(ConfigModel):
    zh: str
    en: str


class Line(ConfigModel):
    """One line (主攻线 ...): the roles that carry it and what makes it present."""

    name: Names
    roles: list[str] = Field(min_length=1)
    rule: Literal["frequency", "visit", "activity", "distributor_visit"]
    terminal_types: list[str] | None = None
    activities: list[str] | None = None

    @field_validator("roles")
    @classmethod
    def _roles(cls, v):
        return _known(v, ROLES, "one of the role codes")

    @field_validator("terminal_types")
    @classmethod
    def _types(cls, v):
        return _known(v, TERMINAL_TYPES, "one of the terminal types")

    @field_validator("activities")
    @classmethod
    def _acts(cls, v):
        return _known(v, ACTIVITIES, "one of the activity codes")

    @model_validator(mode="after")
    def _activity_rule(self):
        if self.rule == "activity" and not self.activities:
            raise problem(
                "activities", "a list of activity codes (rule 'activity' needs it)", self.activities
            )
        return self


class Role(ConfigModel):
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
        _known(v, SCORECARD_KPIS, "one of the scorecard KPIs")
        for k, w in v.items():
            if w < 0:
                raise problem(str(k), "a weight >= 0", w)
        if sum(v.values()) <= 0:
            raise problem("", "KPI weights with a positive sum", dict(v))
        return v

    _types = field_validator("terminal_types")(Line._types.__func__)
    _acts = field_validator("activities")(Line._acts.__func__)


class Development(ConfigModel):
    tenure_bins: list[int] = Field(min_length=2)
    productive_share: float = Field(gt=0, le=1.5)
    experienced_months: int = Field(gt=0)
    training_months: int = Field(gt=0, le=12)
    min_tenure_months: int = Field(ge=0)

    @field_validator("tenure_bins")
    @classmethod
    def _bins(cls, v):
        if v[0] != 0 or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise problem("", "tenure bins (months) that start at 0 and increase", v)
        return v


class Coaching(ConfigModel):
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
            for i, k in enumerate(kpis):
                if k not in SCORECARD_KPIS:
                    raise problem(
                        f"{fam}[{i}]",
                        f"one of the scorecard KPIs {list(SCORECARD_KPIS)}",
                        k,
                        suggest(k, SCORECARD_KPIS),
                    )
                if k in seen:
                    raise problem(
                        f"{fam}[{i}]", f"a KPI of one family only (it is in {seen[k]!r} too)", k
                    )
                seen[k] = fam
        return v


class Organisation(ConfigModel):
    """The whole organisation file (``source``: the file it was read from)."""

    lines: dict[str, Line] = Field(min_length=1)
    roles: dict[str, Role] = Field(min_length=1)
    # grade -> a named interval or a number of days (checked below, one message for both)
    distributor_visits: dict[str, Any]
    development: Development
    coaching: Coaching
    source: str = "<dict>"

    @field_validator("roles")
    @classmethod
    def _role_codes(cls, v):
        return _known(v, ROLES, "one of the role codes")

    @field_validator("distributor_visits")
    @classmethod
    def _intervals(cls, v):
        for grade, x in v.items():
            number = isinstance(x, (int, float)) and not isinstance(x, bool)
            ok = (isinstance(x, str) and x in DISTRIBUTOR_INTERVALS) or (number and x > 0)
            if not ok:
                raise problem(
                    str(grade),
                    f"one of {sorted(DISTRIBUTOR_INTERVALS)} or a positive number of days "
                    f"between two visits of a grade-{grade} distributor",
                    x,
                    suggest(x, DISTRIBUTOR_INTERVALS) if isinstance(x, str) else "",
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


def organisation_from_dict(raw: Mapping, *, source: str = "<dict>") -> Organisation:
    """Validate a mapping as an organisation (errors name ``source`` and the key path)."""
    data = {**raw, "source": source} if isinstance(raw, Mapping) else raw
    return validate_config(data, Organisation, source=source, error=OrganisationConfigError)


def load_organisation(
    path: str | os.PathLike | None = None, *, layers: Sequence[Layer] = ()
) -> Organisation:
    """Read and validate the organisation file (``None``: the shipped
    ``config/field_organisation.yml``), with client layers merged deep on top.

    Parameters
    ----------
    path : path, optional
        A file in the format of the shipped ``config/field_organisation.yml``.
    layers : sequence of Layer, optional
        Client layers over the file, e.g. ``cfg.layer("field_organisation")`` of a client
        configuration: merged key by key, validated after merging.

    Raises
    ------
    OrganisationConfigError
        Naming the file the bad value came from (the client's file for a value of its layer),
        the key path as written there and what was expected.
    """
    file = Path(path) if path is not None else base_file(ORGANISATION_FILE)
    return load_config(
        [file, *layers],
        Organisation,
        overrides=Layer(str(file), {"source": str(file)}),
        what="field organisation",
        error=OrganisationConfigError,
    )
