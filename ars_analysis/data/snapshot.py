"""Batch snapshot: load and validate the data once per batch, share whole-dataset definitions.

``ars render`` runs every report job in its own notebook kernel. Without help each kernel would
read, map and validate the whole dataset again and recompute the definitions every report
shares (top terminals, every distributor's grade, per-period grades). The runner therefore sets
the environment variable :data:`ENV` (``ARS_SNAPSHOT_DIR``) to ``<output_dir>/.cache`` for the
batch; the kernels inherit it and

- :func:`ars_analysis.load_dataset` reads a pickled snapshot of the validated dataset from
  ``<ARS_SNAPSHOT_DIR>/<key>/dataset.pkl`` when its key matches, and writes it when it is
  missing (the runner writes it first, when it lists the regions);
- :func:`memo` keeps whole-dataset definitions in ``<ARS_SNAPSHOT_DIR>/<key>/defs/``, keyed by
  the dataset's key, the function and its arguments (the client configuration included).

The key (:func:`dataset_key`) is a sha256 over the data folder's resolved path, every data
file's relative name, size, modification time and inode, the mapping file's bytes (and the
files it names), the ``period`` argument, :data:`LOADER_VERSION` and a hash of the package's
own source and YAML files (:func:`code_version`): a changed data file, mapping, loader or
definition gives a new key, so a stale snapshot is never read. Every file is written atomically
(:func:`ars_analysis.outputs.atomic_path`), so concurrent jobs see a whole snapshot or none;
an unreadable snapshot is ignored and rebuilt. Input files are only read.

Outside a batch (``ARS_SNAPSHOT_DIR`` unset) nothing changes. Clear the cache with
``rm -rf <output_dir>/.cache`` (``reports/.cache`` for ``make report``); a batch removes the
snapshots of older versions of the same data folder itself.

Examples
--------
>>> import os, tempfile
>>> from ars_analysis import load_dataset
>>> with using(tempfile.mkdtemp()):
...     first = load_dataset("data/sample")   # loads, validates, writes the snapshot
...     again = load_dataset("data/sample")   # reads the snapshot
>>> first.tables["sales"].equals(again.tables["sales"])
True
>>> ENV in os.environ
False
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "ENV",
    "LOADER_VERSION",
    "code_version",
    "dataset_key",
    "derive",
    "environment",
    "load",
    "memo",
    "path_arg",
    "snapshot_dir",
    "using",
]

#: Environment variable naming the snapshot folder of a batch (set by ``ars render``).
ENV = "ARS_SNAPSHOT_DIR"
#: Bump when the loaded dataset's format changes in a way the source hash would not show.
LOADER_VERSION = 1
#: Name of the cache folder inside a batch's output folder.
CACHE_DIR = ".cache"

_PKG = Path(__file__).resolve().parents[1]  # the whole ars_analysis package
_building: contextvars.ContextVar[bool] = contextvars.ContextVar("ars_snapshot_building")
_TAG = "_ars_snapshot"  # attribute of a Dataset: (key, identity of its tables, loaded key)
T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# where, and whether


def snapshot_dir() -> Path | None:
    """The batch's snapshot folder (``$ARS_SNAPSHOT_DIR``), or None outside a batch."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def active() -> bool:
    """Whether :func:`ars_analysis.load_dataset` should go through the snapshot."""
    return snapshot_dir() is not None and not _building.get(False)


@contextlib.contextmanager
def environment(variables: dict[str, str] | None) -> Iterator[None]:
    """Set environment variables (e.g. for a job's kernel) and restore them afterwards."""
    variables = dict(variables or {})
    before = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def using(folder: str | os.PathLike | None):
    """Context manager: use ``folder`` as the snapshot folder (None: change nothing)."""
    return environment({ENV: str(Path(folder).resolve())} if folder is not None else None)


def batch_env(output_dir: str | os.PathLike, dataset=None, path=None, mapping=None) -> dict:
    """The environment a batch's jobs get: ``{ARS_SNAPSHOT_DIR: <output_dir>/.cache}``.

    With ``dataset`` (``load_dataset(path, mapping)``, already loaded by the runner) its
    snapshot is written there first, so no job loads the data files again.

    With ``ARS_LINES_IN_ENGINE`` set (:func:`ars_analysis.data.loading.lines_in_engine`) the
    jobs get it too, and the snapshot is the one with the sales lines in the engine."""
    from ars_analysis.data.loading import LINES_ENV, lines_in_engine

    root = (Path(output_dir) / CACHE_DIR).resolve()
    engine = lines_in_engine()
    if dataset is not None and path is not None:
        with contextlib.suppress(OSError):
            key = load_key(path, mapping, None, engine, ("sales",) if engine else None)
            _store(root, key, dataset, path)
    env = {ENV: str(root)}
    if engine is not None:  # as set: "1" follows each job's engine (--engine spark)
        env[LINES_ENV] = os.environ[LINES_ENV]
    return env


