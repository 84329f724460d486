"""The batch runner of ``ars render``: process pool, :func:`run_job`, atomic publication, the index.

What a job is, the config file and what each job writes are described in the package docstring
(:mod:`ars_analysis.reports`). A little over 600 lines: the batch's lifecycle (staging,
publication, recovery, the worker pool, the shared Spark server) reads best in one place.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import multiprocessing
import os
import shutil
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from ars_analysis import __version__
from ars_analysis.data.outputs import atomic_path, write_text
from ars_analysis.data.snapshot import batch_env, environment
from ars_analysis.labels import check_lang, label
from ars_analysis.presentation.record import RESULTS_FILE
from ars_analysis.reports.config import (
    ERROR_HTML,
    RENDER_LOG,
    REPORT_HTML,
    STATUS_FILE,
    Job,
    ReportConfig,
    ReportConfigError,
    load_config,
)
from ars_analysis.reports.data_checks import DataInfo, check_data
from ars_analysis.reports.html import (
    _failing_cell,
    _index_href,
    _inline_charts,
    error_page,
    notebook_html,
    strip_ansi,
)
from ars_analysis.reports.jobs import (
    _job_period,
    check_jobs,
    expand_jobs,
    notebook_path,
    select_jobs,
)
from ars_analysis.reports.pages import collect, index_page, summary_scopes
from ars_analysis.reports.pages import write_batch_pages as write_pages


def _job_files(out_dir: Path, notebook_name: str) -> list[Path]:
    """The files of ``out_dir`` a run of the job writes (report, error page, notebook, ...)."""
    if not out_dir.is_dir():
        return []
    return [
        p
        for p in out_dir.iterdir()
        if p.is_file()
        and (
            p.name
            in {REPORT_HTML, ERROR_HTML, RESULTS_FILE, STATUS_FILE, notebook_name}
            | {failed_notebook_name(notebook_name)}
            or p.suffix == ".xlsx"
        )
    ]


def failed_notebook_name(notebook_name: str) -> str:
    """Name of a failed run's executed notebook kept beside the last good report
    (``01_core_customers.failed.ipynb``)."""
    return f"{Path(notebook_name).stem}.failed.ipynb"


def last_good(out_dir: Path) -> dict[str, str] | None:
    """The good report in ``out_dir``, if any: ``{"html": "report.html", "rendered": <ISO
    time>}`` from its ``status.json`` (an ok run, or a failed run that kept one)."""
    try:
        status = json.loads((out_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict):
        return None
    if status.get("status") == "ok":
        page = out_dir / str(status.get("html") or REPORT_HTML)
        if not page.is_file():
            return None
        rendered = status.get("rendered") or _dt.datetime.fromtimestamp(
            page.stat().st_mtime
        ).isoformat(timespec="seconds")
        return {"html": page.name, "rendered": str(rendered)}
    kept = status.get("last_good")
    if isinstance(kept, dict) and (out_dir / str(kept.get("html") or "")).is_file():
        return {"html": str(kept["html"]), "rendered": str(kept.get("rendered") or "")}
    return None


def _keep_last_good(staging: Path, out_dir: Path, notebook_name: str) -> None:
    """Put a failed run's error page, executed notebook (as :func:`failed_notebook_name`) and
    status into ``out_dir`` and leave the last good report's files there as they are.

    Each file is renamed in atomically, the status last: until then the folder says what it
    said before. The failed run's other outputs (a partial workbook...) are dropped.
    """
    os.replace(staging / notebook_name, out_dir / failed_notebook_name(notebook_name))
    os.replace(staging / ERROR_HTML, out_dir / ERROR_HTML)
    os.replace(staging / STATUS_FILE, out_dir / STATUS_FILE)
    shutil.rmtree(staging, ignore_errors=True)


_STAGING = ".rendering-"

_RETIRED = ".previous-"


def _staging_dir(out_dir: Path) -> Path:
    """A fresh folder beside ``out_dir`` where a run writes until it is complete."""
    staging = out_dir.parent / f".{out_dir.name}{_STAGING}{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def _publish(staging: Path, out_dir: Path, notebook_name: str) -> None:
    """Replace ``out_dir`` by the complete ``staging`` folder.

    Files in ``out_dir`` the job does not write (a consultant's notes) are carried over. The
    previous folder is renamed aside, the new one renamed in, then the previous one removed: a
    crash leaves either the old or the new report, never a mix or nothing
    (:func:`_recover_job_dirs` puts a folder renamed aside back).
    """
    if out_dir.is_dir():
        own = {p.name for p in _job_files(out_dir, notebook_name)}
        for p in out_dir.iterdir():
            if p.name not in own and not (staging / p.name).exists():
                if p.is_dir():
                    shutil.copytree(p, staging / p.name)
                else:
                    shutil.copy2(p, staging / p.name)
        retired = out_dir.parent / f".{out_dir.name}{_RETIRED}{os.getpid()}"
        if retired.exists():
            shutil.rmtree(retired)
        os.replace(out_dir, retired)
        os.replace(staging, out_dir)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, out_dir)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        import psutil

        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:  # AccessDenied: it exists
            return True
    except ImportError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover_job_dirs(root: Path) -> None:
    """Clean up after an interrupted run: staging folders of dead runs are removed, a job folder
    renamed aside and not replaced is put back."""
    if not root.is_dir():
        return
    for p in root.iterdir():
        if not p.is_dir() or not p.name.startswith("."):
            continue
        for marker in (_STAGING, _RETIRED):
            name, sep, pid = p.name[1:].rpartition(marker)
            if not sep or not pid.isdigit() or _pid_alive(int(pid)) and int(pid) != os.getpid():
                continue
            final = root / name
            if marker == _RETIRED and not final.exists():
                os.replace(p, final)
            else:
                shutil.rmtree(p, ignore_errors=True)


def _retry_kernel_start(execute, *args, **kwargs):
    """Run ``execute``; once more if the kernel died before it answered ``kernel_info``.

    That happens under CPU pressure before any cell ran, so a second start is safe; any other
    failure (or a second death) is the job's failure.
    """
    try:
        return execute(*args, **kwargs)
    except RuntimeError as exc:
        if "before replying to kernel_info" not in str(exc):
            raise
    return execute(*args, **kwargs)


def run_job(job: Job, lang_index: str = "zh") -> dict[str, Any]:
    """Execute one job with papermill and write its outputs; never raises for a notebook error.

    Returns a dict with ``name``, ``status`` ("ok", "failed" or "timeout"), ``seconds``,
    ``message`` and the output file names. Runs in a worker process.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from ars_analysis.reports.kernels import ForkingKernelManager

    t0 = time.perf_counter()
    final_dir = job.out_dir
    # The previous report stays in place until the new run is complete (kill -9 loses nothing).
    out_dir = _staging_dir(final_dir)
    parameters = {**job.parameters, "output_dir": notebook_path(out_dir, job.notebook)}
    executed_path = out_dir / job.notebook.name
    lang = job.parameters.get("lang") or lang_index
    deadline = time.monotonic() + job.timeout

    def timeout_func(cell) -> int:
        # nbclient treats 0/None as "no timeout": always give at least one second.
        return max(1, int(deadline - time.monotonic() + 0.999))

    status, message, exc_tb = "ok", "", None
    with _inline_charts(), environment(job.env), atomic_path(executed_path) as tmp:
        tmp_nb = tmp.with_suffix(".ipynb")
        try:
            _retry_kernel_start(
                pm.execute_notebook,
                str(job.notebook),
                str(tmp_nb),
                parameters=parameters,
                cwd=str(job.notebook.parent),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,  # keeps the partial notebook on a crash
                timeout_func=timeout_func,
                # a kernel forked from a process with the imports done (kernels.py)
                kernel_manager_class=ForkingKernelManager,
            )
        except PapermillExecutionError as exc:
            status, message = "failed", f"{exc.ename}: {exc.evalue}"
        except TimeoutError as exc:  # nbclient's CellTimeoutError
            status = "timeout"
            message = label("reports.timeout_message", lang, seconds=f"{job.timeout:g}")
            exc_tb = strip_ansi(str(exc))
        except Exception as exc:  # noqa: BLE001 - kernel died, bad notebook, ...
            status, message = "failed", f"{type(exc).__name__}: {exc}"
            exc_tb = traceback.format_exc()
        if tmp_nb.exists():
            os.replace(tmp_nb, tmp)
        else:  # failed before papermill wrote anything: keep the input for inspection
            shutil.copyfile(job.notebook, tmp)
    nb = nbformat.read(executed_path, as_version=4)
    files: dict[str, Any] = {"notebook": executed_path.name}
    # A failed re-render does not replace the last good report: it stays, the failure is shown
    kept = last_good(final_dir) if status != "ok" else None
    if kept:
        files["notebook"] = failed_notebook_name(executed_path.name)
        files["last_good"] = kept
    if status == "ok":
        write_text(
            out_dir / REPORT_HTML, notebook_html(nb, job.name, lang, _index_href(lang, lang_index))
        )
        files["html"] = REPORT_HTML
    else:
        idx, source, tb = _failing_cell(nb)
        if idx is not None:
            message = f"{message} (cell {idx})" if message else f"cell {idx}"
        write_text(
            out_dir / ERROR_HTML,
            error_page(
                job.name,
                status,
                message,
                source,
                tb or exc_tb,
                lang,
                _index_href(lang, lang_index),
                last_good=kept,
            ),
        )
        files["html"] = ERROR_HTML
    result = {
        "name": job.name,
        "notebook": job.notebook.name,
        "status": status,
        "message": message,
        "seconds": round(time.perf_counter() - t0, 2),
        "rendered": _dt.datetime.now().isoformat(timespec="seconds"),
        "parameters": job.parameters,
        **job.meta,
        **files,
    }
    write_text(out_dir / STATUS_FILE, json.dumps(result, ensure_ascii=False, indent=2))
    if kept:
        _keep_last_good(out_dir, final_dir, job.notebook.name)
    else:
        _publish(out_dir, final_dir, job.notebook.name)
    return result


def _end_with_parent(parent_pid: int) -> None:
    """Make this worker die with the ``ars render`` process (and take its kernels along).

    Linux: ``PR_SET_PDEATHSIG`` kills the worker when its parent process ends. Everywhere: a
    daemon thread checks every second that ``parent_pid`` is alive; when it is not, it kills the
    worker's own children (notebook kernels) and ends the worker.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while _pid_alive(parent_pid) and os.getppid() != 1:
            time.sleep(1.0)
        try:
            import psutil

            for child in psutil.Process().children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.kill()
        except ImportError:
            pass
        os._exit(1)

    import threading

    threading.Thread(target=watch, name="ars-parent-watchdog", daemon=True).start()


def _init_worker(log_path: str, parent_pid: int | None = None) -> None:
    """Send the worker's (and its kernels') stderr to the run log, not to the user's terminal;
    end the worker when ``parent_pid`` (the ``ars render`` process) ends."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    if parent_pid is not None:
        _end_with_parent(parent_pid)


