"""What-if controls for a live JupyterLab kernel: move a setting, see the numbers move.

Each report notebook has one cell, right after its set-up, that calls one function of this
package: :func:`incentive_controls` (notebook 03: tier bounds and rates, thresholds, caps, gate
levels and the bonus curve → backtest cost, cost rate, payout spread, winners / losers,
P(over budget)), :func:`grading_controls` (notebook 01: scorecard weights, grade bounds and ABC
cuts → grade counts, distributors changing grade, seedlings) and :func:`coverage_controls`
(notebook 02: the top-terminal definition and the market assumption → coverage gaps and the
opportunity). Under papermill (``ars render``), nbval or any kernel that is not a live
Jupyter session they return ``None`` at once and show nothing, so a batch run renders the
static report of its parameters (:func:`live_kernel`).

The logic behind each control is a tested function (:mod:`~.plans`, :mod:`~.grading`,
:mod:`~.coverage`); the widgets (:mod:`~.widgets`) only wire inputs to it. "Save as scenario"
writes a plan YAML, a scorecard YAML or a client configuration that ``ars render`` accepts
(:mod:`~.scenarios`), read back to prove it.
"""

from __future__ import annotations

import os

from ars_analysis.data.snapshot import ENV as _BATCH_ENV
from ars_analysis.whatif.coverage import CoverageWhatIf, coverage_gaps
from ars_analysis.whatif.grading import (
    GradingOutcome,
    GradingWhatIf,
    edit_scorecard,
    grading_settings,
    scorecard_spec,
)
from ars_analysis.whatif.plans import (
    IncentiveInputs,
    IncentiveWhatIf,
    edit_plan,
    incentive_inputs,
    plan_settings,
    save_plan,
)
from ars_analysis.whatif.scenarios import save_client_config, save_scorecard

__all__ = [
    "CoverageWhatIf",
    "GradingOutcome",
    "GradingWhatIf",
    "IncentiveInputs",
    "IncentiveWhatIf",
    "build_coverage_controls",
    "build_grading_controls",
    "build_incentive_controls",
    "coverage_controls",
    "coverage_gaps",
    "edit_plan",
    "edit_scorecard",
    "grading_controls",
    "grading_settings",
    "incentive_controls",
    "incentive_inputs",
    "live_kernel",
    "plan_settings",
    "save_client_config",
    "save_plan",
    "save_scorecard",
    "scorecard_spec",
]

#: Set to 1 to show the controls in any kernel, 0 to never show them.
ENV = "ARS_WHATIF"


def live_kernel() -> bool:
    """Whether the controls should be shown: a kernel of a Jupyter session (JupyterLab sets
    ``JPY_SESSION_NAME`` for its kernels), not a batch job of ``ars render``; ``ARS_WHATIF=1``
    / ``0`` overrides.

    >>> import os
    >>> os.environ.get("JPY_SESSION_NAME") is None and not live_kernel()
    True
    """
    flag = os.environ.get(ENV)
    if flag is not None and flag.strip():
        return flag.strip().lower() in ("1", "true", "yes", "on")
    if os.environ.get(_BATCH_ENV) or not os.environ.get("JPY_SESSION_NAME"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show(controls) -> None:
    from IPython.display import display

    display(controls.box())


def build_incentive_controls(ds, result, *, lang: str = "zh", scenario_dir="scenarios",
                             background: bool = False):  # fmt: skip
    """The incentive controls of notebook 03's ``result`` (on dataset ``ds``), not displayed;
    ``background``: P(over budget) is simulated in a thread after the backtest numbers show."""
    from ars_analysis.whatif.widgets import IncentiveControls

    engine = IncentiveWhatIf(incentive_inputs(ds, result), result.plans[0], seed=result.seed)
    return IncentiveControls(engine, result.plans, lang, plan=result.sensitivity_plan,
                             scenario_dir=scenario_dir, background=background)  # fmt: skip


def incentive_controls(ds, result, *, lang: str = "zh", scenario_dir="scenarios") -> None:
    """Show the incentive-plan controls in a live kernel; do nothing otherwise."""
    if live_kernel():
        _show(build_incentive_controls(ds, result, lang=lang, scenario_dir=scenario_dir,
                                       background=True))  # fmt: skip


def build_grading_controls(ds, cfg, result, *, top=None, scorecard_file=None, lang: str = "zh",
                           scenario_dir="scenarios"):  # fmt: skip
    """The grading controls of notebook 01's ``result``, not displayed. The features of every
    distributor come from the national analysis (the report's own when it is national)."""
    from ars_analysis.compose import analyse_core_customers
    from ars_analysis.whatif.widgets import GradingControls

    if result.region is None:
        features = result.features
    else:
        features = analyse_core_customers(ds, cfg, top=top, scorecard=scorecard_file,
                                          measure=result.measure, segments=False).features  # fmt: skip
    engine = GradingWhatIf(features, result, scorecard_spec(scorecard_file))
    return GradingControls(engine, cfg, lang, scenario_dir=scenario_dir)


def grading_controls(ds, cfg, result, *, top=None, scorecard_file=None, lang: str = "zh",
                     scenario_dir="scenarios") -> None:  # fmt: skip
    """Show the core-customer definition controls in a live kernel; do nothing otherwise."""
    if live_kernel():
        _show(build_grading_controls(ds, cfg, result, top=top, scorecard_file=scorecard_file,
                                     lang=lang, scenario_dir=scenario_dir))  # fmt: skip


def build_coverage_controls(ds, cfg, result, *, lang: str = "zh", seed: int = 0,
                            scenario_dir="scenarios"):  # fmt: skip
    """The top-terminal and market controls of notebook 02's ``result``, not displayed."""
    from ars_analysis.whatif.widgets import CoverageControls

    engine = CoverageWhatIf(ds, result, within=cfg.definitions.top_terminal.within, seed=seed)
    return CoverageControls(engine, cfg, lang, scenario_dir=scenario_dir)


def coverage_controls(ds, cfg, result, *, lang: str = "zh", seed: int = 0,
                      scenario_dir="scenarios") -> None:  # fmt: skip
    """Show the top-terminal and market controls in a live kernel; do nothing otherwise."""
    if live_kernel():
        _show(build_coverage_controls(ds, cfg, result, lang=lang, seed=seed,
                                      scenario_dir=scenario_dir))  # fmt: skip
