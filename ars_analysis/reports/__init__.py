"""Batch rendering of client reports: ``ars render``.

A *job* is one notebook executed with one parameter set (e.g. the core-customer analysis for the
whole country, or for 华东). Jobs are described in a YAML file (default:
``ars_analysis/config/reports.yml``), checked against each notebook's ``parameters`` cell before
anything runs, executed in parallel through papermill's Python API in a process pool, and each
produces, in ``<output_dir>/<job name>/``:

- the executed notebook (``<notebook>.ipynb``),
- ``report.html``: the client-ready HTML (no code, no prompts, no stderr/warnings), or
  ``error.html`` with the failing cell and its traceback when the job failed or timed out,
- whatever the notebook writes itself into its ``output_dir`` (Excel workbooks, ``results.json``).

After a batch (see :mod:`ars_analysis.reports.pages`), ``<output_dir>/`` also holds:

- ``index.html`` (in the config's ``lang``) and its twin ``index-en.html`` (``index-zh.html``
  for an English client): the reports grouped by analysis and by scope (national first) with
  their titles, status, data periods, key results (from each report's ``summary.json``), Excel
  workbooks and a footer with the data fingerprint and package version;
- ``summary-<scope>-<lang>.html``: one executive summary per scope and language, the findings
  and top actions of every analysis side by side, linked into the reports.
- ``deck-<scope>-<lang>.pptx``: the slide deck of that scope and language, built from the same
  ``summary.json`` files and the executed notebooks' charts (:mod:`~.deck`).

Config file
-----------
Relative paths in the config (``data_path``, ``mapping_path``, ``notebooks_dir``, ``output_dir``)
are resolved against the **current working directory** (run ``ars render`` from the repository
root), not against the config file's folder. Example::

    client: 示例客户              # fallback when the client configuration has no name
    client_config: null          # the client's YAML (null: the packaged sample client)
    data_path: data/sample       # folder of client files
    mapping_path: null           # optional column-mapping YAML
    lang: zh                     # zh or en; default language of jobs and of the index page
    start: null                  # ISO date or null (whole data period)
    end: null
    notebooks_dir: notebooks
    output_dir: reports
    timeout: 600                 # seconds per job
    jobs:
      - notebook: 01_core_customers.ipynb      # whole country, name "01_core_customers"
      - notebook: 02_terminal_network.ipynb
        name: terminals                        # optional job name
        regions: all                           # one job per region found in the data
        include_all: true                      # ... plus one for the whole country
        lang: [zh, en]                         # one job per language (name gets "-en")
        parameters: {top_n: 20}                # extra notebook parameters

Job names are ``<name>[-<region>][-<lang>]`` (the language suffix only when the job lists more
than one language), made safe for the file system by :func:`safe_name`.

Before any job runs (and before the output folder is created) the data folder and mapping file
must exist, every region must be one of the data's regions (exactly: ``"华东 "`` is an error that
suggests ``"华东"``; the message lists the valid regions) and a job's period must not be reversed
or miss the sales dates (:func:`check_data`). A job renders into a hidden staging folder beside
its folder, which replaces the job folder only when complete: an interrupted run (``kill -9``)
keeps the previous report, and the next run cleans up. A run that fails or times out does not
replace a good report either: the job's report, workbooks and results stay as they were, the
failure adds ``error.html`` and ``<notebook>.failed.ipynb`` and its ``status.json`` (status
failed, ``last_good``: page and time), and the index and executive summaries show the failure
with a link to the last good report. The index is built from what is on disk. Worker processes
end with the ``ars render`` process. When every worker runs at least three jobs, the jobs'
kernels are forked from a per-worker fork server that has imported pandas, matplotlib,
seaborn/scipy, pandera and the package once (:mod:`~.kernels`): a new, clean process per job
without paying ~3 s of start-up and imports each time.

Modules: :mod:`~.config` (the jobs configuration), :mod:`~.jobs` (notebook parameters, job
expansion and checks), :mod:`~.data_checks` (the data folder, regions and periods: the only
module that loads the dataset), :mod:`~.html` (client and error pages of a job),
:mod:`~.runner` (process pool, :func:`run_job`, atomic publication, :func:`render`),
:mod:`~.kernels` and :mod:`~.kernel_preload` (kernels forked from a fork server),
:mod:`~.pages` (index and executive summaries), :mod:`~.deck` (slide decks), :mod:`~.checks` (what a client must never
see), :mod:`~.cli` (``ars render``).
"""

from ars_analysis.reports.cli import add_cli
from ars_analysis.reports.config import (
    CONFIG_KEYS,
    ERROR_HTML,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    INDEX_HTML,
    JOB_KEYS,
    RENDER_LOG,
    REPORT_HTML,
    RUNNER_PARAMETERS,
    STATUS_FILE,
    Job,
    ReportConfig,
    ReportConfigError,
    default_config_path,
    job_dir,
    load_config,
    safe_name,
)
from ars_analysis.reports.data_checks import DataInfo, check_data, data_fingerprint
from ars_analysis.reports.html import (
    client_notebook,
    error_page,
    notebook_html,
    strip_ansi,
)
from ars_analysis.reports.jobs import (
    Param,
    check_jobs,
    check_value,
    expand_jobs,
    notebook_parameters,
    notebook_path,
    select_jobs,
)
from ars_analysis.reports.runner import (
    build_index,
    client_info,
    render,
    run_job,
    summary,
    write_batch_pages,
)

__all__ = [
    "CONFIG_KEYS",
    "ERROR_HTML",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "INDEX_HTML",
    "JOB_KEYS",
    "RENDER_LOG",
    "REPORT_HTML",
    "RUNNER_PARAMETERS",
    "STATUS_FILE",
    "DataInfo",
    "Job",
    "Param",
    "ReportConfig",
    "ReportConfigError",
    "add_cli",
    "build_index",
    "check_data",
    "check_jobs",
    "check_value",
    "client_info",
    "client_notebook",
    "data_fingerprint",
    "default_config_path",
    "error_page",
    "expand_jobs",
    "job_dir",
    "load_config",
    "notebook_html",
    "notebook_parameters",
    "notebook_path",
    "render",
    "run_job",
    "safe_name",
    "select_jobs",
    "strip_ansi",
    "summary",
    "write_batch_pages",
]
