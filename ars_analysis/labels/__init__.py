"""Report labels in Chinese and English, kept in one place.

Every chart title, axis label, legend entry and table header that a client sees is looked up
here, so that a report follows its ``lang`` parameter throughout. The texts live in the YAML
files of this folder, one per business concept (``common.yml``, ``customers.yml``, ...); each
key maps to ``{zh: ..., en: ...}``. Keys are namespaced by file: ``customers.abc_class``.

English words that depend on a count are written ``{n|distributor|distributors}`` (or with
the verb: ``{n|distributor is|distributors are}``): :func:`label` keeps the first form when the
value of ``n`` is one, the second otherwise ("1 distributor", "2 distributors", "1,234
distributors"). Chinese needs no such forms.

Examples
--------
>>> from ars_analysis.labels import label
>>> label("common.revenue", "zh")
'销售额'
>>> label("common.revenue", "en")
'Revenue'
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

from ars_analysis.client import LANGS, check_lang

__all__ = ["LANGS", "agree", "all_keys", "check_lang", "has_label", "label", "labels"]


@cache
def _all_labels() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for entry in resources.files(__package__).iterdir():
        if not entry.name.endswith(".yml"):
            continue
        ns = entry.name[: -len(".yml")]
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        _flatten(entry.name, ns, data, out)
    return out


def _flatten(file: str, prefix: str, data: dict, out: dict) -> None:
    # A key maps to {zh: ..., en: ...}, or to a group of such keys (category values, e.g.
    # ``movement_values: {up: {zh: 上升, en: Up}}`` gives ``customers.movement_values.up``).
    for key, texts in data.items():
        if isinstance(texts, dict) and texts and not any(lang in texts for lang in LANGS):
            _flatten(file, f"{prefix}.{key}", texts, out)
            continue
        missing = [lang for lang in LANGS if lang not in (texts or {})]
        if missing:
            raise ValueError(f"labels/{file}: key {key!r} has no text for {missing}")
        out[f"{prefix}.{key}"] = texts


def label(key: str, lang: str = "zh", **fmt) -> str:
    """Text of ``key`` in ``lang``; ``fmt`` fills ``{placeholders}`` in the text.

    Raises ``KeyError`` naming the key when it is unknown, so a missing translation is found by
    the tests rather than shown to a client.
    """
    check_lang(lang)
    try:
        text = _all_labels()[key][lang]
    except KeyError:
        raise KeyError(
            f"no label {key!r}; add it to ars_analysis/labels/{key.split('.')[0]}.yml"
        ) from None
    return agree(text, fmt).format(**fmt) if fmt else text


#: ``{name|one form|other form}`` in a label text (see the module docstring).
COUNT_FORMS = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\}")


def _is_one(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return float(str(value).replace(",", "").strip()) == 1
    except ValueError:
        return False


def agree(text: str, values: dict) -> str:
    """``text`` with every ``{name|one|other}`` replaced by the form that agrees with
    ``values[name]`` (a number, or a formatted one such as ``"1,234"``).

    >>> agree("{n} {n|rep is|reps are} below target", {"n": 1})
    '{n} rep is below target'
    >>> agree("{n} {n|rep is|reps are} below target", {"n": "1,204"})
    '{n} reps are below target'
    """

    def form(m: re.Match) -> str:
        name, one, other = m.groups()
        if name not in values:
            raise KeyError(f"{name!r}: the count of {m.group(0)!r} is not given")
        return one if _is_one(values[name]) else other

    return COUNT_FORMS.sub(form, text)


def has_label(key: str) -> bool:
    """True when ``key`` has texts (for optional lookups such as category values)."""
    return key in _all_labels()


def labels(keys, lang: str = "zh") -> dict[str, str]:
    """Map each key's last part to its text: handy to rename DataFrame columns for a report.

    >>> labels(["common.revenue", "common.region"], "en")
    {'revenue': 'Revenue', 'region': 'Region'}
    """
    return {k.split(".", 1)[1]: label(k, lang) for k in keys}


def all_keys() -> list[str]:
    """Every known key (for tests)."""
    return sorted(_all_labels())