def _failure(job: Job, message: str, tb: str | None, lang: str) -> dict[str, Any]:
    """Result of a job that failed outside its notebook; writes its error page if it can (a
    good report in the job's folder stays, as :func:`last_good`)."""
    kept = last_good(job.out_dir)
    result = {
        "name": job.name,
        "notebook": job.notebook.name,
        "status": "failed",
        "message": message,
        "seconds": 0.0,
        "parameters": job.parameters,
        **job.meta,
        "html": ERROR_HTML,
        **({"last_good": kept} if kept else {}),
    }
    try:
        write_text(
            job.out_dir / ERROR_HTML,
            error_page(job.name, "failed", message, None, tb, lang, last_good=kept),
        )
        write_text(job.out_dir / STATUS_FILE, json.dumps(result, ensure_ascii=False, indent=2))
    except OSError:
        pass
    return result


def _run_job_safely(job: Job, lang_index: str) -> dict[str, Any]:
    try:
        return run_job(job, lang_index)
    except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
        staging = job.out_dir.parent / f".{job.out_dir.name}{_STAGING}{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        lang = job.parameters.get("lang") or lang_index
        return _failure(job, f"{type(exc).__name__}: {exc}", traceback.format_exc(), lang)


def _engine_env(cfg: ReportConfig, engine: str | None) -> dict[str, str]:
    """The engine environment of the batch's jobs; an unusable engine stops the run."""
    from ars_analysis.client import load_client_config
    from ars_analysis.data.engines import EngineUnavailable, check_available, engine_env

    client = load_client_config(cfg.client_config)
    spark = client.spark
    try:
        env = engine_env(
            engine, client.engine, master=spark.master, conf=dict(spark.conf), remote=spark.remote
        )
        check_available(env["ARS_ENGINE"], remote=env.get("ARS_SPARK_REMOTE"))
    except (EngineUnavailable, ValueError) as exc:
        raise ReportConfigError(str(exc)) from None
    return env


