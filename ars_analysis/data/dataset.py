"""The loaded dataset: contract tables plus what loading found out about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ars_analysis.data.contract import TABLES

#: Columns of the data-quality table (:attr:`Dataset.quality`).
QUALITY_COLUMNS = [
    "severity",  # "fatal" or "warning"
    "table",  # contract table name
    "file",  # source file name
    "column",  # contract column (or source header), "" for table-level problems
    "check",  # short machine name of the check, e.g. "missing_column", "not_a_date"
    "n_rows",  # number of offending rows
    "rows",  # first few offending row numbers as in the file (header = row 1), e.g. "2, 5, 9"
    "problem",  # what is wrong, in words
    "expected",  # what was expected
]

#: Columns of the applied-mapping table (:attr:`Dataset.mapping`).
MAPPING_COLUMNS = ["table", "file", "source_column", "column", "how"]  # how: exact/alias/user


def empty_quality() -> pd.DataFrame:
    """An empty data-quality table with the right columns."""
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "n_rows" else "object") for c in QUALITY_COLUMNS}
    )


@dataclass
class Dataset:
    """Contract tables of one client, as loaded and validated by :func:`ars_analysis.load_dataset`.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Contract tables by name, with canonical column names and parsed types. Optional tables that
        were not supplied are absent. Loaded with an engine, the large tables (sales, visits)
        are :class:`~ars_analysis.data.engine_validation.EngineTable` descriptions instead:
        the lines stay in the engine, the aggregations read them there.
    quality : DataFrame
        One row per data-quality problem found (columns :data:`QUALITY_COLUMNS`).
    mapping : DataFrame
        How each source column was matched to the contract (columns :data:`MAPPING_COLUMNS`).
    source : Path or None
        Folder the data came from.
    files : dict of str to Path
        Source file of each table.
    """

    tables: dict[str, pd.DataFrame]
    quality: pd.DataFrame = field(default_factory=empty_quality)
    mapping: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MAPPING_COLUMNS))
    source: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame | None:
        # ds.sales, ds.customers, ... ; None for an optional table that was not supplied.
        if name in TABLES:
            return self.__dict__.get("tables", {}).get(name)
        raise AttributeError(name)

    def has(self, table: str) -> bool:
        """Whether ``table`` was supplied."""
        return self.tables.get(table) is not None

    @property
    def period(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last sales date, or None when there are no sales lines."""
        sales = self.tables.get("sales")
        if sales is not None and not isinstance(sales, pd.DataFrame):  # kept in an engine
            return sales.date_range()
        if sales is None or sales.empty:
            return None
        return sales["date"].min(), sales["date"].max()

    @property
    def fatal(self) -> pd.DataFrame:
        """The fatal rows of :attr:`quality`."""
        return self.quality[self.quality["severity"] == "fatal"]

    def __repr__(self) -> str:
        sizes = ", ".join(
            f"{k}={len(v):,}" if isinstance(v, pd.DataFrame) else f"{k}={v!r}"
            for k, v in self.tables.items()
            if v is not None
        )
        return f"Dataset({sizes}; {len(self.quality)} quality notes)"


