"""Load a client's exports into the contract tables: read, map columns, parse, validate.

:func:`load_dataset` reads a folder of CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel
(``.xlsx``, ``.xls``; every sheet with the first sheet's headers) and Parquet files. Each file
feeds the contract table named by its file stem (the table name or one of its aliases, e.g.
``经销商.xlsx`` -> customers, ``销售明细.csv`` -> sales) or by a mapping file. Headers are matched to
contract columns by canonical name, then by
the contract's aliases (case-, space- and punctuation-insensitive), and by the mapping file.
The mapping file format is documented in ``data/README.md``.

Row numbers in the data-quality table are those of the file as a consultant sees it (header =
row 1, first data line = row 2). Input files are only read, never written.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "客户.csv").write_text("客户编码,客户名称,区域\\n001,甲,华东\\n", encoding="utf-8")
>>> _ = (folder / "products.csv").write_text("product_id,product_name\\nP1,X\\n")
>>> _ = (folder / "门店.csv").write_text("门店编码,门店名称,区域\\nT1,店,华东\\n")
>>> _ = (folder / "sales.csv").write_text(
...     "日期,客户编码,门店编码,产品编码,数量,金额\\n2025-01-02,001,T1,P1,2,20\\n")
>>> ds = load_dataset(folder)
>>> ds.customers["customer_id"].tolist(), ds.sales["revenue"].sum()
(['001'], np.float64(20.0))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ars_analysis.data.contract import TABLES
from ars_analysis.data.dataset import MAPPING_COLUMNS, Dataset
from ars_analysis.data.engine_validation import LARGE_TABLES, validate_engine_table
from ars_analysis.data.mapping import (
    _TABLE_NAMES,
    MappingError,
    TableSpec,
    _evaluate,
    _norm,
    read_mapping,
)
from ars_analysis.data.parsing import (
    _NUMERIC_DATE,
    _as_text,
    _example,
    _parse_column,
    _parse_dates,
    _parse_numbers,
    plausible_range,
)
from ars_analysis.data.quality import QualityLog
from ars_analysis.data.readers import SUFFIXES, FileProblem, _read_file
from ars_analysis.data.validation import DataValidationError, format_quality, validate

__all__ = ["LINES_ENV", "lines_in_engine", "load_dataset"]

#: Environment variable that keeps the sales lines of every ``load_dataset`` without an
#: ``engine`` in the batch's engine (``ARS_ENGINE``, else DuckDB): ``ARS_LINES_IN_ENGINE=1 ars
#: render ...`` renders the reports without ever holding the lines in pandas.
LINES_ENV = "ARS_LINES_IN_ENGINE"


def lines_in_engine() -> str | None:
    """The engine that keeps the sales lines by :data:`LINES_ENV`, or None (pandas).

    ``ARS_LINES_IN_ENGINE`` set to ``1`` / ``true`` / ``yes`` / ``on`` gives the batch's engine
    (:func:`ars_analysis.data.engines.engine_name`: ``$ARS_ENGINE``, else DuckDB), ``duckdb`` or
    ``spark`` names it; unset, empty, ``0`` / ``false`` / ``no`` / ``off``: None.

    Examples
    --------
    >>> import os
    >>> from ars_analysis.data.snapshot import environment
    >>> with environment({"ARS_LINES_IN_ENGINE": "1", "ARS_ENGINE": "duckdb"}):
    ...     lines_in_engine()
    'duckdb'
    >>> with environment({"ARS_LINES_IN_ENGINE": "0"}):
    ...     lines_in_engine() is None
    True
    """
    import os

    from ars_analysis.data.engines import ENGINES, engine_name

    value = os.environ.get(LINES_ENV, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return None
    if value in ENGINES:
        return value
    if value in ("1", "true", "yes", "on"):
        return engine_name()
    raise ValueError(
        f"${LINES_ENV} must be 1/0 (true/false, yes/no, on/off) or an engine name "
        f"({', '.join(ENGINES)}), got {value!r}"
    )


#: Cells that mark a totals line (合计 row) of an export; such lines are dropped (warning).
TOTALS_LABELS = sorted(
    {
        v
        for w in (
            "合计",
            "总计",
            "小计",
            "汇总",
            "总合计",
            "本页合计",
            "累计合计",
            "合 计",
            "总 计",
        )
        for v in (w, w + ":", w + "：", " " + w, w + " ")
    }
    | {
        v
        for w in ("total", "grand total", "subtotal", "sub total", "sum", "totals")
        for v in (w, w.title(), w.upper(), w.capitalize(), w + ":", w.title() + ":")
    }
)

# --------------------------------------------------------------------------------------------
# one table


def _match_columns(tname, headers, spec: TableSpec | None, *, auto=True):
    """Map source headers to contract columns: user mapping, then exact names, then aliases.

    ``auto=False`` (derived tables) uses the user mapping only.
    """
    table = TABLES[tname]
    claimed: dict[str, tuple[str, str]] = {}  # column -> (header, how)
    used_headers: set[str] = set()
    if spec:
        for src, targets in spec.columns.items():
            for t in targets:
                claimed.setdefault(t, (src, "user"))
            used_headers.add(src)
    by_norm = {}
    for h in headers:
        by_norm.setdefault(_norm(h), h)
    for how in ("exact", "alias") if auto else ():
        for c in table.columns:
            if c.name in claimed:
                continue
            names = [c.name] if how == "exact" else list(c.aliases)
            for n in names:
                h = by_norm.get(_norm(n))
                if h is not None and h not in used_headers:
                    claimed[c.name] = (h, how)
                    used_headers.add(h)
                    break
    return claimed, [h for h in headers if h not in used_headers]


def _build_table(tname, raw, file, spec, log, *, derived=False):
    """Mapped and parsed table (index = file row numbers) plus its mapping rows."""
    spec = spec or TableSpec()
    key = f"tables.{tname}.columns"
    missing_src = [s for s in spec.columns if s not in raw.columns]
    if missing_src:
        log.add(
            "fatal",
            tname,
            file,
            missing_src[0],
            "missing_source_column",
            [],
            f"the mapping file names header {missing_src[0]!r} ({key}) but {file} has "
            f"no such column (headers: {', '.join(map(str, raw.columns[:12]))})",
            "a header of the file",
            n_rows=0,
        )
    claimed, unused = _match_columns(tname, list(raw.columns), spec, auto=not derived)
    claimed = {c: v for c, v in claimed.items() if v[0] in raw.columns}
    mapping = [
        {"table": tname, "file": file, "source_column": h, "column": c, "how": how}
        for c, (h, how) in claimed.items()
    ]
    if not derived:
        mapping += [
            {"table": tname, "file": file, "source_column": h, "column": "", "how": "unused"}
            for h in unused
        ]
    # blank lines (every cell empty) are skipped silently
    if not derived:
        raw = raw[raw.notna().any(axis=1).to_numpy()]
    keep = np.ones(len(raw), dtype=bool)
    for c in spec.drop_if_empty:
        if c in claimed:
            empty = _as_text(raw[claimed[c][0]]).isna().to_numpy()
            log.add_mask(
                "warning",
                tname,
                file,
                c,
                "dropped_empty",
                raw,
                empty & keep,
                lambda idx, c=c: f"{len(idx):,} line(s) without {c} dropped (drop_if_empty)",
                f"a {c} on every line",
            )
            keep &= ~empty
    if not derived:
        label_cols = list(raw.columns[:2]) + [
            h for c, (h, _) in claimed.items() if TABLES[tname].column(c).kind in ("id", "text")
        ]
        totals = np.zeros(len(raw), dtype=bool)
        for h in dict.fromkeys(label_cols):
            col = raw[h]
            if col.dtype == object or pd.api.types.is_string_dtype(col):
                totals |= col.isin(TOTALS_LABELS).to_numpy()
        log.add_mask(
            "warning",
            tname,
            file,
            "",
            "totals_row",
            raw,
            totals & keep,
            lambda idx: f"{len(idx):,} totals line(s) (合计/总计/Total ...) dropped",
            "data lines only (no totals)",
        )
        keep &= ~totals
    raw = raw[keep]
    frame = pd.DataFrame(index=raw.index)
    for c in TABLES[tname].column_names:
        if c in claimed:
            frame[c] = _parse_column(
                log, tname, file, c, raw[claimed[c][0]], spec.date_format.get(c)
            )
    for c, expr in spec.compute.items():

        def lookup(name, frame=frame, raw=raw, c=c, expr=expr):
            if name in frame.columns and TABLES[tname].column(name).kind in ("number", "integer"):
                return frame[name].to_numpy(dtype=float, na_value=np.nan)
            if name in raw.columns:
                values = _parse_numbers(raw[name])
                bad = raw[name].notna().to_numpy() & values.isna().to_numpy()
                log.add_mask(
                    "fatal",
                    tname,
                    file,
                    name,
                    "not_a_number",
                    raw,
                    bad,
                    f"{int(bad.sum()):,} value(s) used in {c} = {expr} are not "
                    f"numbers, e.g. {_example(raw[name], bad)}",
                    "a number",
                )
                return values.to_numpy(dtype=float, na_value=np.nan)
            raise MappingError(
                f"mapping file {spec.origin}: tables.{tname}.compute.{c}: {name!r} is neither a "
                f"numeric column of {tname} nor a header of {file}"
            )

        values = np.asarray(_evaluate(expr, lookup), dtype=float) * np.ones(len(frame))
        infinite = np.isinf(values)
        if infinite.any():
            log.unparsed.setdefault((tname, c), []).append(raw.index[infinite])
            log.add_mask(
                "fatal",
                tname,
                file,
                c,
                "not_a_number",
                raw,
                infinite,
                f"{int(infinite.sum()):,} value(s) of {c} = {expr} are infinite (division by 0?)",
                "a finite number",
            )
            values = np.where(infinite, np.nan, values)
        frame[c] = values
        mapping.append(
            {"table": tname, "file": file, "source_column": f"= {expr}", "column": c, "how": "user"}
        )
    if spec.returns:
        rcol, prefix = spec.returns["column"], spec.returns["prefix"]
        if rcol not in raw.columns:
            log.add(
                "fatal",
                tname,
                file,
                rcol,
                "missing_source_column",
                [],
                f"returns.invoice_prefix.column {rcol!r} is not a header of {file}",
                "a header of the file",
                n_rows=0,
            )
        else:
            text = _as_text(raw[rcol])
            is_return = (text.notna() & text.str.startswith(prefix)).to_numpy(dtype=bool)
            for c in ("quantity", "revenue", "cost"):
                if c in frame.columns:
                    frame.loc[is_return, c] = -frame.loc[is_return, c].abs()
    return frame, mapping


def _derive(tname, source_raw, file, spec, log):
    frame, mapping = _build_table(tname, source_raw, file, spec, log, derived=True)
    key = [k for k in TABLES[tname].key if k in frame.columns]
    if not key:
        return frame, mapping
    frame = frame[frame[key].notna().all(axis=1).to_numpy()]
    others = [c for c in frame.columns if c not in key]
    used = "the first one is used"
    if others and spec.keep == "most_frequent":
        # Each attribute takes its most frequent value per ID (ties: the first seen), e.g. the
        # region where a customer placed most of its order lines.
        used = "the most frequent one is used"
        frame = frame.reset_index(drop=True)
        for c in others:
            counts = (
                frame.assign(_order=np.arange(len(frame)))
                .groupby([*key, c], sort=False, dropna=True)["_order"]
                .agg(["size", "min"])
                .reset_index()
                .sort_values(["size", "min"], ascending=[False, True])
                .drop_duplicates(key)
            )
            best = frame[key].merge(counts[[*key, c]], on=key, how="left")[c]
            frame[f"_best_{c}"] = best.to_numpy()
    if others:
        varying = frame.groupby(key, sort=False)[others].nunique()
        for c in others:
            n = int((varying[c] > 1).sum())
            if n:
                ex = ", ".join(map(str, varying.index[varying[c] > 1][:3]))
                log.add(
                    "warning",
                    tname,
                    file,
                    c,
                    "inconsistent_values",
                    [],
                    f"{n:,} {key[0]} value(s) have several {c} values in {file} (e.g. {ex}); "
                    f"{used}",
                    f"one {c} per {'/'.join(key)}",
                    n_rows=n,
                )
    if others and spec.keep == "most_frequent":
        for c in others:
            frame[c] = frame.pop(f"_best_{c}").astype(frame[c].dtype, errors="ignore")
    return frame[~frame.duplicated(key).to_numpy()], mapping


# --------------------------------------------------------------------------------------------
# the loader


def period_bound(value, which: str = "start") -> pd.Timestamp | None:
    """One end of an analysis period as a Timestamp (None stays None).

    Accepts what the loader accepts for dates (``2025-01-31``, ``2025/1/31``, ``2025年1月31日``,
    ``20250131``); anything else is a ``ValueError`` naming the option and the expected form.

    >>> period_bound("2025年1月5日")
    Timestamp('2025-01-05 00:00:00')
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "year"):
        try:
            return pd.Timestamp(value)
        except (ValueError, OverflowError):
            pass
    else:
        text = str(value).strip()
        if not _NUMERIC_DATE.match(text):
            parsed, _ = _parse_dates(pd.Series([text], dtype=object), None)
            if parsed.notna().all():
                stamp = pd.Timestamp(parsed.iloc[0])
                lo, hi = plausible_range()
                if lo <= stamp <= hi + pd.DateOffset(years=50):
                    return stamp
    raise ValueError(
        f"period {which} {value!r} is not a date; expected YYYY-MM-DD, e.g. 2025-01-31 "
        f"(--{which} on the command line)"
    )


