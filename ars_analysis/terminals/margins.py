"""Terminal and retailer margins, and the margin quadrants of a scope."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.terminals.coverage import _require

__all__ = ["terminal_margins", "QUADRANTS", "retailer_margins", "scope_margins"]

#: Quadrant codes of :func:`terminal_margins` (labels in ``labels/terminals.yml``).
QUADRANTS = ("consolidate", "improve_margin", "grow", "review")

# ---------------------------------------------------------------- margins


def terminal_margins(
    terminal_sales: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    measure: str = "revenue",
    volume_threshold: float | None = None,
    margin_threshold: float | None = None,
) -> pd.DataFrame:
    """Gross margin and margin rate per terminal, with a volume x margin-rate quadrant (巩固).

    Quadrants (split at the medians unless thresholds are given; a terminal exactly on a
    threshold counts as high):

    * ``consolidate``: high volume, high margin rate (巩固: protect and deepen);
    * ``improve_margin``: high volume, low margin rate (fix price/mix/promotion cost);
    * ``grow``: low volume, high margin rate (develop);
    * ``review``: low volume, low margin rate.

    Returns
    -------
    DataFrame
        ``terminal_id`` (+ ``terminals`` attributes when given), ``revenue``, ``cost``,
        ``gross_margin``, ``margin_rate`` (gross margin / revenue; NaN when revenue <= 0),
        ``measure``, ``quadrant``; sorted by ``gross_margin`` descending.

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": list("abcd"), "revenue": [100.0, 100, 10, 10],
    ...                   "cost": [60.0, 90, 5, 9]})
    >>> s["gross_margin"] = s["revenue"] - s["cost"]
    >>> terminal_margins(s)[["terminal_id", "margin_rate", "quadrant"]].values.tolist()
    [['a', 0.4, 'consolidate'], ['b', 0.1, 'improve_margin'], ['c', 0.5, 'grow'], ['d', 0.1, 'review']]
    """
    _require(terminal_sales, ["terminal_id", "revenue"], "terminal_sales")
    df = terminal_sales.copy()
    if "gross_margin" not in df:
        _require(df, ["cost"], "terminal_sales")
        df["gross_margin"] = df["revenue"] - df["cost"]
    if df["gross_margin"].isna().all():
        raise ValueError(
            "terminal_sales: gross_margin is empty (the sales table has no cost column); "
            "terminal margins need sales.cost"
        )
    _require(df, [measure], "terminal_sales")
    keep = ["terminal_id", "revenue", "gross_margin"] + (["cost"] if "cost" in df else [])
    if measure not in keep:
        keep.append(measure)
    out = df[keep].copy()
    rev = out["revenue"].astype(float)
    out["margin_rate"] = np.where(rev > 0, out["gross_margin"] / rev.where(rev > 0), np.nan)
    out["volume"] = out[measure].astype(float)
    vt = float(out["volume"].median()) if volume_threshold is None else float(volume_threshold)
    mr = out["margin_rate"]
    mt = float(mr.median()) if margin_threshold is None else float(margin_threshold)
    hv = out["volume"] >= vt
    hm = mr >= mt
    out["quadrant"] = np.select(
        [hv & hm, hv & ~hm, ~hv & hm], ["consolidate", "improve_margin", "grow"], "review"
    )
    out.loc[mr.isna(), "quadrant"] = "review"
    out.attrs["volume_threshold"] = vt
    out.attrs["margin_threshold"] = mt
    if terminals is not None:
        attrs = [
            c
            for c in ("terminal_name", "region", "terminal_type", "customer_id", "rep_id")
            if c in terminals
        ]
        out = out.merge(terminals[["terminal_id", *attrs]], on="terminal_id", how="left")
        out = out[
            ["terminal_id", *attrs, *[c for c in out.columns if c not in ("terminal_id", *attrs)]]
        ]
        out.attrs["volume_threshold"] = vt
        out.attrs["margin_threshold"] = mt
    out = out.sort_values(
        ["gross_margin", "terminal_id"], ascending=[False, True], kind="mergesort"
    )
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- retailer margin


def retailer_margins(sales: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame | None:
    """The retailer's gross margin on our products per terminal (巩固: the terminal's margin).

    ``retail value = retail_price x quantity`` (the shelf price from the products table) and
    ``retailer margin = retail value - revenue`` (what the terminal paid for the goods), on
    the sales lines whose product has a retail price.

    Returns
    -------
    DataFrame or None
        None when no product has a retail price (then only our own margin can be shown);
        otherwise one row per terminal: ``terminal_id``, ``retail_value``, ``purchase_value``
        (revenue of the priced lines), ``retailer_margin``, ``retailer_margin_rate``
        (margin / retail value) and ``priced_share`` (share of the terminal's revenue on lines
        with a retail price).

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": ["t", "t"], "product_id": ["p", "q"],
    ...                   "quantity": [10.0, 1.0], "revenue": [80.0, 5.0]})
    >>> p = pd.DataFrame({"product_id": ["p", "q"], "retail_price": [10.0, None]})
    >>> retailer_margins(s, p)[["retailer_margin", "retailer_margin_rate"]].values.tolist()
    [[20.0, 0.2]]
    """
    if products is None or "retail_price" not in products:
        return None
    price = products.drop_duplicates("product_id").set_index("product_id")["retail_price"]
    price = pd.to_numeric(price, errors="coerce")
    price = price.where(price > 0)  # 0 or negative: unknown
    if price.notna().sum() == 0:
        return None
    lines = sales.dropna(subset=["terminal_id"])
    rp = lines["product_id"].map(price)
    priced = rp.notna()
    df = pd.DataFrame(
        {
            "terminal_id": lines["terminal_id"],
            "retail_value": (rp * lines["quantity"]).where(priced, 0.0),
            "purchase_value": lines["revenue"].where(priced, 0.0),
            "revenue": lines["revenue"],
        }
    )
    g = df.groupby("terminal_id", sort=True)[["retail_value", "purchase_value", "revenue"]].sum()
    g["retailer_margin"] = g["retail_value"] - g["purchase_value"]
    rv = g["retail_value"]
    g["retailer_margin_rate"] = np.where(rv > 0, g["retailer_margin"] / rv.where(rv > 0), np.nan)
    rev = g["revenue"]
    g["priced_share"] = np.where(rev > 0, g["purchase_value"] / rev.where(rev > 0), np.nan)
    return g.drop(columns="revenue").reset_index()


def scope_margins(
    terminals: pd.DataFrame, lines: pd.DataFrame, products: pd.DataFrame | None
) -> tuple[pd.DataFrame, str]:
    """Margin per terminal for the consolidation (巩固) view, and which margin it is.

    ``"retailer"``: the terminal's own gross margin on our products (retail value minus what
    it paid, :func:`retailer_margins`) when the products carry a retail price; ``"ours"``: our
    gross margin on the terminal's purchases (revenue minus cost) otherwise; ``"none"`` when
    neither can be computed.

    Returns
    -------
    (DataFrame, str)
        ``terminal_id``, ``terminal_name``, ``region``, ``terminal_type``, ``is_top``,
        ``revenue`` (our sales to the terminal), ``margin``, ``margin_rate``, ``quadrant``
        (:func:`terminal_margins`, volume = revenue), and the basis.
    """
    base = terminals.loc[terminals["revenue"] > 0, ["terminal_id", "revenue", "gross_margin"]]
    rm = retailer_margins(lines, products)
    if rm is not None:
        m = base.merge(rm, on="terminal_id", how="inner")
        m = m[m["retail_value"] > 0]
        frame = pd.DataFrame(
            {
                "terminal_id": m["terminal_id"],
                "revenue": m["retail_value"],
                "gross_margin": m["retailer_margin"],
                "sales": m["revenue"],
            }
        )
        basis = "retailer"
    elif base["gross_margin"].notna().any():
        frame = base.assign(sales=base["revenue"]).dropna(subset=["gross_margin"])
        basis = "ours"
    else:
        return pd.DataFrame(), "none"
    if frame.empty:
        return pd.DataFrame(), "none"
    tm = terminal_margins(frame, None, measure="sales")
    out = pd.DataFrame(
        {
            "terminal_id": tm["terminal_id"],
            "revenue": tm["sales"],
            "margin": tm["gross_margin"],
            "margin_rate": tm["margin_rate"],
            "quadrant": tm["quadrant"],
        }
    )
    attrs = terminals[["terminal_id", "terminal_name", "region", "terminal_type", "is_top"]]
    out = attrs.merge(out, on="terminal_id", how="inner")
    out = out.sort_values(["margin", "terminal_id"], ascending=[False, True], kind="mergesort")
    out = out.reset_index(drop=True)
    out.attrs.update(tm.attrs)
    return out, basis
