"""Kernels forked from a fork server with the imports done (``ars_analysis.reports.kernels``).

A forked kernel must look like one started by ``python -m ipykernel_launcher`` (same
``sys.path``, working directory, environment, main process, inline charts), nothing may leak from
one job to the next, and a kernel that dies fails only its own job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_reports import make_notebook, write_config

from ars_analysis.reports import kernels


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "customers.csv").write_text("customer_id,region\nC1,华东\n", encoding="utf-8")
    (d / "sales.csv").write_text(
        "date,customer_id,product_id,quantity,revenue\n2025-01-03,C1,P1,1,10\n", encoding="utf-8"
    )
    return d


KERNEL = [sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"]

#: Written by every probe job: what the kernel sees before and after the notebook's imports.
PROBE = textwrap.dedent(
    """\
    import sys
    preloaded = "pandas" in sys.modules  # before this notebook imported anything heavy
    inline_backend_before = "matplotlib_inline.backend_inline" in sys.modules
    import json, multiprocessing, os
    import matplotlib, pandas as pd
    import ars_analysis
    import matplotlib.pyplot as plt
    plt.plot([1, 2], [3, 4])
    seen = {
        "preloaded": preloaded,
        "inline_backend_before": inline_backend_before,
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "sys_path": sys.path,
        "env": {k: v for k, v in os.environ.items() if k[:4] not in ("JPY_", "ARS_")},
        "main_process": multiprocessing.current_process().name,
        "parent_process": multiprocessing.parent_process() is not None,
        "user_names": sorted(k for k in globals() if not k.startswith("_")),
        "backend": matplotlib.get_backend(),
        "leaked_module_attr": hasattr(ars_analysis, "LEAK"),
        "max_rows": pd.get_option("display.max_rows"),
        "linewidth": matplotlib.rcParams["lines.linewidth"],
        "leaked_env": os.environ.get("LEAK_MARKER"),
    }
    with open(f"{output_dir}/probe.json", "w") as fh:
        json.dump(seen, fh)
    """
)

#: Changes every kind of process state a notebook could leave behind.
LEAK = textwrap.dedent(
    """\
    import os, sys
    import matplotlib, pandas as pd
    import ars_analysis
    LEAKED_GLOBAL = 1
    ars_analysis.LEAK = 1
    pd.set_option("display.max_rows", 7)
    matplotlib.rcParams["lines.linewidth"] = 9
    os.environ["LEAK_MARKER"] = "1"
    sys.path.append("/leak")
    """
)


# ---------------------------------------------------------------------------- when to fork


def test_only_this_interpreters_ipykernel_is_forked(monkeypatch):
    monkeypatch.setattr(kernels, "_server_env", None)
    monkeypatch.setattr(kernels, "_foreign_server", lambda: False)
    env = {**os.environ, kernels.FORK_ENV: "1"}
    assert kernels.can_fork(KERNEL, env) == sys.platform.startswith("linux")
    assert kernels.can_fork([*KERNEL, "--HistoryManager.hist_file=:memory:"], env) == (
        sys.platform.startswith("linux")
    )
    assert not kernels.can_fork(["/usr/bin/python3", *KERNEL[1:]], env)  # another Python
    assert not kernels.can_fork([sys.executable, "-m", "other_kernel", "-f", "k.json"], env)
    assert not kernels.can_fork(["R", "--slave", "-f", "k.json"], env)
    assert not kernels.can_fork(KERNEL, {**env, kernels.FORK_ENV: "0"})  # ars render decides
    assert not kernels.can_fork(KERNEL, {k: v for k, v in env.items() if k != kernels.FORK_ENV})
    monkeypatch.setattr(kernels, "_foreign_server", lambda: True)  # a server without preload
    assert not kernels.can_fork(KERNEL, env)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is Linux only")
def test_kernel_environment_must_match_the_servers_but_for_runtime_variables(monkeypatch):
    server = {"PATH": "/bin", "PYTHONHASHSEED": "0", "MPLBACKEND": "inline", "ARS_KERNEL_FORK": "1"}
    monkeypatch.setattr(kernels, "_server_env", server)
    assert kernels.can_fork(KERNEL, dict(server))
    # read at run time: may differ
    assert kernels.can_fork(KERNEL, {**server, "ARS_SNAPSHOT_DIR": "/s", "JPY_PARENT_PID": "1"})
    # read when Python starts or when a preloaded module is imported: start the usual way
    for key, value in [("PYTHONHASHSEED", "1"), ("MPLBACKEND", "Agg"), ("PYTHONPATH", "/x")]:
        assert not kernels.can_fork(KERNEL, {**server, key: value}), key
    assert not kernels.can_fork(KERNEL, {k: v for k, v in server.items() if k != "PATH"})


# ---------------------------------------------------------------------------- jobs


def _probe(out: Path, name: str) -> dict:
    return json.loads((out / name / "probe.json").read_text(encoding="utf-8"))


def _images(out: Path, name: str) -> int:
    executed = json.loads((out / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    return sum(
        "image/png" in o.get("data", {}) for c in executed["cells"] for o in c.get("outputs", [])
    )


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is Linux only")
def test_forked_kernels_are_fresh_isolated_and_see_what_a_started_kernel_sees(
    tmp_path, data_dir, monkeypatch
):
    """One worker runs, in a row: a probe, a job that changes every kind of process state, a
    kernel killed mid-job, a probe, a kernel that exits, an error, a probe. Every probe runs
    in a new forked kernel that sees nothing of the jobs before it, exactly what a kernel
    started by Popen sees; each death or error fails only its own job."""
    from ars_analysis.reports import render

    nbs = tmp_path / "nbs"
    jobs = {
        "a_probe": PROBE,
        "b_leak": LEAK + "\n" + PROBE,
        "c_killed": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
        "d_probe": PROBE,
        "e_exits": "import os\nos._exit(3)",
        "f_raises": "raise ValueError('BOOM')",
        "g_probe": PROBE,
    }
    for name, code in jobs.items():
        make_notebook(nbs, name, code)
    out = tmp_path / "out"
    cfg = write_config(
        tmp_path / "r.yml",
        f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {out}\ntimeout: 120\njobs:\n"
        + "".join(f"  - notebook: {n}\n" for n in jobs),
    )
    monkeypatch.delenv(kernels.FORK_ENV, raising=False)  # 7 jobs for 1 worker: ars render forks
    results = {r["name"]: r for r in render(cfg, jobs=1, progress=False)}
    assert {n: r["status"] for n, r in results.items()} == {
        "a_probe": "ok", "b_leak": "ok", "c_killed": "failed", "d_probe": "ok",
        "e_exits": "failed", "f_raises": "failed", "g_probe": "ok",
    }, results  # fmt: skip
    assert "BOOM" in results["f_raises"]["message"]
    probes = {n: _probe(out, n) for n in ("a_probe", "b_leak", "d_probe", "g_probe")}
    assert all(p["preloaded"] for p in probes.values())  # forked, with the imports done
    assert len({p["pid"] for p in probes.values()}) == 4  # a new process per job
    leak = probes["b_leak"]  # the leaking job changed its own process...
    assert leak["leaked_module_attr"] and leak["max_rows"] == 7 and leak["linewidth"] == 9
    assert leak["leaked_env"] == "1" and "LEAKED_GLOBAL" in leak["user_names"]

    # ... and later jobs see none of it: exactly what a kernel started by Popen sees
    monkeypatch.setenv(kernels.FORK_ENV, "0")
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(str(out), str(tmp_path / "ref")))
    [ref] = render(cfg, jobs=1, only="a_probe", progress=False)
    assert ref["status"] == "ok"
    reference = _probe(tmp_path / "ref", "a_probe")
    assert not reference["preloaded"]  # really started by Popen
    for name in ("a_probe", "d_probe", "g_probe"):
        for key in (
            "cwd", "sys_path", "env", "main_process", "parent_process", "user_names", "backend",
            "inline_backend_before", "leaked_module_attr", "max_rows", "linewidth", "leaked_env",
        ):  # fmt: skip
            assert probes[name][key] == reference[key], (name, key)
        assert _images(out, name) == _images(tmp_path / "ref", "a_probe") == 1  # chart inline
    assert reference["backend"] == "module://matplotlib_inline.backend_inline"
    assert reference["inline_backend_before"] is False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is Linux only")
def test_forked_kernels_end_with_the_render_process(tmp_path, data_dir):
    """``kill -9`` of ``ars render``: its worker, the worker's fork server and the forked kernel
    all end too."""
    import signal
    import time

    psutil = pytest.importorskip("psutil")
    nbs = tmp_path / "nbs"
    marker = tmp_path / "started"
    make_notebook(
        nbs,
        "job",
        "import sys\nassert 'pandas' in sys.modules  # forked\n"
        f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(300)",
    )
    cfg = write_config(
        tmp_path / "r.yml",
        f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {tmp_path / 'out'}\n"
        "jobs:\n  - notebook: job\n",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ars_analysis.cli", "render", "--config", str(cfg), "--quiet"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env={**os.environ, kernels.FORK_ENV: "1"},
    )
    try:
        end = time.monotonic() + 180
        while not marker.exists() and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.2)
        assert marker.exists(), "the forked kernel never ran the job"
        children = psutil.Process(proc.pid).children(recursive=True)
        # the worker's own fork server (the runner's serves the workers) and its kernel
        servers = [
            c for c in children if "forkserver" in " ".join(c.cmdline()) and c.ppid() != proc.pid
        ]
        assert servers and any(s.children() for s in servers)
        os.kill(proc.pid, signal.SIGKILL)  # only the `ars render` process
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"still running after their parent died: {alive}"
    finally:
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
