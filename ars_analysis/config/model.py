"""The config model: :class:`ConfigModel`, :func:`load_config`, :class:`ConfigError`, layers.

Every YAML file a consultant edits is described by a pydantic model deriving from
:class:`ConfigModel` (``extra="forbid"``: a misspelt key is an error, with the close key
suggested). :func:`load_config` reads a file (or several layered files) and validates it;
every problem becomes one :class:`ConfigError` (a ``ValueError``) whose message reads::

    <file>: <key path>: expected <what>, got <value>[; did you mean '<key>'?]

with the key path in the file's own terms (``dimensions.sales.weight``, ``tiers[2].rate``).
When the value came from a client layer on top of the package's base file, ``<file>`` is the
client's file.

A validator that checks several keys at once raises :func:`problem` (a ``ValueError`` that
carries the key path below the model and the expectation) so the message still names the key.

Examples
--------
>>> from pydantic import Field
>>> class Band(ConfigModel):
...     min: float = Field(0, ge=0)
...     max: float = 100
>>> validate_config({"max": 90, "mn": 10}, Band, source="bands.yml")
Traceback (most recent call last):
...
ars_analysis.config.model.ConfigError: bands.yml: mn: expected one of the keys ['max', 'min'], got 'mn'; did you mean 'min'?
>>> merged, origin = merge_layers([Layer("base.yml", {"a": {"x": 1, "y": 2}}),
...                                Layer("client.yml", {"a": {"y": 3}})])
>>> merged, origin[("a", "y")], origin[("a", "x")]
({'a': {'x': 1, 'y': 3}}, 'client.yml', 'base.yml')
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)

_MARK = "\x00key:"


class ConfigError(ValueError):
    """A configuration file is invalid: the message names the file, the key path and what was
    expected. ``problems`` lists ``(file, key path, message)`` of every problem found."""

    def __init__(self, message: str, problems: Sequence[tuple[str, str, str]] = ()):
        super().__init__(message)
        self.problems = list(problems)


class ConfigModel(BaseModel):
    """Base of every configuration model: unknown keys are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Layer:
    """One configuration layer: where it comes from (file), its values (a mapping) and where
    they sit in that file (``at``: e.g. ``"scorecard"`` for the ``scorecard:`` section of a
    client configuration), so an error names the key as written in the file."""

    source: str
    data: Mapping
    at: str = ""


class Origin(dict):
    """``{key path: source}`` of merged layers; ``at`` maps a source to its section key."""

    def __init__(self):
        super().__init__()
        self.at: dict[str, str] = {}


def base_file(*parts: str) -> Path:
    """A base configuration file shipped with the package (``base_file("plans", "x.yml")``)."""
    return Path(str(resources.files("ars_analysis") / "config" / Path(*parts)))