def client_info(cfg: ReportConfig) -> tuple[str | dict, dict]:
    """The client's name (the client configuration's ``client``, else the report config's
    ``client``) and its extra place names, from ``cfg.client_config`` (None: the sample client).

    Raises :class:`ReportConfigError` when the client configuration is invalid.
    """
    from ars_analysis.client import ClientConfigError, load_client_config

    try:
        client = load_client_config(cfg.client_config)
    except ClientConfigError as exc:
        raise ReportConfigError(str(exc)) from None
    return (client.client or cfg.client), dict(client.region_names or {})  # str or {lang: name}


def build_index(
    results: list[dict], cfg: ReportConfig, data: DataInfo, *, lang: str | None = None
) -> str:
    """HTML of the index in ``lang`` (default: the config's): reports grouped by analysis and by
    scope, titles, status, periods, key results and workbooks (see
    :mod:`ars_analysis.reports.pages`)."""

    lang = check_lang(lang or cfg.lang)
    client, places = client_info(cfg)
    entries = collect(results, cfg.output_dir, cfg.lang)
    return index_page(
        entries,
        lang=lang,
        index_lang=cfg.lang,
        client=client,
        summaries=summary_scopes(entries),
        fingerprint=data.fingerprint(),
        version=__version__,
        places=places,
    )