def _mapping_headers(specs, path: Path, assigned) -> list[str]:
    """Source headers the mapping file names for the tables fed by ``path`` (header search)."""
    out = []
    for tname, spec in specs.items():
        if assigned.get(tname) == path or spec.derive_from:
            out += list(spec.columns)
            if spec.returns:
                out.append(spec.returns["column"])
    return out


def _resolve(path: Path, folder: Path, mapping_dir: Path | None, key: str, mapping) -> Path:
    for base in (folder, mapping_dir):
        if base is not None and (base / path).is_file():
            return base / path
    if path.is_absolute() and path.is_file():
        return path
    raise MappingError(f"mapping file {mapping}: {key}: file {str(path)!r} not found in {folder}")


def _engine_table(tname, p: Path, spec, specs, engine, log):
    """The large table ``tname`` of file ``p`` kept in ``engine`` (None: read it into pandas).

    Only for UTF-8 CSV and Parquet files (or a folder of Parquet files) that the mapping file
    does not transform; otherwise the table is read into pandas and a warning says why."""
    from ars_analysis.data.engine_validation import EngineTable, engine_headers

    why = None
    if p.is_file() and p.suffix.lower() not in (".csv", ".parquet"):
        why = f"{p.suffix} files are read into pandas"
    elif spec is not None and (
        spec.compute or spec.returns or spec.drop_if_empty or spec.sheet or spec.header_row
    ):
        why = "the mapping file transforms its lines (compute/returns/drop_if_empty/sheet)"
    elif any(s.derive_from == tname for s in specs.values()):
        why = "another table is derived from its lines"
    elif spec is not None and spec.encoding and spec.encoding.lower().replace("-", "") != "utf8":
        why = f"its encoding is {spec.encoding} (the engines read UTF-8)"
    if why is None and p.is_file() and p.suffix.lower() == ".csv":
        head = p.open("rb").read(1 << 16)
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # a cut multi-byte character at the end of the sample is fine
            if exc.start < len(head) - 4:
                why = "it is not UTF-8 (the engines read UTF-8)"
    if why is not None:
        log.add(
            "warning",
            tname,
            p.name,
            "",
            "read_into_pandas",
            [],
            f"{p.name} was read into pandas, not kept in the {engine} engine: {why}",
            "a UTF-8 CSV or Parquet file without transformations in the mapping file",
            n_rows=0,
        )
        return None, []
    headers = engine_headers(str(p), engine)
    claimed, unused = _match_columns(tname, headers, spec)
    claimed = {c: v for c, v in claimed.items() if v[0] in headers}
    mapping = [
        {"table": tname, "file": p.name, "source_column": h, "column": c, "how": how}
        for c, (h, how) in claimed.items()
    ] + [
        {"table": tname, "file": p.name, "source_column": h, "column": "", "how": "unused"}
        for h in unused
    ]
    columns = {c: claimed[c][0] for c in TABLES[tname].column_names if c in claimed}
    return EngineTable(tname, str(p), p.name, columns), mapping


