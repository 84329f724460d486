"""Plans per role: the plan-assignment file (``config/plan_assignment.yml``).

An assignment says which plan (a plan file, or a variant of one scaled on a
:data:`~ars_analysis.incentives.plan.SENSITIVITY_PARAMETERS` parameter) pays each role
(``reps.role``); the file holds several assignments to compare and the cost of honour awards
treated as non-cash recognition. The model is on :class:`~ars_analysis.config.ConfigModel`;
:func:`load_plan_assignment` merges a client's ``plan_assignment:`` layer over the file
(``cfg.layer("plan_assignment")``) and validates after merging. Errors name the file the bad
value came from, the key path and what was expected.

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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ars_analysis.config import (
    ConfigError,
    ConfigModel,
    Layer,
    base_file,
    merge_layers,
    problem,
    read_yaml,
    suggest,
    validate_config,
)
from ars_analysis.incentives.plan import SENSITIVITY_PARAMETERS, Plan, PlanError

#: The shipped assignment file.
ASSIGNMENT_FILE = "plan_assignment.yml"


class PlanAssignmentError(ConfigError):
    """The plan-assignment file does not follow the schema (names the file and key path)."""


class Names(ConfigModel):
    zh: str
    en: str


class Variant(ConfigModel):
    """A plan file and, optionally, parameters scaled by a factor."""

    plan: str
    scaled: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, v):
        # a role's plan is a plan file name, or a mapping {plan: ..., scaled: ...}
        return {"plan": v} if isinstance(v, str) else v

    @field_validator("scaled")
    @classmethod
    def _params(cls, v):
        for k in v:
            if k not in SENSITIVITY_PARAMETERS:
                raise problem(
                    str(k),
                    f"one of the plan parameters {list(SENSITIVITY_PARAMETERS)}",
                    k,
                    suggest(k, SENSITIVITY_PARAMETERS),
                )
        return v


class Assignment(ConfigModel):
    id: str
    name: Names
    roles: dict[str, Variant] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v):
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", v):
            raise problem("", "an id of letters, digits and _, starting with a letter", v)
        return v

    def title(self, lang: str) -> str:
        return getattr(self.name, lang)


class Recognition(ConfigModel):
    # honour -> what one award costs the company (CNY)
    cost: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)


class PlanAssignment(ConfigModel):
    """The whole plan-assignment file (``source``: the file the assignments were read from;
    their plan files are looked up beside it, then in ``config/plans/``)."""

    assignments: list[Assignment] = Field(min_length=1)
    recognition: Recognition = Field(default_factory=Recognition)
    source: str = "<dict>"
    # the section of ``source`` that holds the assignments ("plan_assignment" in a client file)
    _at: str = PrivateAttr("")

    @field_validator("assignments")
    @classmethod
    def _unique(cls, v):
        ids = [a.id for a in v]
        for i, x in enumerate(ids):
            if x in ids[:i]:
                raise problem(f"[{i}].id", "an id not used by an earlier assignment", x)
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
        return base_file("plans") / p

    def plans(self) -> dict[tuple[str, str], Plan]:
        """(assignment id, role) -> the Plan paying that role, named ``<assignment>__<role>``.

        Raises PlanAssignmentError naming the key when a plan file is missing or invalid.
        """
        out = {}
        cache: dict[Path, Plan] = {}
        for i, a in enumerate(self.assignments):
            for role, v in a.roles.items():
                path = self._path(v.plan)
                key = f"assignments[{i}].roles.{role}"
                where = f"{self.source}: {self._at + '.' if self._at else ''}{key}"
                if not path.is_file():
                    here = (
                        "" if self.source in ("<dict>", "") else f"{Path(self.source).parent} or "
                    )
                    raise PlanAssignmentError(
                        f"{where}: expected a plan file (in {here}{base_file('plans')}) "
                        f"for assignment {a.id!r}, got {v.plan!r}"
                    )
                try:
                    plan = cache.get(path) or Plan.from_yaml(path)
                except PlanError as exc:
                    raise PlanAssignmentError(f"{where}: {exc}") from None
                cache[path] = plan
                for param, factor in v.scaled.items():
                    plan = plan.scaled(param, factor)
                out[(a.id, role)] = dataclasses.replace(plan, name=f"{a.id}__{role}")
        return out


def plan_assignment_from_dict(raw: Mapping, *, source: str = "<dict>") -> PlanAssignment:
    """Validate a mapping as a plan assignment (errors name ``source`` and the key path)."""
    data = {**raw, "source": source} if isinstance(raw, Mapping) else raw
    return validate_config(data, PlanAssignment, source=source, error=PlanAssignmentError)


def load_plan_assignment(
    path: str | os.PathLike | None = None, *, layers: Sequence[Layer] = ()
) -> PlanAssignment:
    """Read and validate the plan-assignment file (``None``: the shipped one), with client
    layers merged deep on top.

    Parameters
    ----------
    path : path, optional
        A file in the format of the shipped ``config/plan_assignment.yml``.
    layers : sequence of Layer, optional
        Client layers over the file, e.g. ``cfg.layer("plan_assignment")`` of a client
        configuration. ``assignments`` is a list, so a layer that gives it replaces the list
        whole (and its plan files are looked up beside that layer's file first);
        ``recognition.cost`` is merged key by key.

    Raises
    ------
    PlanAssignmentError
        Naming the file the bad value came from, the key path as written there and what was
        expected.
    """
    file = Path(path) if path is not None else base_file(ASSIGNMENT_FILE)
    base = Layer(
        str(file), read_yaml(file, what="plan assignment", empty={}, error=PlanAssignmentError)
    )
    merged, origin = merge_layers([base, *layers])
    # the file the assignments list came from: plan paths are relative to it
    source = origin.get(("assignments",), str(file))
    merged["source"] = source
    origin[("source",)] = str(file)
    out = validate_config(
        merged, PlanAssignment, source=str(file), origin=origin, error=PlanAssignmentError
    )
    out._at = getattr(origin, "at", {}).get(source, "")
    return out
