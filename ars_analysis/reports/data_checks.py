"""What the runner needs to know about the data before any job runs: regions, periods, fingerprint.

The only module of :mod:`ars_analysis.reports` that loads the dataset (:class:`DataInfo`, lazily,
only when a job lists ``regions: all`` or a period must be checked against the sales dates).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ars_analysis.reports.config import Job, ReportConfig, ReportConfigError


class DataInfo:
    """Facts about the data folder the index and region expansion need (loaded lazily, once)."""

    def __init__(self, data_path: Path, mapping_path: Path | None = None):
        self.data_path = Path(data_path)
        self.mapping_path = mapping_path
        self._dataset = None

    def _load(self):
        if self._dataset is None:
            from ars_analysis.data import loading

            self._dataset = loading.load_dataset(self.data_path, mapping=self.mapping_path)
        return self._dataset

    def _frames(self, tables: tuple[str, ...], column: str) -> list:
        """``column`` of each of ``tables``: via the loader, else straight from ``<table>.csv``."""
        try:
            ds = self._load()
            return [
                ds.tables[t][[column]]
                for t in tables
                if ds.tables.get(t) is not None and column in ds.tables[t]
            ]
        except Exception:  # noqa: BLE001 - loader missing or data invalid: read canonical CSVs
            import pandas as pd

            frames = []
            for t in tables:
                f = self.data_path / f"{t}.csv"
                if f.exists() and column in pd.read_csv(f, nrows=0).columns:
                    frames.append(pd.read_csv(f, usecols=[column], dtype=str))
            return frames

    def regions(self) -> list[str]:
        """Sorted regions of the customers, terminals and reps in the data."""
        found: set[str] = set()
        for frame in self._frames(("customers", "terminals", "reps"), "region"):
            found.update(str(r) for r in frame["region"].dropna().unique())
        if not found:
            raise ReportConfigError(
                f"regions: all, but no region column with values in {self.data_path}"
            )
        return sorted(found)

    def period(self) -> tuple[str, str] | None:
        """First and last sales date of the data (ISO), or None."""
        import pandas as pd

        try:
            frames = self._frames(("sales",), "date")
            dates = pd.to_datetime(frames[0]["date"], errors="coerce").dropna() if frames else None
        except Exception:  # noqa: BLE001 - the index shows '…' rather than failing the run
            return None
        if dates is None or dates.empty:
            return None
        return dates.min().strftime("%Y-%m-%d"), dates.max().strftime("%Y-%m-%d")

    def fingerprint(self) -> str:
        """Short sha256 over the names and bytes of the data files (and the mapping file)."""
        return data_fingerprint(self.data_path, self.mapping_path)


def data_fingerprint(
    data_path: str | os.PathLike, mapping_path: str | os.PathLike | None = None
) -> str:
    """First 12 hex digits of a sha256 over every data file's relative name and bytes.

    Hidden files are ignored; files are taken in sorted order, so the result only changes when
    a file's name or content does.
    """
    h = hashlib.sha256()
    root = Path(data_path)
    files = (
        sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        if root.is_dir()
        else [root]
    )
    if mapping_path is not None:
        files.append(Path(mapping_path))
    for f in files:
        h.update(
            str(
                f.relative_to(root) if root.is_dir() and f.is_relative_to(root) else f.name
            ).encode()
        )
        h.update(b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()[:12]


def check_data(cfg: ReportConfig, jobs: list[Job], data: DataInfo) -> None:
    """Check the data-dependent parameters of ``jobs`` before any job runs.

    The data folder (and mapping file) must exist; every region must be one of the data's
    regions (whitespace variants such as ``"华东 "`` get a suggestion); a job's period must not
    start after it ends nor miss the sales dates. Raises :class:`ReportConfigError` listing every
    problem with the valid values.
    """
    if not cfg.data_path.exists():
        raise ReportConfigError(
            f"{cfg.source}: data_path {cfg.data_path} not found; give the folder of the client's "
            "files (relative paths are relative to the current directory)"
        )
    if cfg.mapping_path is not None and not cfg.mapping_path.is_file():
        raise ReportConfigError(f"{cfg.source}: mapping_path {cfg.mapping_path} not found")
    problems: list[str] = []
    wanted = [j for j in jobs if j.parameters.get("region") is not None]
    if wanted:
        valid = data.regions()
        squeeze = {re.sub(r"\s+", "", v): v for v in valid}
        for j in wanted:
            region = j.parameters["region"]
            if not isinstance(region, str) or region not in valid:
                hint = squeeze.get(re.sub(r"\s+", "", str(region)))
                problems.append(
                    f"job {j.name!r}: region {region!r} is not in the data"
                    + (f" (did you mean {hint!r}?)" if hint else "")
                    + f"; regions in the data: {', '.join(valid)}"
                )
    data_period = data.period() if jobs else None
    for j in jobs:
        start, end = j.parameters.get("start"), j.parameters.get("end")
        if start and end and start > end:
            problems.append(f"job {j.name!r}: start {start} is after end {end}")
        elif data_period and ((start and start > data_period[1]) or (end and end < data_period[0])):
            problems.append(
                f"job {j.name!r}: the period {start or '…'} – {end or '…'} has no sales; the data "
                f"covers {data_period[0]} – {data_period[1]}"
            )
    if problems:
        raise ReportConfigError(
            "invalid job parameters for this data (nothing was run):\n  " + "\n  ".join(problems)
        )
