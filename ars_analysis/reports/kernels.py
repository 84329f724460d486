"""Notebook kernels forked from a process that has already imported the heavy modules.

A report job used to spend ~3 s of its ~5 s of CPU starting a Python kernel and importing
pandas, matplotlib, seaborn/scipy, pandera and the package (``benchmarks/README.md``). Here each
worker of ``ars render`` starts, with its first job, one *kernel fork server* (Python's
``multiprocessing`` fork server) that imports those modules once
(:mod:`ars_analysis.reports.kernel_preload`); every job's kernel is then a fresh ``fork()`` of
it, which starts in a few hundredths of a second with the imports done.

Each job still gets a new process: a fresh namespace, fresh module state (the fork server never
runs a notebook), and a crash of one kernel cannot touch the next one. The kernel is started by
papermill/nbclient through :class:`ForkingKernelManager` (a ``jupyter_client`` kernel manager
whose provisioner forks instead of ``Popen``), so parameter injection, the executed notebook,
timeouts, interrupts and shutdown work as before. The forked kernel is made to look like one
started by ``python -m ipykernel_launcher``: the kernel's environment (``os.environ``), working
directory, ``sys.argv`` and ``sys.path``, its own session and process group, a fresh NumPy
random seed, and it is the main process for ``multiprocessing``.

``ars render`` forks its jobs' kernels when every worker runs at least
:data:`FORK_MIN_JOBS_PER_WORKER` jobs (importing the modules once in the server then pays; a
batch of two small jobs is faster with kernels that import only what they use): it sets
:data:`FORK_ENV` (``ARS_KERNEL_FORK``) to ``1`` in the jobs' environment; set it yourself to
``0`` or ``1`` to decide. Even then a kernel is forked only when that cannot change what the
notebook sees (:func:`can_fork`): Linux, the standard ``python -m ipykernel_launcher -f <file>``
command of this interpreter, and an environment equal to the fork server's except for the
variables read at run time (``ARS_*``, ``JPY_*``); otherwise it is started the usual way.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import types
import uuid
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

__all__ = [
    "FORK_ENV",
    "FORK_MIN_JOBS_PER_WORKER",
    "ForkingKernelManager",
    "ForkingProvisioner",
    "can_fork",
]

#: Module imported by the fork server before it forks any kernel.
PRELOAD_MODULE = "ars_analysis.reports.kernel_preload"

#: Environment variables a kernel may have different from the fork server's: read at run time
#: by the package (``ARS_SNAPSHOT_DIR``, ``ARS_DUCKDB_*``) or by jupyter (``JPY_*``).
RUNTIME_ENV_PREFIXES = ("ARS_", "JPY_")

#: ``1`` in a kernel's environment: fork it from the fork server (when :func:`can_fork`).
FORK_ENV = "ARS_KERNEL_FORK"

#: ``ars render`` forks kernels when each worker runs at least this many jobs.
FORK_MIN_JOBS_PER_WORKER = 3

_server_env: dict[str, str] | None = None  # os.environ when this process started its server


def _comparable(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(RUNTIME_ENV_PREFIXES)}


def _connection_file(cmd: list[str]) -> str | None:
    """The connection file of a ``<this python> -m ipykernel_launcher -f <file> [--Opt=value
    ...]`` command (nbclient adds ``--HistoryManager.hist_file=:memory:``)."""
    if (
        len(cmd) >= 5
        and cmd[0] == sys.executable
        and cmd[1:3] == ["-m", "ipykernel_launcher"]
        and cmd[3] == "-f"
        and all(a.startswith("--") and "=" in a for a in cmd[5:])
    ):
        return cmd[4]
    return None


def can_fork(cmd: list[str], env: dict[str, str] | None) -> bool:
    """Whether the kernel of ``cmd`` with environment ``env`` may be forked from the server.

    >>> import sys
    >>> can_fork(["/usr/bin/R", "--kernel"], {"ARS_KERNEL_FORK": "1"})
    False
    >>> can_fork([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"], {})
    False
    """
    env = dict(os.environ if env is None else env)
    if not sys.platform.startswith("linux") or env.get(FORK_ENV) != "1":
        return False
    if _connection_file(cmd) is None:
        return False
    if _server_env is None:
        return not _foreign_server()
    return _comparable(_server_env) == _comparable(env)


def _foreign_server() -> bool:
    """Whether this process already runs a fork server started without the preload (e.g. by a
    process pool): kernels are then started the usual way."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    return server is not None and getattr(server, "_forkserver_pid", None) is not None


def _context():
    """The fork server context of this process, started (lazily) with :data:`PRELOAD_MODULE`."""
    global _server_env
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    if _server_env is None:
        # Takes effect when this process's fork server starts (at the first forked kernel; a
        # server already running without it is not used: see _foreign_server).
        ctx.set_forkserver_preload([PRELOAD_MODULE])
        _server_env = dict(os.environ)
    return ctx


def _kernel_main(argv: list[str], env: dict[str, str], cwd: str | None) -> None:
    """Body of a forked kernel: look like ``python -m ipykernel_launcher -f <file>``, run it."""
    import atexit
    import multiprocessing.process as mp_process

    os.setsid()  # own session and process group, as jupyter_client's launcher does
    if sys.platform.startswith("linux"):
        # die with the fork server (which ends with its ``ars render`` worker)
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(env)
    # ipykernel polls its parent and exits when it changes: the parent is the fork server (the
    # trait's default was read from the environment when the server imported ipykernel)
    parent = str(os.getppid())
    os.environ["JPY_PARENT_PID"] = parent
    if cwd:
        os.chdir(cwd)
    # the server's own sys.path (multiprocessing gave the child the worker's), less its first
    # entry ('' of ``python -c``), as ipykernel_launcher drops its own; IPython adds '' itself
    from ars_analysis.reports import kernel_preload

    sys.path[:] = kernel_preload.SYS_PATH[1:]
    argv = [*argv, f"--IPKernelApp.parent_handle={parent}"]
    sys.argv = [sys.argv[0] if sys.argv else "ipykernel_launcher", *argv]
    # a notebook sees a main process, as in a kernel started by Popen
    mp_process._current_process = type(kernel_preload.MAIN_PROCESS)()
    mp_process._parent_process = None
    mp_process._children = set()
    mp_process._process_counter = itertools.count(1)
    if "numpy" in sys.modules:  # a fresh interpreter seeds NumPy's global generator anew
        sys.modules["numpy"].random.seed()

    from ipykernel import kernelapp

    try:
        kernelapp.launch_new_instance(argv)
    finally:
        atexit._run_exitfuncs()  # as at interpreter exit (IPython saves its history)


@contextlib.contextmanager
def _no_main_module():
    """Hide this process's ``__main__`` while starting a kernel: multiprocessing would otherwise
    run the caller's script (or ``-m`` module) again in the kernel before the kernel starts."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class _ForkedKernel:
    """The ``subprocess.Popen`` interface :class:`LocalProvisioner` uses, over a
    ``multiprocessing`` process started by the fork server."""

    stdin = stdout = stderr = None

    def __init__(self, process) -> None:
        self._process = process
        self.pid = process.pid

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self._process.kill()

    def terminate(self) -> None:
        self._process.terminate()


class ForkingProvisioner(LocalProvisioner):
    """A :class:`LocalProvisioner` that forks the kernel from the fork server when
    :func:`can_fork` allows it (otherwise launches it as usual)."""

    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        env = kwargs.get("env")
        ctx = _context() if can_fork(cmd, env) else None
        # checked again once the server's environment is known (the first kernel's may differ)
        if ctx is None or not can_fork(cmd, env):
            self.forked = False
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd")
        process = ctx.Process(
            target=_kernel_main,
            args=(cmd[3:], dict(os.environ if env is None else env), cwd),
            name="ars-kernel",
        )
        with _no_main_module():
            process.start()
        self.process = _ForkedKernel(process)
        self.pid = process.pid
        # the kernel calls setsid(): its process group is its pid (never the server's group,
        # which is the worker's and the whole ``ars render``'s)
        self.pgid = process.pid
        self.cwd = cwd or os.getcwd()
        self.forked = True
        return self.connection_info


class ForkingKernelManager(AsyncKernelManager):
    """The kernel manager ``run_job`` gives papermill: kernels via :class:`ForkingProvisioner`."""

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkingProvisioner(
                kernel_id=self.kernel_id,
                kernel_spec=self.kernel_spec,
                parent=self,
            )
        return await super()._async_pre_start_kernel(**kw)
