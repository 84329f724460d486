"""Counts agree with their nouns and verbs in English sentences ("1 distributor is", not
"1 distributors are"): the ``{n|one|other}`` forms of the label texts."""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest

from ars_analysis.labels import COUNT_FORMS, _all_labels, agree, label

#: Nouns a report counts; "{n} <up to two words> <noun>s" in an English text must use a form.
NOUNS = (
    "distributor customer terminal rep visit record report plan candidate segment scenario "
    "month day row item"
).split()
#: Placeholders that hold a share, a rate, an amount or a name, never a count.
NOT_COUNTS = {
    "share", "items", "rate", "compliance", "order", "top", "revenue", "ratio", "rmse", "value",
    "travel", "coverage", "measure", "stake", "plan", "points", "vpd", "cheap", "fair", "scope",
    "halving", "nd", "terminal_share",
}  # fmt: skip
_BARE = re.compile(
    r"\{(\w+)\}((?:\s+[\w-]+){0,2}?)\s+(" + "|".join(NOUNS) + r")s\b", flags=re.IGNORECASE
)


@pytest.mark.parametrize(
    "value, form",
    [(1, "one"), ("1", "one"), (1.0, "one"), (0, "other"), (2, "other"), ("1,234", "other"),
     ("1.5", "other"), ("—", "other"), (True, "other")],
)  # fmt: skip
def test_the_form_follows_the_count(value, form):
    assert agree("{n|one|other}", {"n": value}) == form


def test_a_form_without_its_count_is_an_error():
    with pytest.raises(KeyError, match="'k'"):
        agree("{n} {k|rep|reps}", {"n": 1})


def test_sentences_agree_in_english_and_chinese_is_unchanged():
    en = {a: label("customers.say_grades", "en", a=a, b=2, c=0, share="60%") for a in (1, 2)}
    assert en[1].startswith("1 distributor is graded A")
    assert en[2].startswith("2 distributors are graded A")
    zh = label("customers.say_grades", "zh", a=1, b=2, c=0, share="60%")
    assert zh.startswith("1 家经销商评为A级")
    one = label(
        "customers.say_movements", "en", freq="month", start="1", end="2", up=1, down=1,
        same=1, new=1, lost=1,
    )  # fmt: skip
    assert "1 distributor moved up" in one and "1 is new" in one
    assert label("reports.summary_text", "en", ok=1, total=1) == "1 of 1 report rendered"
    assert label("reports.summary_text", "en", ok=1, total=3) == "1 of 3 reports rendered"


def test_report_sentence_with_one_distributor():
    from ars_analysis.presentation.customers import abc_sentence

    summary = pd.DataFrame(
        {"abc_class": ["A", "B", "C"], "n_items": [1, 3, 6], "item_share": [0.1, 0.3, 0.6],
         "measure_share": [0.5, 0.3, 0.2]}
    )  # fmt: skip
    text = abc_sentence(summary, "en")
    assert text.startswith("1 A distributor (10.0% of the distributors) brings 50.0%"), text


def _placeholders(text: str) -> set[str]:
    text = COUNT_FORMS.sub("", text)
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(text) if f}


def test_english_counts_of_things_use_forms():
    """No English text puts a counted noun after a count without its ``{n|one|other}`` form
    (this found "1 distributors" in the reports), and every form names a placeholder of its
    text. Chinese texts have no forms."""
    bare, unknown = [], []
    for key, texts in _all_labels().items():
        en, zh = texts["en"], texts["zh"]
        if not isinstance(en, str):
            continue
        assert not COUNT_FORMS.search(str(zh)), key
        for m in _BARE.finditer(en):
            if m.group(1) not in NOT_COUNTS:
                bare.append(f"{key}: {m.group(0)!r}")
        for m in COUNT_FORMS.finditer(en):
            if m.group(1) not in _placeholders(en):
                unknown.append(f"{key}: {m.group(0)!r}")
    assert not bare, "\n".join(bare)
    assert not unknown, "\n".join(unknown)
