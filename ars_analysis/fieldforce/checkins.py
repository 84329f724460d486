"""Check-in positions: distance between the check-in and the terminal, in distance bands."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import (
    UNKNOWN,
    _attach_group,
    _check_freq,
    _keys,
    _period_of,
    _ratio,
    _require,
    prepare_visits,
)
from ars_analysis.fieldforce.standards import load_standards

#: Mean Earth radius in metres (IUGG), used by :func:`haversine_m`.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (vectorised).

    Examples
    --------
    >>> round(float(haversine_m(0, 0, 1, 0)))  # one degree of latitude
    111195
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(x, dtype="float64")) for x in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _fmt_m(x: float) -> str:
    return f"{x / 1000:g} km" if x >= 1000 else f"{x:g} m"


def band_labels(bands: Iterable[float]) -> list[str]:
    """Names of the distance bands for breakpoints ``bands`` (metres), plus ``"unknown"``.

    Examples
    --------
    >>> band_labels([200, 1000, 5000])
    ['<200 m', '200 m-1 km', '1-5 km', '>5 km', 'unknown']
    """
    b = [float(x) for x in bands]
    names = [f"<{_fmt_m(b[0])}"]
    for lo, hi in zip(b, b[1:], strict=False):
        if lo >= 1000 and hi >= 1000:
            names.append(f"{lo / 1000:g}-{hi / 1000:g} km")
        else:
            names.append(f"{_fmt_m(lo)}-{_fmt_m(hi)}")
    names.append(f">{_fmt_m(b[-1])}")
    return names + [UNKNOWN]


def checkin_distance(
    visits: pd.DataFrame,
    terminals: pd.DataFrame,
    *,
    bands: Iterable[float] | None = None,
    far_m: float | None = None,
) -> pd.DataFrame:
    """Distance between each done visit's check-in position and its terminal, in bands.

    Parameters
    ----------
    visits, terminals : DataFrame
        Contract tables (``visits.latitude/longitude`` = check-in position,
        ``terminals.latitude/longitude`` = terminal position).
    bands : list of float, optional
        Increasing breakpoints in metres (default: ``distance_bands_m`` of the standards,
        200 / 1000 / 5000). A distance equal to a breakpoint falls in the upper band.
    far_m : float, optional
        A check-in at least this far counts as far (default ``far_checkin_m``, 1000 m).

    Returns
    -------
    DataFrame
        One row per done visit: ``visit_id, rep_id, terminal_id, visit_date, distance_m``
        (haversine, NaN when a position or the terminal is unknown), ``distance_band``
        (ordered categorical of :func:`band_labels`) and ``far`` (bool; False when unknown).

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1"], "terminal_id": ["T1", "T1"],
    ...                   "check_in": ["2025-01-02 09:00", "2025-01-02 11:00"],
    ...                   "latitude": [30.0, 30.01], "longitude": [120.0, 120.0]})
    >>> t = pd.DataFrame({"terminal_id": ["T1"], "latitude": [30.0], "longitude": [120.0]})
    >>> checkin_distance(v, t)[["distance_m", "distance_band"]].round(0).values.tolist()
    [[0.0, '<200 m'], [1112.0, '1-5 km']]
    """
    std = load_standards() if bands is None or far_m is None else None
    bands = [float(b) for b in (bands if bands is not None else std["distance_bands_m"])]
    if (
        not bands
        or any(b2 <= b1 for b1, b2 in zip(bands, bands[1:], strict=False))
        or bands[0] <= 0
    ):
        raise ValueError(f"bands must be an increasing list of positive metres, got {bands!r}")
    far_m = float(far_m if far_m is not None else std["far_checkin_m"])
    _require(terminals, "terminals", ["terminal_id", "latitude", "longitude"])
    v = prepare_visits(visits)
    v = v[v["done"]]
    t = terminals[["terminal_id", "latitude", "longitude"]].drop_duplicates("terminal_id")
    t = t.rename(columns={"latitude": "t_lat", "longitude": "t_lon"})
    m = v.merge(t, on="terminal_id", how="left")
    dist = haversine_m(m["latitude"], m["longitude"], m["t_lat"], m["t_lon"])
    names = band_labels(bands)
    idx = np.searchsorted(np.asarray(bands), dist, side="right")
    idx = np.where(np.isnan(dist), len(names) - 1, idx)
    out = m[["visit_id", "rep_id", "terminal_id", "visit_date"]].copy()
    out["distance_m"] = dist
    out["distance_band"] = pd.Categorical.from_codes(idx, categories=names, ordered=True)
    out["far"] = np.nan_to_num(dist, nan=-1.0) >= far_m
    return out.reset_index(drop=True)


def distance_summary(
    distances: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
    freq: str | None = None,
) -> pd.DataFrame:
    """Check-in distance bands per group: counts, shares and the far check-in share.

    Parameters
    ----------
    distances : DataFrame
        Output of :func:`checkin_distance`.
    reps : DataFrame, optional
        Needed for ``level="team"`` / ``"region"``.
    level, freq
        See the module docstring.

    Returns
    -------
    DataFrame
        Tidy: one row per group (and period) and band with ``distance_band``, ``visits``,
        ``share`` (of the group's done visits, unknown included), plus ``far_checkin_share``
        (far visits / visits with a known distance; NaN when none is known) and
        ``unknown_share`` repeated on each row of the group.

    Examples
    --------
    >>> d = pd.DataFrame({"rep_id": ["R1", "R1"], "visit_date": pd.to_datetime(["2025-01-02"] * 2),
    ...                   "distance_m": [50.0, 2000.0], "far": [False, True],
    ...                   "distance_band": pd.Categorical(["<200 m", "1-5 km"],
    ...                       categories=band_labels([200, 1000, 5000]), ordered=True)})
    >>> s = distance_summary(d)
    >>> s[["distance_band", "visits", "share"]].values.tolist()[:2]
    [['<200 m', 1, 0.5], ['200 m-1 km', 0, 0.0]]
    >>> float(s["far_checkin_share"].iloc[0])
    0.5
    """
    _check_freq(freq)
    _require(distances, "distances", ["rep_id", "distance_m", "distance_band", "far"])
    d = _attach_group(distances.copy(), reps, level)
    if freq:
        d["period"] = _period_of(pd.to_datetime(d["visit_date"]), freq)
    keys = _keys(level, freq)
    counts = (
        d.groupby(keys + ["distance_band"], dropna=False, observed=False).size().rename("visits")
    )
    counts = counts.reset_index()
    counts = counts[counts[keys].notna().all(axis=1)] if freq else counts
    totals = (
        d.groupby(keys, dropna=False)
        .agg(
            total=("distance_m", "size"),
            known=("distance_m", "count"),
            far_n=("far", "sum"),
        )
        .reset_index()
    )
    out = counts.merge(totals, on=keys, how="inner")
    out["share"] = _ratio(out["visits"], out["total"])
    out["far_checkin_share"] = _ratio(out["far_n"], out["known"])
    out["unknown_share"] = _ratio(out["total"] - out["known"], out["total"])
    out["visits"] = out["visits"].astype("int64")
    return out[keys + ["distance_band", "visits", "share", "far_checkin_share", "unknown_share"]]
