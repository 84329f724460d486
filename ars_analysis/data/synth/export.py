"""Writing a synthetic dataset as the client files a consultant receives (CSV/Excel)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ars_analysis.data.contract import TABLES
from ars_analysis.data.outputs import atomic_path

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M"}

#: Optional contract columns the synthetic client does not export: left out of the CSV files
#: when empty (so the files are those of a client without them).
_NOT_EXPORTED = {"products": ("retail_price",)}


def _to_csv_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in _NOT_EXPORTED.get(name, ()):
        if c in out and out[c].isna().all():
            out = out.drop(columns=c)
    for col in TABLES[name].columns:
        if (
            col.name in out
            and col.kind in _FORMATS
            and pd.api.types.is_datetime64_any_dtype(out[col.name])
        ):
            out[col.name] = out[col.name].dt.strftime(_FORMATS[col.kind])
    return out


def _make_readable(path: Path) -> None:
    # temporary files are created private (0600); data files get the usual permissions
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_dataset(tables: dict[str, pd.DataFrame], out_dir: str | os.PathLike) -> list[Path]:
    """Write tables as UTF-8 CSV files ``<table>.csv`` in ``out_dir`` (atomically) and return the paths.

    Dates are written ``YYYY-MM-DD``, check-in/out times ``YYYY-MM-DD HH:MM``, empty cells for
    missing values.

    Examples
    --------
    >>> import tempfile
    >>> from ars_analysis.data.synth import generate_dataset
    >>> paths = write_dataset(generate_dataset(seed=1, n_customers=8, n_terminals=40, n_reps=16,
    ...                                        months=1), tempfile.mkdtemp())
    >>> sorted(p.name for p in paths)[:3]
    ['customers.csv', 'deliveries.csv', 'distributor_reports.csv']
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        path = out_dir / f"{name}.csv"
        with atomic_path(path) as tmp:
            _to_csv_frame(name, df).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
            _make_readable(tmp)
        paths.append(path)
    return paths
