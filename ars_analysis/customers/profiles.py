"""Cross-tabulations of segments, grades and channels: segment x grade, grade profiles, channel agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.customers.abc import _check_columns
from ars_analysis.customers.grading import Scorecard

__all__ = ["channel_agreement", "grade_profile", "segment_crosstab"]


# ------------------------------------------------------------------------------------------------
# cross-tabulations and sentences
# ------------------------------------------------------------------------------------------------
def segment_crosstab(
    segments: pd.DataFrame,
    other: pd.DataFrame,
    column: str,
    *,
    item: str = "customer_id",
    segment: str = "segment",
    normalize: bool = False,
) -> pd.DataFrame:
    """Cross-tabulate segments against another classification (ABC class, grade, channel...).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": [0, 0, 1]})
    >>> g = pd.DataFrame({"customer_id": ["a", "b", "c"], "grade": ["A", "B", "B"]})
    >>> segment_crosstab(s, g, "grade").loc[0, "B"]
    np.int64(1)
    """
    _check_columns(segments, [item, segment], "segments")
    _check_columns(other, [item, column], "other")
    m = segments[[item, segment]].merge(other[[item, column]], on=item, how="inner")
    return pd.crosstab(m[segment], m[column], normalize="index" if normalize else False)


def grade_profile(scored: pd.DataFrame, scorecard: Scorecard) -> pd.DataFrame:
    """Mean dimension score per grade (tidy), to show what separates the grades.

    Returns
    -------
    DataFrame
        ``grade``, ``dimension`` (key), ``score`` (mean), ``n``; the dimension names in a
        report language are added by :func:`ars_analysis.presentation.grade_profile`.

    Examples
    --------
    >>> import pandas as pd
    >>> card = Scorecard({"dimensions": {"s": {"column": "x", "method": "minmax", "weight": 1}},
    ...                   "grades": {"A": {"min": 50, "max": 100}, "C": {"min": 0, "max": 50}}})
    >>> grade_profile(card.score(pd.DataFrame({"customer_id": [1, 2, 3], "x": [0, 1, 2]})),
    ...               card)[["grade", "score", "n"]]
      grade  score  n
    0     A   75.0  2
    1     C    0.0  1
    """
    dims = [k for k in scorecard.dimensions if k in scored.columns]
    g = scored.groupby("grade", observed=True)
    rows = []
    for grade, part in g:
        for d in dims:
            rows.append(
                {
                    "grade": str(grade),
                    "dimension": d,
                    "score": float(part[d].mean()),
                    "n": len(part),
                }
            )
    return pd.DataFrame(rows)


def channel_agreement(segments, channel) -> dict:
    """Agreement of segments with a known grouping the segmenter did not see.

    Returns ``ari`` (adjusted Rand index; 0 = chance, 1 = identical), ``purity`` (share of
    customers in their segment's majority group) and ``chance_purity`` (share of the largest
    group: the purity of a single segment).

    Examples
    --------
    >>> channel_agreement([0, 0, 1, 1], ["h", "h", "r", "r"])
    {'ari': 1.0, 'purity': 1.0, 'chance_purity': 0.5}
    """
    from sklearn.metrics import adjusted_rand_score

    s = pd.Series(np.asarray(segments))
    c = pd.Series(np.asarray(channel))
    tab = pd.crosstab(s, c)
    return {
        "ari": float(adjusted_rand_score(c, s)),
        "purity": float(tab.max(axis=1).sum() / len(s)),
        "chance_purity": float(c.value_counts().iloc[0] / len(c)),
    }
