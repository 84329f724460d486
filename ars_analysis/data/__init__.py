"""Data in and out: the data contract, loading, validation, the quality log, synthetic data.

The bottom layer of the package: everything else may import it, it imports nothing of the
analyses. A notebook uses :func:`load_dataset` and :func:`subset`; the rest is for the
composition layer (:mod:`ars_analysis.compose`) and the command line.

Modules: :mod:`~.contract` (tables, columns, aliases), :mod:`~.dataset` (the :class:`Dataset`),
:mod:`~.loading` (reading client files), :mod:`~.quality` (the data-quality log),
:mod:`~.validation` (schemas and cross-table checks), :mod:`~.outputs` (atomic writes),
:mod:`~.synth` (synthetic datasets).
"""

from ars_analysis.data.contract import TABLES
from ars_analysis.data.dataset import Dataset, subset
from ars_analysis.data.loading import load_dataset
from ars_analysis.data.validation import DataValidationError

__all__ = ["TABLES", "DataValidationError", "Dataset", "load_dataset", "subset"]