def between(dates: pd.Series, start, end) -> pd.Series:
    """Boolean mask of `start <= dates <= end` (whole end day included; None = open)."""
    keep = pd.Series(True, index=dates.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        # an end date includes the whole day
        keep &= dates < pd.Timestamp(end) + pd.Timedelta(days=1)
    return keep


def subset(dataset: Dataset, *, region=None, start=None, end=None) -> Dataset:
    """A copy of ``dataset`` restricted to one region (or a list of regions) and a date range.

    Region filtering keeps the customers, terminals and reps of the region(s), the sales lines of
    those customers (or, for a terminal of the region, of that terminal), and the visits and
    targets of the kept reps (the distributor tables -- receivables, inventory, deliveries,
    distributor reports -- follow the kept distributors, terminal targets the kept terminals).
    Dates filter sales (``date``), visits (``planned_date`` or ``check_in``), targets, terminal
    targets and distributor reports (``period``), inventory (``date``) and deliveries
    (``order_date``). ``None`` means no filter. The input is not modified.

    Sales lines or visits kept in an engine (``load_dataset(..., engine=)``, an
    :class:`~ars_analysis.data.engine_validation.EngineTable`) are not read: the kept IDs and
    the dates are added to their description (:meth:`EngineTable.restrict`), and the engine
    applies them whenever the lines are aggregated.

    Examples
    --------
    >>> import pandas as pd
    >>> ds = Dataset({"customers": pd.DataFrame({"customer_id": ["C1", "C2"],
    ...                                          "region": ["East", "West"]}),
    ...               "sales": pd.DataFrame({"customer_id": ["C1", "C2"],
    ...                                      "date": pd.to_datetime(["2025-01-01", "2025-02-01"])})})
    >>> subset(ds, region="East").sales["customer_id"].tolist()
    ['C1']
    """
    tables = {k: v for k, v in dataset.tables.items() if v is not None}
    # large tables kept in an engine (EngineTable) get the scope and dates as a description
    in_engine = {k: v for k, v in tables.items() if not isinstance(v, pd.DataFrame)}
    tables = {k: v for k, v in tables.items() if k not in in_engine}
    if region is not None:
        regions = [region] if isinstance(region, str) else list(region)
        for name in ("customers", "terminals", "reps"):
            if name in tables and "region" in tables[name]:
                tables[name] = tables[name][tables[name]["region"].isin(regions)]
        if "sales" in in_engine:
            keep = {}
            if "customers" in tables:
                keep["customer_id"] = tables["customers"]["customer_id"]
            if "terminals" in tables:
                keep["terminal_id"] = tables["terminals"]["terminal_id"]
            in_engine["sales"] = in_engine["sales"].restrict(keep=keep)
        if "visits" in in_engine and "reps" in tables:
            in_engine["visits"] = in_engine["visits"].restrict(
                keep={"rep_id": tables["reps"]["rep_id"]}
            )
        if "sales" in tables:
            s = tables["sales"]
            keep = pd.Series(False, index=s.index)
            if "customers" in tables:
                keep |= s["customer_id"].isin(tables["customers"]["customer_id"])
            if "terminals" in tables and "terminal_id" in s:
                keep |= s["terminal_id"].isin(tables["terminals"]["terminal_id"])
            tables["sales"] = s[keep]
        for name in ("visits", "targets", "training"):
            if name in tables and "reps" in tables:
                tables[name] = tables[name][tables[name]["rep_id"].isin(tables["reps"]["rep_id"])]
        for name in ("receivables", "inventory", "deliveries", "distributor_reports"):
            if name in tables and "customers" in tables:
                r = tables[name]
                tables[name] = r[r["customer_id"].isin(tables["customers"]["customer_id"])]
        if "terminal_targets" in tables and "terminals" in tables:
            r = tables["terminal_targets"]
            tables["terminal_targets"] = r[
                r["terminal_id"].isin(tables["terminals"]["terminal_id"])
            ]
    if start is not None or end is not None:
        if "sales" in tables:
            tables["sales"] = tables["sales"][between(tables["sales"]["date"], start, end)]
        if "visits" in tables:
            v = tables["visits"]
            when = v["planned_date"].fillna(v["check_in"]) if "check_in" in v else v["planned_date"]
            tables["visits"] = v[between(when, start, end)]
        first = None if start is None else pd.Timestamp(start).to_period("M").to_timestamp()
        for name in ("targets", "terminal_targets", "distributor_reports"):
            if name in tables:
                t = tables[name]
                month = pd.to_datetime(t["period"].astype(str) + "-01")
                tables[name] = t[between(month, first, end)]
        for name, col in (("inventory", "date"), ("deliveries", "order_date")):
            if name in tables:
                tables[name] = tables[name][between(tables[name][col], start, end)]
    if start is not None or end is not None:
        in_engine = {k: v.restrict(start=start, end=end) for k, v in in_engine.items()}
    tables = {k: v.reset_index(drop=True) for k, v in tables.items()}
    tables = {
        k: tables.get(k, in_engine.get(k)) for k in dataset.tables if k in {*tables, *in_engine}
    }
    out = Dataset(
        tables,
        quality=dataset.quality,
        mapping=dataset.mapping,
        source=dataset.source,
        files=dataset.files,
    )
    from ars_analysis.data.snapshot import derive  # a batch's cached definitions follow the subset

    return derive(dataset, out, "subset", region, start, end)
