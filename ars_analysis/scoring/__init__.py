"""One scorecard mechanism: weighted, directional, normalised measures with explanations.

Below the analyses (``customers``, ``fieldforce``, ``incentives`` use it) and above
``client``/``data``; pure numerics, no files, no wording.

Modules
-------
measures
    The normalisation methods (percentile within group, minmax, bands, curve, target
    attainment, share, relative to the best) and their direction.
card
    :class:`Measure`, :class:`WeightedScorecard` (stateless :meth:`~WeightedScorecard.score`
    returning a :class:`ScoreResult`: ``scores``, ``total``, ``grade``, ``basis``, ``notes``,
    :meth:`~ScoreResult.explain`), :func:`weighted_total`, :func:`grade_of`,
    :func:`gate_passes`, :func:`strengths_weaknesses`.
"""

from ars_analysis.scoring.card import (
    Measure,
    ScoreResult,
    ScoringError,
    WeightedScorecard,
    gate_passes,
    grade_of,
    strengths_weaknesses,
    weighted_total,
)
from ars_analysis.scoring.measures import METHODS

__all__ = [
    "METHODS",
    "Measure",
    "ScoreResult",
    "ScoringError",
    "WeightedScorecard",
    "gate_passes",
    "grade_of",
    "strengths_weaknesses",
    "weighted_total",
]