# --------------------------------------------------------------------------------------------
# keys


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 over the package's Python and YAML files (names and bytes) and
    :data:`LOADER_VERSION`: any change of the loader, a definition or a default gives new keys."""
    h = hashlib.sha256(f"loader={LOADER_VERSION}\0".encode())
    for f in sorted(_PKG.rglob("*")):
        if f.suffix in {".py", ".yml", ".yaml"} and "__pycache__" not in f.parts:
            h.update(f.relative_to(_PKG).as_posix().encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


def _stat_line(f: Path, root: Path | None = None) -> str:
    st = f.stat()
    name = f.relative_to(root).as_posix() if root is not None else str(f.resolve())
    return f"{name}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ino}"


def _data_files(path: Path) -> tuple[Path, list[Path]]:
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)
        )
        return path, files
    return path.parent, [path]


def _mapping_files(mapping: Path, folder: Path) -> list[Path]:
    """Files a mapping names outside the data folder (``tables.<t>.file``)."""
    try:
        import yaml

        spec = yaml.safe_load(mapping.read_text(encoding="utf-8")) or {}
    except Exception:  # noqa: BLE001 - the loader reports a bad mapping itself
        return []
    tables = spec.get("tables") if isinstance(spec, dict) else None
    found = []
    for entry in (tables or {}).values() if isinstance(tables, dict) else []:
        name = entry.get("file") if isinstance(entry, dict) else None
        if not name:
            continue
        for base in (folder, mapping.parent):
            p = Path(name) if Path(name).is_absolute() else base / name
            if p.is_file():
                found.append(p)
    return found


def load_key(path, mapping=None, period=None, engine=None, in_engine=None) -> str:
    """Key of ``load_dataset(path, mapping, period=period)``: see the module docstring.

    With an ``engine`` the large tables stay in the engine: the snapshot then holds their
    description (the file path, the column mapping), never a Spark frame, and the key
    includes the engine."""
    path = Path(path).resolve()
    folder, files = _data_files(path)
    extra = f"{engine}\0" if engine is not None else ""
    if engine is not None and in_engine is not None:
        extra += f"{','.join(in_engine)}\0"
    h = hashlib.sha256(f"{code_version()}\0{path}\0{period!r}\0{extra}".encode())
    for f in files:
        h.update(_stat_line(f, folder).encode() + b"\n")
    if mapping is not None:
        mapping = Path(mapping).resolve()
        h.update(b"mapping\0" + str(mapping).encode() + b"\0" + mapping.read_bytes() + b"\0")
        for f in _mapping_files(mapping, folder):
            h.update(_stat_line(f).encode() + b"\n")
    return h.hexdigest()[:32]


def _tables_identity(dataset) -> tuple:
    return tuple(
        (name, id(frame), len(frame) if hasattr(frame, "shape") else -1)  # engine: no count
        for name, frame in sorted(dataset.tables.items())
        if frame is not None
    )


def _tag(dataset, key: str, base: str | None = None) -> None:
    dataset.__dict__[_TAG] = (key, _tables_identity(dataset), base or key)


def _base_key(dataset) -> str | None:
    """The key of the loaded dataset ``dataset`` comes from (its snapshot folder)."""
    tag = getattr(dataset, "__dict__", {}).get(_TAG)
    return tag[2] if tag is not None and dataset_key(dataset) is not None else None


def dataset_key(dataset) -> str | None:
    """The snapshot key of a dataset loaded (or derived by :func:`derive`) in a batch, or None.

    None as well when its tables were replaced since (a table that is not the loaded one)."""
    tag = getattr(dataset, "__dict__", {}).get(_TAG)
    if tag is None or tag[1] != _tables_identity(dataset):
        return None
    return tag[0]


def derive(source, result, *args: Any) -> Any:
    """Give ``result`` (e.g. ``subset(source, ...)``) a key derived from ``source``'s key and
    ``args``; returns ``result``. Without a key on ``source`` nothing happens."""
    key = dataset_key(source)
    token = _token(args)
    if key is not None and token is not None:
        derived = hashlib.sha256(f"{key}\0{token}".encode()).hexdigest()[:32]
        _tag(result, derived, _base_key(source))
    return result


# --------------------------------------------------------------------------------------------
# the dataset snapshot


def _read_pickle(path: Path) -> Any:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def _write_pickle(path: Path, value: Any) -> None:
    from ars_analysis.data.outputs import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _rebase(dataset, path: Path):
    """Point ``source`` and ``files`` at the caller's spelling of the data folder."""
    folder = path.parent if path.is_file() else path
    old = dataset.source
    files = {}
    for table, f in dataset.files.items():
        try:
            files[table] = folder / Path(f).relative_to(old)
        except (TypeError, ValueError):
            files[table] = f
    dataset.source = folder
    dataset.files = files
    return dataset


