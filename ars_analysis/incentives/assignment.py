"""Plans per role: the plan-assignment file (``config/plan_assignment.yml``), validated by a
pydantic model.

An assignment says which plan (a plan file, or a variant of one scaled on a
:data:`~ars_analysis.incentives.plan.SENSITIVITY_PARAMETERS` parameter) pays each role
(``reps.role``); the file holds several assignments to compare and the cost of honour awards
treated as non-cash recognition. Errors name the file and the key path.

Examples
--------
>>> a = load_plan_assignment()
>>> [x.id for x in a.assignments]
['one_plan', 'by_role']
>>> plans = a.plans()
>>> plans[("by_role", "promoter")].title("en")
'Promoter plan: store commission + in-store behaviour'
"""

from __future__ import annotations

import dataclasses
import os
import re
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ars_analysis.config import ConfigError
from ars_analysis.incentives.plan import SENSITIVITY_PARAMETERS, Plan, PlanError

#: The shipped assignment file.
ASSIGNMENT_FILE = "plan_assignment.yml"


class PlanAssignmentError(ConfigError):
    """The plan-assignment file does not follow the schema (names the file and key path)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    zh: str
    en: str


class Variant(_Strict):
    """A plan file and, optionally, parameters scaled by a factor."""

    plan: str
    scaled: dict[str, float] = Field(default_factory=dict)

    @field_validator("scaled")
    @classmethod
    def _params(cls, v):
        bad = sorted(set(v) - set(SENSITIVITY_PARAMETERS))
        if bad:
            raise ValueError(f"unknown parameter(s) {bad}; expected {list(SENSITIVITY_PARAMETERS)}")
        if any(f < 0 for f in v.values()):
            raise ValueError("scaling factors must be >= 0")
        return v


class Assignment(_Strict):
    id: str
    name: Names
    roles: dict[str, str | Variant] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v):
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", v):
            raise ValueError("an assignment id is letters, digits and _, starting with a letter")
        return v

    def title(self, lang: str) -> str:
        return getattr(self.name, lang)


class Recognition(_Strict):
    cost: dict[str, float] = Field(default_factory=dict)

    @field_validator("cost")
    @classmethod
    def _cost(cls, v):
        if any(c < 0 for c in v.values()):
            raise ValueError("a recognition cost must be >= 0")
        return v


class PlanAssignment(_Strict):
    """The whole plan-assignment file."""

    assignments: list[Assignment] = Field(min_length=1)
    recognition: Recognition = Field(default_factory=Recognition)
    source: str = "<dict>"

    @field_validator("assignments")
    @classmethod
    def _unique(cls, v):
        ids = [a.id for a in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"assignment ids must be unique; repeated: {dup}")
        return v

    @property
    def reference(self) -> str:
        """The first assignment's id (the reference of the comparison)."""
        return self.assignments[0].id

    def roles(self) -> list[str]:
        return list(dict.fromkeys(r for a in self.assignments for r in a.roles))

    def _path(self, name: str) -> Path:
        p = Path(name)
        if p.is_absolute():
            return p
        if self.source not in ("<dict>", ""):
            here = Path(self.source).parent / p
            if here.is_file():
                return here
        return Path(str(resources.files("ars_analysis") / "config" / "plans")) / p

    def plans(self) -> dict[tuple[str, str], Plan]:
        """(assignment id, role) -> the Plan paying that role, named ``<assignment>__<role>``.

        Raises PlanAssignmentError naming the key when a plan file is missing or invalid.
        """
        out = {}
        cache: dict[Path, Plan] = {}
        for a in self.assignments:
            for role, spec in a.roles.items():
                v = spec if isinstance(spec, Variant) else Variant(plan=spec)
                path = self._path(v.plan)
                where = f"plan assignment {self.source}: assignments.{a.id}.roles.{role}"
                if not path.is_file():
                    raise PlanAssignmentError(f"{where}: plan file {v.plan!r} not found")
                try:
                    plan = cache.get(path) or Plan.from_yaml(path)
                except PlanError as exc:
                    raise PlanAssignmentError(f"{where}: {exc}") from None
                cache[path] = plan
                for param, factor in v.scaled.items():
                    plan = plan.scaled(param, factor)
                out[(a.id, role)] = dataclasses.replace(plan, name=f"{a.id}__{role}")
        return out


def _key_path(loc) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def plan_assignment_from_dict(raw, *, source: str = "<dict>") -> PlanAssignment:
    """Validate a dict as a plan assignment (errors name ``source`` and the key path)."""
    if not isinstance(raw, dict):
        raise PlanAssignmentError(f"plan assignment {source}: expected a mapping of keys")
    try:
        return PlanAssignment(**raw, source=source)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_key_path(e['loc'])}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()
        )
        raise PlanAssignmentError(f"plan assignment {source}: {problems}") from None


def load_plan_assignment(path: str | os.PathLike | None = None) -> PlanAssignment:
    """Read and validate the plan-assignment file (``None``: the shipped one)."""
    file = (
        Path(path)
        if path is not None
        else Path(str(resources.files("ars_analysis") / "config" / ASSIGNMENT_FILE))
    )
    if not file.is_file():
        raise PlanAssignmentError(f"plan assignment {file}: file not found")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PlanAssignmentError(f"plan assignment {file}: not valid YAML ({exc})") from None
    return plan_assignment_from_dict(raw, source=str(file))