def suggest(word: Any, choices) -> str:
    """``"; did you mean 'x'?"`` for the close choice of a misspelt ``word`` (else ``""``)."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def problem(key: str, expected: str, got: Any = None, hint: str = "") -> ValueError:
    """An error for a model validator that names the key below the model (``"grades.C"``).

    >>> str(problem("tiers[1].from", "a value above 0", 0)).endswith("a value above 0, got 0")
    True
    """
    return ValueError(f"{_MARK}{key}\x00expected {expected}, got {got!r}{hint}")


def read_yaml(
    path: str | os.PathLike,
    *,
    what: str = "configuration",
    empty=None,
    error: type[ConfigError] | None = None,
) -> Any:
    """The content of a YAML file; a missing file or bad YAML is a :class:`ConfigError`."""
    ConfigError_ = error or ConfigError
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError_(f"{what} file {file} not found") from None
    except OSError as exc:
        raise ConfigError_(f"{what} file {file}: cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML: ValueError for a date like 2025-13-01
        raise ConfigError_(f"{file}: not valid YAML: {exc}") from None
    return empty if data is None else data


def merge_layers(layers: Sequence[Layer]) -> tuple[dict, dict[tuple, str]]:
    """Deep-merge mappings, later layers on top; return the merged values and, for every key
    path, the source it came from. Lists and scalars are replaced whole; ``None`` in a later
    layer keeps the earlier value (a notebook's "not given")."""
    merged: dict = {}
    origin = Origin()

    def put(dst: dict, src: Mapping, prefix: tuple, source: str) -> None:
        for k, v in src.items():
            path = (*prefix, k)
            if v is None and k in dst:
                continue
            if isinstance(v, Mapping) and isinstance(dst.get(k), dict):
                put(dst[k], v, path, source)
            else:
                dst[k] = _copy(v)
                for p in list(origin):
                    if p[: len(path)] == path:
                        del origin[p]
                _mark(v, path, source, origin)

    for layer in layers:
        if layer.data is None:
            continue
        if not isinstance(layer.data, Mapping):
            raise ConfigError(
                f"{layer.source}: (top level): expected a mapping (key: value), "
                f"got {type(layer.data).__name__}"
            )
        put(merged, layer.data, (), layer.source)
        if layer.at:
            origin.at[layer.source] = layer.at
    return merged, origin


def _copy(v):
    if isinstance(v, Mapping):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _mark(v, path: tuple, source: str, origin: dict) -> None:
    origin[path] = source
    if isinstance(v, Mapping):
        for k, x in v.items():
            _mark(x, (*path, k), source, origin)


def _key_path(loc: Sequence) -> str:
    out = ""
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"


def _join(base: str, sub: str) -> str:
    if not base:
        return sub
    if not sub:
        return base
    if base == "(top level)":
        return sub
    return base + ("" if sub.startswith("[") else ".") + sub


def _expected(err: dict, model: type[BaseModel], loc: tuple) -> tuple[str, str]:
    """(expected, suggestion) for one pydantic error."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = sorted(_fields_at(model, loc[:-1]))
        return f"one of the keys {allowed}", suggest(loc[-1], allowed)
    if kind == "missing":
        return "this required key", ""
    words = {
        "float_type": "a number",
        "float_parsing": "a number",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "string_type": "a text",
        "list_type": "a list",
        "tuple_type": "a list",
        "dict_type": "a mapping (key: value)",
        "model_type": "a mapping (key: value)",
        "model_attributes_type": "a mapping (key: value)",
        "finite_number": "a finite number",
    }
    if kind in words:
        return words[kind], ""
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"one of {choices}", ""
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        bound = next(iter(ctx.values()), "")
        return f"a number {op} {bound}", ""
    if kind in ("too_short", "too_long"):
        return err["msg"].replace("List should", "a list that should").lower(), ""
    return err["msg"], ""


def _fields_at(model: type[BaseModel], loc: Sequence) -> set[str]:
    """Names of the keys allowed at ``loc`` inside ``model`` (best effort)."""
    current: Any = model
    for p in loc:
        if isinstance(p, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return set()
        by_key = {f.alias or name: f for name, f in fields.items()}
        if p in by_key:
            current = _inner_model(by_key[p].annotation)
        else:  # a dict of models (dimensions.<key>)
            continue
    fields = getattr(current, "model_fields", None)
    return {f.alias or name for name, f in fields.items()} if fields else set()


def _inner_model(annotation) -> Any:
    """The model inside ``X``, ``X | None``, ``list[X]``, ``dict[str, X]``, ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _source_of(loc: tuple, origin: Mapping[tuple, str], default: str) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return default


def format_errors(
    exc: ValidationError,
    model: type[BaseModel],
    source: str,
    origin: Mapping[tuple, str] | None = None,
    error: type[ConfigError] | None = None,
) -> ConfigError:
    """One :class:`ConfigError` for a pydantic ``ValidationError`` (every problem listed)."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function")))
        # tagged unions / wrapped validators add their own names to the location: drop them
        msg = err.get("msg", "")
        raw = str(err.get("ctx", {}).get("error", "")) if err.get("ctx") else ""
        if raw.startswith(_MARK):
            sub, what = raw[len(_MARK) :].split("\x00", 1)
            key = _join(_key_path(loc), sub)
            file = _source_of(loc + tuple(_split(sub)), origin or {}, source)
            problems.append((file, key, what))
            continue
        if err["type"] == "value_error":
            what = msg.removeprefix("Value error, ")
            if not what.startswith("expected"):
                what = f"expected {what}"
            problems.append((_source_of(loc, origin or {}, source), _key_path(loc), what))
            continue
        expected, hint = _expected(err, model, loc)
        got = "missing" if err["type"] == "missing" else err.get("input")
        if err["type"] == "extra_forbidden":
            got = loc[-1]
        file = _source_of(loc, origin or {}, source)
        problems.append((file, _key_path(loc), f"expected {expected}, got {got!r}{hint}"))
    at = getattr(origin, "at", {})
    problems = [(f, _join(at[f], k) if f in at else k, m) for f, k, m in problems]
    lines = [f"{f}: {k}: {m}" for f, k, m in problems]
    return (error or ConfigError)("\n".join(lines), problems)


def _split(sub: str) -> list:
    out: list = []
    for part in sub.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            out.append(int(part[1:-1]))
        else:
            out.append(part)
    return out


def validate_config(
    data: Any,
    model: type[M],
    *,
    source: str = "<dict>",
    origin: Mapping[tuple, str] | None = None,
    context: Mapping | None = None,
    error: type[ConfigError] | None = None,
) -> M:
    """Validate ``data`` (a mapping) against ``model``; :class:`ConfigError` (or its subclass
    ``error``) on any problem."""
    if not isinstance(data, Mapping):
        raise (error or ConfigError)(
            f"{source}: (top level): expected a mapping (key: value), got {type(data).__name__}"
        )
    try:
        return model.model_validate(dict(data), context=dict(context or {}))
    except ValidationError as exc:
        raise format_errors(exc, model, source, origin, error) from None


def load_config(
    path: str | os.PathLike | Sequence[str | os.PathLike | Layer],
    model: type[M],
    *,
    overrides: Layer | Mapping | None = None,
    context: Mapping | None = None,
    what: str = "configuration",
    error: type[ConfigError] | None = None,
) -> M:
    """Read one YAML file (or layers: base file first, then client files or :class:`Layer` s)
    and validate the merged values against ``model``.

    Parameters
    ----------
    path : path or sequence of paths / Layers
        The file; several are merged deep in order (later on top).
    model : ConfigModel subclass
    overrides : Layer or mapping, optional
        A last layer (e.g. notebook parameters; ``None`` values keep the file's).
    context : mapping, optional
        Passed to the model's validators.

    Raises
    ------
    ConfigError
        Naming the file (the layer the bad value came from), the key path and what was
        expected.
    """
    items = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    layers = []
    for item in items:
        if isinstance(item, Layer):
            layers.append(item)
        else:
            layers.append(Layer(str(item), read_yaml(item, what=what, empty={}, error=error)))
    if overrides is not None:
        layers.append(overrides if isinstance(overrides, Layer) else Layer("overrides", overrides))
    merged, origin = merge_layers(layers)
    return validate_config(
        merged, model, source=layers[0].source if layers else "<dict>", origin=origin,
        context=context, error=error,
    )  # fmt: skip