def _prune(root: Path, keep: str, source: str) -> None:
    """Remove the snapshots of older versions of the same data folder."""
    for d in root.iterdir() if root.is_dir() else []:
        if d.name == keep or not d.is_dir():
            continue
        try:
            meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("source") == source:
            shutil.rmtree(d, ignore_errors=True)


def _store(root: Path, key: str, dataset, path) -> None:
    from ars_analysis.data.outputs import write_text

    _write_pickle(root / key / "dataset.pkl", dataset)
    meta = {"source": str(Path(path).resolve()), "loader": LOADER_VERSION}
    write_text(root / key / "meta.json", json.dumps(meta, ensure_ascii=False))
    _prune(root, key, meta["source"])


def load(loader: Callable[..., Any], path, mapping=None, *, period=None, strict=True, **engine):
    """``loader(path, mapping, period=period, strict=strict)`` through the snapshot
    (``engine``: ``engine="spark"`` etc., passed on and part of the key).

    ``loader`` is :func:`ars_analysis.load_dataset` (its hook calls this when
    ``ARS_SNAPSHOT_DIR`` is set). A dataset with fatal problems is returned by the loader
    itself when ``strict`` (it raises)."""
    root = snapshot_dir()
    token = _building.set(True)
    try:
        try:
            key = load_key(path, mapping, period, engine.get("engine"), engine.get("in_engine"))
        except OSError:
            return loader(path, mapping, period=period, strict=strict, **engine)
        target = root / key / "dataset.pkl"
        dataset = None
        with contextlib.suppress(Exception):  # missing, half-written by an old version, ...
            dataset = _read_pickle(target)
        if dataset is None:
            dataset = loader(path, mapping, period=period, strict=False, **engine)
            with contextlib.suppress(OSError):
                _store(root, key, dataset, path)
        if strict and len(dataset.fatal):
            return loader(path, mapping, period=period, strict=True, **engine)  # raises
        _tag(_rebase(dataset, Path(path)), key)
        return dataset
    finally:
        _building.reset(token)


# --------------------------------------------------------------------------------------------
# whole-dataset definitions


_UNSTABLE = object()  # an argument without a stable text: the definition is not cached


def path_arg(value: Any) -> Any:
    """A file argument (str or path) as a :class:`~pathlib.Path`, so its bytes are part of the
    key; None stays None (the packaged default); anything else (an object) is not cached."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return Path(value).resolve()
    return _UNSTABLE


def _token(value: Any) -> str | None:
    """A stable text for ``value`` (None when it has no stable form: then nothing is cached)."""
    try:
        return _text(value)
    except Exception:  # noqa: BLE001 - e.g. unhashable cells: compute instead of caching
        return None


def _text(value: Any) -> str | None:
    import pandas as pd

    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, Path):
        return f"path:{value}:" + (
            hashlib.sha256(value.read_bytes()).hexdigest() if value.is_file() else "-"
        )
    if isinstance(value, (list, tuple)):
        parts = [_text(v) for v in value]
        return None if None in parts else f"{type(value).__name__}[{','.join(parts)}]"
    if isinstance(value, dict):
        parts = [(_text(k), _text(v)) for k, v in sorted(value.items(), key=lambda kv: str(kv))]
        return None if any(None in p for p in parts) else f"dict{parts}"
    if isinstance(value, pd.DataFrame):
        h = hashlib.sha256(repr((list(value.columns), list(map(str, value.dtypes)))).encode())
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        return f"frame:{h.hexdigest()}"
    if isinstance(value, pd.Timestamp):
        return f"ts:{value.isoformat()}"
    dump = getattr(value, "model_dump_json", None)  # pydantic models (client configuration)
    if callable(dump):
        return f"{type(value).__qualname__}:{dump()}"
    return None


def memo(name: str, dataset, args: Any, compute: Callable[[], T]) -> T:
    """``compute()``, kept in the batch's snapshot folder for the dataset and ``args``.

    ``dataset`` must carry a snapshot key (loaded in a batch); ``args`` everything else the
    result depends on (client configuration, definitions, arguments; see :func:`_token`). Outside
    a batch, for a dataset without key, or arguments without a stable form, ``compute()`` runs
    as usual. Each call returns a fresh copy (callers may modify it)."""
    root = snapshot_dir()
    key = dataset_key(dataset) if root is not None else None
    token = _token(args) if key is not None else None
    if token is None:
        return compute()
    digest = hashlib.sha256(f"{code_version()}\0{key}\0{name}\0{token}".encode()).hexdigest()
    # beside the loaded dataset's snapshot (a subset's definitions too): pruned with it
    path = root / _base_key(dataset) / "defs" / f"{name}-{digest[:32]}.pkl"
    with contextlib.suppress(Exception):
        return _read_pickle(path)
    value = compute()
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        _write_pickle(path, value)
    return value