def write_batch_pages(results: list[dict], cfg: ReportConfig, data: DataInfo) -> list[Path]:
    """Write the executive summaries and both indexes of a batch into ``cfg.output_dir``."""

    client, places = client_info(cfg)
    return write_pages(
        results,
        cfg.output_dir,
        index_lang=cfg.lang,
        client=client,
        fingerprint=data.fingerprint(),
        version=__version__,
        places=places,
    )


# --------------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------------


def render(
    config: str | os.PathLike | ReportConfig | None = None,
    *,
    jobs: int = 1,
    only: str | None = None,
    timeout: float | None = None,
    progress: bool = True,
    base: str | os.PathLike | None = None,
    engine: str | None = None,
) -> list[dict[str, Any]]:
    """Run the jobs of a report config in parallel; return one result dict per job.

    ``engine`` (``--engine``; else ``$ARS_ENGINE``, else the client configuration's ``engine``)
    runs the aggregations of every job. On Spark with a local master the batch starts ONE
    Spark Connect server and every job's kernel connects to it (a session each); with a
    Connect URL (``spark: {remote: ...}``) the kernels connect there
    (:mod:`ars_analysis.data.spark_connect`).

    Parameters are checked for every selected job before any job runs
    (:class:`ReportConfigError`). A failing job does not stop the others. ``timeout`` overrides
    every job's timeout (seconds). Writes ``<output_dir>/index.html`` at the end.
    """
    cfg = config if isinstance(config, ReportConfig) else load_config(config, base=base)
    data = DataInfo(cfg.data_path, cfg.mapping_path)
    all_jobs = expand_jobs(cfg, data)
    selected = select_jobs(all_jobs, only)
    if not selected:
        raise ReportConfigError(
            f"no job matches --only {only!r}; jobs: {', '.join(j.name for j in all_jobs)}"
        )
    if timeout is not None:
        if timeout <= 0:
            raise ReportConfigError(f"timeout must be positive, got {timeout}")
        for j in selected:
            j.timeout = float(timeout)
    check_jobs(selected)
    check_data(cfg, selected, data)
    client_info(cfg)  # an invalid client configuration stops the run before any job
    engine_vars = _engine_env(cfg, engine)
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    _recover_job_dirs(cfg.output_dir)
    # Spark, local master: one Connect server for the batch, starting while the data load
    server = _shared_spark(engine_vars, cfg.output_dir)
    try:
        return _run_batch(cfg, data, all_jobs, selected, jobs, engine_vars, server, progress)
    finally:
        if server is not None:
            server.stop()  # also on a failure or Ctrl-C


def _shared_spark(engine_vars: dict[str, str], output_dir: Path):
    """The batch's Spark Connect server, launched (None when not needed)."""
    from ars_analysis.data.engines import EngineUnavailable
    from ars_analysis.data.spark_connect import shared_server

    try:
        return shared_server(engine_vars, output_dir)
    except EngineUnavailable as exc:
        raise ReportConfigError(str(exc)) from None


