"""Writing results: atomic files and Excel workbooks.

Outputs are written to a temporary file in the target folder and moved into place with
``os.replace``, so a reader never sees half a file and a crash never leaves a corrupt one.
Input files are never opened for writing anywhere in the package.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; on success move it to ``path`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> out.read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp creates the file private (0600); give it the usual permissions of a new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def sheet_name(name: str, used: set[str]) -> str:
    """``name`` cleaned to Excel's rules (31 characters, no ``[]:*?/\\``) and unique in ``used``
    (case-insensitive); adds it to ``used``."""
    # Excel forbids []:*?/\ in sheet names and limits them to 31 characters.
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name))[:31] or "Sheet"
    candidate, i = clean, 1
    while candidate.lower() in used:
        suffix = f"_{i}"
        candidate, i = clean[: 31 - len(suffix)] + suffix, i + 1
    used.add(candidate.lower())
    return candidate


def write_excel(path: str | os.PathLike, tables: dict[str, pd.DataFrame]) -> Path:
    """Write ``{sheet name: DataFrame}`` to one .xlsx workbook, atomically.

    Sheet names are cleaned to Excel's rules (31 characters, no ``[]:*?/\\``) and made unique.
    """
    used: set[str] = set()
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in tables.items():
                frame = df.copy()
                # Excel cannot store timezone-aware datetimes.
                for col in frame.select_dtypes(include=["datetimetz"]).columns:
                    frame[col] = frame[col].dt.tz_localize(None)
                frame.to_excel(
                    xw,
                    sheet_name=sheet_name(name, used),
                    index=not isinstance(frame.index, pd.RangeIndex),
                )
    return Path(path)
