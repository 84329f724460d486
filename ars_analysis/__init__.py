"""ars_analysis: analyses for deep-distribution (深度分销) programmes.

Load a client's exports with :func:`load_dataset`, then use the analysis modules:
:mod:`ars_analysis.customers`, :mod:`ars_analysis.terminals`, :mod:`ars_analysis.incentives`,
:mod:`ars_analysis.fieldforce`.
"""

__version__ = "0.1.0"

from ars_analysis.data.dataset import Dataset, subset
from ars_analysis.data.loading import load_dataset

__all__ = ["Dataset", "__version__", "load_dataset", "subset"]