def _run_batch(cfg, data, all_jobs, selected, jobs, engine_vars, server, progress):
    """The body of :func:`render` once the jobs are checked: run them, write the pages."""
    # the data loaded and validated once, read by every job's kernel
    env = batch_env(cfg.output_dir, data._dataset, cfg.data_path, cfg.mapping_path)
    if server is not None:
        from ars_analysis.data.engines import EngineUnavailable

        try:
            server.wait_ready()
        except EngineUnavailable as exc:
            raise ReportConfigError(str(exc)) from None
        engine_vars = {**engine_vars, **server.env()}
    from ars_analysis.reports.kernels import FORK_ENV, FORK_MIN_JOBS_PER_WORKER

    n_workers = max(1, min(int(jobs), len(selected)))
    # kernels forked from a fork server with the imports done, when each worker runs enough
    # jobs to repay importing them once in the server (or as ARS_KERNEL_FORK says)
    fork = len(selected) >= FORK_MIN_JOBS_PER_WORKER * n_workers
    env[FORK_ENV] = os.environ.get(FORK_ENV) or ("1" if fork else "0")
    data_period = data.period()
    meta = {"fingerprint": data.fingerprint(), "version": __version__}
    for j in selected:
        j.meta = {**meta, "period": _job_period(j.parameters, data_period)}
        j.env = {**j.env, **env, **engine_vars}

    from tqdm import tqdm

    results: list[dict[str, Any]] = []
    ctx = multiprocessing.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    bar = tqdm(
        total=len(selected), desc="render", unit="job", disable=not progress, file=sys.stderr
    )
    log_path = cfg.output_dir / RENDER_LOG
    log_path.write_text("", encoding="utf-8")
    pool = ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(str(log_path), os.getpid()),
    )
    with pool:
        pending = {pool.submit(_run_job_safely, j, cfg.lang): j for j in selected}
        failed = 0
        while pending:
            running = min(n_workers, sum(f.running() for f in pending))
            bar.set_postfix(running=running, failed=failed, refresh=True)
            done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            if server is not None and server.ensure_running():  # it died: started again
                bar.write(f"the Spark Connect server stopped and was restarted ({server.url})")
            for fut in done:
                job = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a worker process died
                    res = _failure(job, f"{type(exc).__name__}: {exc}", None, cfg.lang)
                results.append(res)
                if res["status"] != "ok":
                    failed += 1
                    bar.write(f"FAILED {res['name']}: {res['message']}")
                bar.update(1)
        bar.set_postfix(running=0, failed=failed, refresh=True)
    bar.close()

    # The index and summaries describe what is on disk: every job of the config as its folder
    # says (jobs not run this time keep their last status).
    write_batch_pages(_on_disk(all_jobs, results), cfg, data)
    return results


def _on_disk(jobs: list[Job], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the index shows: every job of the config as its folder says (``status.json``); a
    status whose page is not on disk is shown as failed, a job never run is left out."""
    ran = {r["name"]: r for r in results}
    out = []
    for j in jobs:
        status: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError):
            status = json.loads((j.out_dir / STATUS_FILE).read_text(encoding="utf-8"))
        if not isinstance(status, dict) or "status" not in status:
            status = ran.get(j.name)
        if status is None:
            continue
        page = status.get("html") or (REPORT_HTML if status["status"] == "ok" else ERROR_HTML)
        if not (j.out_dir / page).is_file():
            status = {
                **status,
                "status": "failed",
                "message": f"{page} is missing from {j.out_dir.name}/; render the job again",
            }
        out.append({**status, "name": j.name})
    return out


def summary(results: list[dict[str, Any]]) -> str:
    """A plain-text summary of a run (printed at the end of ``ars render``)."""
    n_ok = sum(r["status"] == "ok" for r in results)
    lines = [f"{n_ok}/{len(results)} reports rendered"]
    for r in sorted(results, key=lambda r: r["name"]):
        if r["status"] != "ok":
            kept = r.get("last_good")
            note = f" (its last good report, of {kept['rendered']}, stays)" if kept else ""
            lines.append(f"  {r['status'].upper():8} {r['name']}: {r['message']}{note}")
    return "\n".join(lines)