def load_dataset(
    path, mapping=None, *, period=None, strict=True, engine=None, in_engine=None
) -> Dataset:
    """Read, map, parse and validate a client's files into a :class:`~ars_analysis.data.dataset.Dataset`.

    Parameters
    ----------
    path : str or Path
        A folder of client files, or a single order-lines file (with ``mapping``; it feeds the
        sales table unless the mapping says otherwise).
    mapping : str or Path, optional
        A YAML mapping file (format in ``data/README.md``).
    period : (start, end), optional
        Analysis period; sales lines outside it are reported (warning) and dropped.
    strict : bool
        Raise :class:`DataValidationError` when a fatal problem is found. With ``strict=False``
        the dataset is returned and fatal problems are in ``.quality``.
    engine : {"duckdb", "spark"}, optional
        Keep the large tables (sales, visits) in this engine instead of pandas and validate
        them there (:mod:`ars_analysis.data.engine_validation`): ``.tables["sales"]`` is then
        an :class:`~ars_analysis.data.engine_validation.EngineTable` that the aggregations read.
        Default: everything in pandas, unless :data:`LINES_ENV` (``ARS_LINES_IN_ENGINE=1``,
        set for a report batch) asks for the sales lines in the batch's engine
        (:func:`lines_in_engine`; the visit log then stays in pandas).
    in_engine : tuple of str, optional
        With ``engine``: which large tables stay in it (default :data:`LARGE_TABLES`, sales
        and visits); the others are read into pandas.

    Returns
    -------
    Dataset
        ``.tables`` (canonical columns, parsed: ids/text as strings, numbers as float, dates as
        datetime64), ``.quality`` (every problem found), ``.mapping`` (how each source column was
        matched: exact/alias/user, or unused).

    Raises
    ------
    DataValidationError
        ``strict=True`` and fatal problems; the message lists them all, ``.quality`` has them.
    MappingError
        The mapping file is wrong (names the file and the key).
    FileNotFoundError
        ``path`` does not exist.
    """
    from ars_analysis.data import snapshot  # in a batch (ARS_SNAPSHOT_DIR set): load once, share

    if engine is None and in_engine is None and lines_in_engine() is not None:
        engine, in_engine = lines_in_engine(), ("sales",)
    large = LARGE_TABLES if in_engine is None else tuple(t for t in LARGE_TABLES if t in in_engine)
    if engine is not None and in_engine is not None:
        in_engine = large
    if snapshot.active():
        extra = {"engine": engine} if engine is not None else {}
        if engine is not None and in_engine is not None:
            extra["in_engine"] = in_engine
        return snapshot.load(load_dataset, path, mapping, period=period, strict=strict, **extra)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if period is not None:
        period = tuple(period)
        if len(period) != 2:
            raise ValueError(f"period must be (start, end), got {period!r}")
        period = (period_bound(period[0], "start"), period_bound(period[1], "end"))
    specs = read_mapping(mapping) if mapping is not None else {}
    mapping_dir = Path(mapping).parent if mapping is not None else None
    folder = path.parent if path.is_file() else path
    log = QualityLog()

    assigned: dict[str, Path] = {}
    for tname, spec in specs.items():
        if spec.file:
            assigned[tname] = _resolve(
                Path(spec.file), folder, mapping_dir, f"tables.{tname}.file", mapping
            )
    derived = {t for t, s in specs.items() if s.derive_from}
    if path.is_file():
        if path.resolve() not in {p.resolve() for p in assigned.values()}:
            stem_table = _TABLE_NAMES.get(_norm(path.stem))
            target = stem_table if stem_table and stem_table not in assigned else "sales"
            if target not in assigned and target not in derived:
                assigned[target] = path
        candidates = []
    else:
        candidates = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))
        )
    taken = {p.resolve() for p in assigned.values()}
    by_stem: dict[str, list[Path]] = {}
    for p in candidates:
        if p.resolve() in taken:
            continue
        tname = _TABLE_NAMES.get(_norm(p.stem))
        if tname is None or tname in assigned or tname in derived:
            log.add(
                "warning",
                tname or "",
                p.name,
                "",
                "unused_file",
                [],
                f"{p.name} was not loaded: "
                + (
                    f"{tname} comes from {assigned[tname].name}"
                    if tname in assigned
                    else f"{tname} is derived in the mapping file"
                    if tname in derived
                    else "its name matches no contract table"
                ),
                "file names like " + ", ".join(f"{t}.csv" for t in TABLES),
                n_rows=0,
            )
            continue
        by_stem.setdefault(tname, []).append(p)
    for tname, paths in by_stem.items():
        if len(paths) > 1:
            log.add(
                "fatal",
                tname,
                ", ".join(p.name for p in paths),
                "",
                "ambiguous_file",
                [],
                f"{len(paths)} files could feed {tname}: " + ", ".join(p.name for p in paths),
                "one file per table",
                n_rows=0,
            )
        assigned[tname] = paths[0]

    raws: dict[Path, pd.DataFrame] = {}
    unread: dict[Path, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    mapping_rows: list[dict] = []
    files: dict[str, Path] = {}
    in_engine = {}
    for tname in TABLES:
        if tname not in assigned:
            continue
        p = assigned[tname]
        spec = specs.get(tname)
        if p in unread:
            continue
        if engine is not None and tname in large:
            table, rows = _engine_table(tname, p, spec, specs, engine, log)
            if table is not None:
                in_engine[tname] = table
                mapping_rows += rows
                files[tname] = p
                continue
        if p not in raws:
            try:
                raws[p], _ = _read_file(
                    p,
                    sheet=spec.sheet if spec else None,
                    encoding=spec.encoding if spec else None,
                    header_row=spec.header_row if spec else None,
                    extra_headers=_mapping_headers(specs, p, assigned),
                    log=log,
                )
            except FileProblem as exc:
                unread[p] = tname
                optional_empty = exc.check == "empty_file" and not TABLES[tname].required
                log.add(
                    "warning" if optional_empty else "fatal",
                    tname,
                    p.name,
                    "",
                    exc.check,
                    [],
                    str(exc) + ("; the optional table is left out" if optional_empty else ""),
                    f"a readable {p.suffix or 'data'} file with a header row and data lines",
                    n_rows=0,
                )
                continue
        frame, rows = _build_table(tname, raws[p], p.name, spec, log)
        tables[tname] = frame
        mapping_rows += rows
        files[tname] = p
    for tname in TABLES:
        if tname not in derived:
            continue
        source = specs[tname].derive_from
        if source not in tables and source in assigned and assigned[source] in unread:
            continue  # its file could not be read (reported)
        if source not in tables:
            raise MappingError(
                f"mapping file {mapping}: tables.{tname}.derive_from: table {source!r} has no file"
            )
        p = files[source]
        raw = raws[p].loc[tables[source].index]
        frame, rows = _derive(tname, raw, p.name, specs[tname], log)
        tables[tname] = frame
        mapping_rows += rows
        files[tname] = p

    tables, quality = validate(
        tables,
        {k: v.name for k, v in files.items()},
        period=period,
        unparsed=log.unparsed,
        elsewhere=set(in_engine),
    )
    for tname, table in in_engine.items():
        found = validate_engine_table(table, tables, engine=engine, period=period)
        if len(found):
            quality = pd.concat([quality, found], ignore_index=True)
        tables[tname] = table
    if in_engine:
        tables = {k: tables[k] for k in TABLES if k in tables}
        order = quality["severity"].map({"fatal": 0, "warning": 1}).to_numpy()
        quality = quality.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    unread_tables = set(unread.values()) | {
        t for t in derived if assigned.get(specs[t].derive_from) in unread
    }
    if unread_tables:  # already reported as empty/unreadable
        quality = quality[
            ~((quality["check"] == "missing_table") & quality["table"].isin(unread_tables))
        ].reset_index(drop=True)
    load_log = log.frame()
    if len(load_log):
        quality = pd.concat([load_log, quality], ignore_index=True)
        order = quality["severity"].map({"fatal": 0, "warning": 1}).to_numpy()
        quality = quality.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    tables = {
        k: v.reset_index(drop=True) if isinstance(v, pd.DataFrame) else v for k, v in tables.items()
    }
    mapping_frame = pd.DataFrame(mapping_rows, columns=MAPPING_COLUMNS)
    dataset = Dataset(tables, quality=quality, mapping=mapping_frame, source=folder, files=files)
    fatal = quality[quality["severity"] == "fatal"]
    if strict and len(fatal):
        raise DataValidationError(
            f"{len(fatal)} fatal data problem(s) in {path}:\n"
            + format_quality(fatal)
            + "\nFix the files (or the mapping file) and load again; "
            "load_dataset(..., strict=False) returns the data with the problems in .quality.",
            quality,
        )
    return dataset
