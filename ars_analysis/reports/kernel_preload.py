"""Imported once by the kernel fork server (:mod:`ars_analysis.reports.kernels`): the modules
every report kernel needs, so a forked kernel starts with them imported.

What a notebook imports (the package's public modules, pandas, matplotlib, seaborn/scipy,
pandera) and what starts a kernel (ipykernel, IPython). Not the inline chart backend
(``matplotlib_inline.backend_inline``): importing it wires matplotlib into the IPython shell
that exists at that moment, so it must first be imported in the kernel itself (it is, when a
notebook draws its first chart or applies the chart style). A module that fails to import here
is left to the kernel, where the notebook shows the error as it always did.
"""

from __future__ import annotations

import importlib
import multiprocessing
import sys

#: The fork server's ``sys.path`` as Python set it up (a forked kernel starts from it).
SYS_PATH = list(sys.path)
#: The server's main-process object (its class gives a forked kernel a main process of its own).
MAIN_PROCESS = multiprocessing.current_process()

#: In import order; heavy third-party modules first.
MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "IPython.display",
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "scipy.stats",
    "seaborn",
    "pandera.pandas",
    "ars_analysis",
    "ars_analysis.data",
    "ars_analysis.client",
    "ars_analysis.customers",
    "ars_analysis.terminals",
    "ars_analysis.fieldforce",
    "ars_analysis.incentives",
    "ars_analysis.compose",
    "ars_analysis.labels",
    "ars_analysis.presentation",
    "ars_analysis.presentation.tables",
    "ars_analysis.presentation.workbook",
    "ars_analysis.charts",
    "ars_analysis.charts.style",
    "ars_analysis.charts.customers",
    "ars_analysis.charts.terminals",
    "ars_analysis.charts.incentives",
    "ars_analysis.charts.fieldforce",
)

#: Never imported before the kernel's IPython shell exists (see the module docstring).
NOT_BEFORE_SHELL = ("matplotlib_inline.backend_inline",)


def preload(modules: tuple[str, ...] = MODULES) -> list[str]:
    """Import ``modules``; return the names that failed (left for the kernel to import)."""
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the kernel imports it again and shows the error
            failed.append(name)
    return failed


FAILED = preload()
