"""Synthetic datasets in the contract's format (``ars generate``).

The generator builds a whole client dataset -- distributors, terminals, products, field force,
sales lines, visits, targets and receivables -- with the shapes real deep-distribution data has:

* 8 regions with Chinese names, territories (责任地区) and real city names with coordinates;
* distributors whose sizes are heavy-tailed (a few large ones per region), with uneven growth
  (some grow, some decline) and seasonality (Chinese New Year peak, summer dip);
* terminals whose volume follows the 2:8 rule: in every region the top 20% of terminals carry
  roughly 70-85% of terminal volume, with a different concentration per region; terminal types
  of different sizes; 15-30% of terminals not linked to a distributor (mostly small ones, but
  including some high-volume ones: the "build-out list"), which buy sporadically from any
  distributor of their region;
* sell-in lines (empty ``terminal_id``), returns (negative quantity and revenue), margins that
  vary by product category and terminal type;
* a field force (business managers, salespeople, promoters) with different productivity and
  visit discipline; reps with better discipline reach their targets more often;
* visits planned weekly for a rep's top terminals and monthly for the others, some not done,
  some unplanned, with realistic times in store, travel gaps and GPS positions (a few far from
  the terminal: drift or fake check-ins).

Everything is vectorised with numpy and fully determined by ``seed``.

:func:`generate_sales_lines` / :func:`iter_sales_lines` produce large sales tables (tens of
millions of lines) for benchmarks. :data:`QUALITY_ISSUES` lists the data problems
:func:`generate_dataset` can inject for tests and demos.

Examples
--------
>>> from ars_analysis.synth import generate_dataset
>>> tables = generate_dataset(seed=1, n_customers=20, n_terminals=200, n_reps=16, months=3)
>>> sorted(tables)
['customers', 'products', 'receivables', 'reps', 'sales', 'targets', 'terminals', 'visits']
>>> tables["customers"]["region"].nunique()
8
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ars_analysis.contract import ACTIVITIES, TABLES, TERMINAL_TYPES
from ars_analysis.outputs import atomic_path

# --------------------------------------------------------------------------------------------
# Reference data: regions, territories (provinces) and cities with approximate centres.
# --------------------------------------------------------------------------------------------

#: region -> territory -> list of (city, latitude, longitude, relative size)
GEOGRAPHY: dict[str, dict[str, list[tuple[str, float, float, float]]]] = {
    "华东": {
        "浙江": [
            ("杭州", 30.274, 120.155, 3),
            ("宁波", 29.868, 121.544, 2),
            ("温州", 27.994, 120.699, 1.5),
        ],
        "江苏": [
            ("南京", 32.060, 118.797, 3),
            ("苏州", 31.299, 120.585, 2.5),
            ("无锡", 31.574, 120.302, 1.5),
        ],
        "上海": [("上海", 31.230, 121.474, 4)],
    },
    "华南": {
        "广东": [
            ("广州", 23.129, 113.264, 3.5),
            ("深圳", 22.543, 114.058, 3),
            ("佛山", 23.022, 113.122, 1.5),
            ("东莞", 23.021, 113.752, 1.5),
        ],
        "广西": [("南宁", 22.817, 108.367, 1.5), ("柳州", 24.326, 109.428, 1)],
        "福建": [("福州", 26.075, 119.296, 1.5), ("厦门", 24.480, 118.089, 1.5)],
    },
    "华北": {
        "北京": [("北京", 39.904, 116.407, 4)],
        "天津": [("天津", 39.125, 117.190, 2.5)],
        "河北": [
            ("石家庄", 38.042, 114.515, 1.5),
            ("保定", 38.874, 115.464, 1),
            ("唐山", 39.630, 118.180, 1),
        ],
    },
    "华中": {
        "湖北": [("武汉", 30.593, 114.305, 3), ("宜昌", 30.692, 111.286, 1)],
        "湖南": [("长沙", 28.228, 112.939, 2.5), ("株洲", 27.827, 113.133, 1)],
        "河南": [("郑州", 34.747, 113.625, 2.5), ("洛阳", 34.618, 112.454, 1)],
    },
    "西南": {
        "四川": [("成都", 30.573, 104.066, 3.5), ("绵阳", 31.467, 104.679, 1)],
        "重庆": [("重庆", 29.563, 106.551, 3)],
        "云贵": [("昆明", 25.038, 102.718, 1.5), ("贵阳", 26.647, 106.630, 1.2)],
    },
    "西北": {
        "陕西": [("西安", 34.341, 108.940, 3), ("宝鸡", 34.362, 107.238, 0.8)],
        "甘宁": [("兰州", 36.061, 103.834, 1.2), ("银川", 38.487, 106.231, 0.8)],
        "新疆": [("乌鲁木齐", 43.825, 87.617, 1)],
    },
    "东北": {
        "辽宁": [("沈阳", 41.806, 123.432, 2), ("大连", 38.914, 121.615, 1.8)],
        "吉林": [("长春", 43.817, 125.324, 1.5)],
        "黑龙江": [("哈尔滨", 45.803, 126.535, 1.8)],
    },
    "山东": {
        "鲁中": [("济南", 36.651, 117.120, 2.5), ("潍坊", 36.707, 119.162, 1.2)],
        "胶东": [("青岛", 36.067, 120.383, 2.5), ("烟台", 37.464, 121.448, 1.2)],
    },
}

#: Relative market size of each region (drives the number of distributors, terminals, reps).
REGION_WEIGHTS = {
    "华东": 1.6,
    "华南": 1.4,
    "华北": 1.2,
    "华中": 1.0,
    "西南": 1.0,
    "西北": 0.6,
    "东北": 0.7,
    "山东": 0.9,
}

_TRADE_WORDS = [
    "新华",
    "恒通",
    "福源",
    "金穗",
    "鑫达",
    "汇丰",
    "永盛",
    "华联",
    "顺发",
    "利民",
    "宏远",
    "佳和",
    "联众",
    "万家",
    "瑞祥",
    "嘉禾",
    "盛世",
    "天和",
    "兴隆",
    "通达",
    "德昌",
    "百川",
    "润丰",
    "荣泰",
]
_COMPANY_SUFFIX = [
    "商贸有限公司",
    "贸易有限公司",
    "食品有限公司",
    "供应链管理有限公司",
    "副食品批发部",
    "商行",
]
_STREETS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "文化路",
    "胜利路",
    "长江路",
    "黄河路",
    "朝阳路",
    "光明路",
    "青年路",
    "东风路",
    "南京路",
    "北京路",
    "幸福路",
    "学府路",
    "工业路",
    "滨江路",
]
#: terminal type -> (chain / shop-name patterns, share of terminals, log size multiplier)
_TERMINAL_KINDS = {
    "hypermarket": (["大润发", "沃尔玛", "家乐福", "物美", "永辉超市"], 0.07, np.log(8.0)),
    "supermarket": (["华润万家", "联华超市", "世纪联华", "步步高", "{w}超市"], 0.23, np.log(3.0)),
    "convenience": (["美宜佳", "便利蜂", "罗森", "全家", "{w}便利店"], 0.40, np.log(0.6)),
    "specialty": (["{w}粮油店", "{w}调味品商行", "{w}副食店"], 0.17, np.log(1.0)),
    "wholesale": (["{w}批发部", "{w}农贸市场"], 0.13, np.log(4.0)),
}
#: terminal type -> (mean discount off list price, margin adjustment)
_TYPE_PRICING = {
    "hypermarket": (0.86, -0.03),
    "supermarket": (0.90, 0.0),
    "convenience": (0.96, 0.03),
    "specialty": (0.94, 0.02),
    "wholesale": (0.82, -0.05),
}
#: category -> (products as (name, size), price range, cost rate of list price)
_CATEGORIES = {
    "酱油": (
        [
            ("特级生抽", "500ml"),
            ("金标生抽", "1.9L"),
            ("红烧老抽", "500ml"),
            ("味极鲜", "760ml"),
            ("头道酱油", "1L"),
            ("薄盐生抽", "500ml"),
            ("草菇老抽", "1.9L"),
            ("儿童酱油", "250ml"),
            ("老字号酱油", "1.8L"),
        ],
        (8.0, 36.0),
        0.58,
    ),
    "醋": (
        [
            ("山西陈醋", "500ml"),
            ("镇江香醋", "500ml"),
            ("米醋", "800ml"),
            ("苹果醋", "1L"),
            ("老陈醋", "2.5L"),
            ("白醋", "500ml"),
            ("糯米香醋", "420ml"),
        ],
        (6.0, 28.0),
        0.52,
    ),
    "料酒": (
        [
            ("黄酒料酒", "500ml"),
            ("葱姜料酒", "1.75L"),
            ("精制料酒", "800ml"),
            ("去腥料酒", "500ml"),
            ("花雕料酒", "500ml"),
        ],
        (5.0, 18.0),
        0.50,
    ),
    "调味酱": (
        [
            ("郫县豆瓣酱", "500g"),
            ("黄豆酱", "800g"),
            ("蚝油", "520g"),
            ("辣椒酱", "210g"),
            ("甜面酱", "300g"),
            ("火锅底料", "400g"),
            ("番茄沙司", "320g"),
            ("芝麻酱", "200g"),
        ],
        (6.0, 32.0),
        0.62,
    ),
    "鸡精味精": (
        [("鸡精", "200g"), ("鸡精", "1kg"), ("味精", "400g"), ("鸡粉", "500g"), ("浓汤宝", "128g")],
        (6.0, 45.0),
        0.70,
    ),
    "食用油": (
        [
            ("花生油", "5L"),
            ("菜籽油", "5L"),
            ("调和油", "1.8L"),
            ("芝麻香油", "400ml"),
            ("玉米油", "5L"),
            ("橄榄调和油", "5L"),
        ],
        (25.0, 160.0),
        0.78,
    ),
}
_BRAND = "禾香"
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌宇浩凯鹏亮飞欣雪婷")

#: Data-quality problems :func:`generate_dataset` can inject (name -> what it does).
QUALITY_ISSUES = {
    "bad_dates": "sales.date: ~1% of lines get unparsable or impossible dates ('2024-13-45', 'n/a', '31/02/2025'); "
    "the column becomes text",
    "bad_numbers": "sales.quantity and sales.revenue: ~1% of lines get non-numbers ('12箱', 'abc', '1,2,3'); the "
    "columns become text",
    "duplicate_keys": "customers, terminals and products: a few rows repeated with the same id and a different name",
    "unknown_products": "sales.product_id: ~0.5% of lines name products not in the products table",
    "unknown_customers": "sales.customer_id: ~0.5% of lines name distributors not in the customers table",
    "unknown_terminals": "sales.terminal_id: ~0.5% of lines name terminals not in the terminals table",
    "negative_revenue": "sales: ~0.5% of lines with negative revenue but positive quantity (sign mismatch, not a return)",
    "checkout_before_checkin": "visits: ~1% of done visits have check_out before check_in",
    "overlapping_visits": "visits: ~1% of done visits moved to start inside the rep's previous visit",
    "unknown_reps": "sales.rep_id and visits.rep_id: ~0.5% of rows name reps not in the reps table",
    "out_of_period": "sales.date: ~0.3% of lines dated years before or after the data period",
    "missing_values": "sales.customer_id empty on ~0.3% of lines; a few customers without a name",
}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _ids(prefix: str, n: int, width: int | None = None) -> np.ndarray:
    width = width or max(3, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _split_counts(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    k = len(weights)
    if total < minimum * k:
        raise ValueError(f"cannot split {total} items over {k} groups with at least {minimum} each")
    rest = total - minimum * k
    raw = rest * weights / weights.sum()
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: rest - counts.sum()]] += 1
    return counts + minimum


def _top_share(values: np.ndarray, top: float = 0.2) -> float:
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    if v.sum() <= 0:
        return float("nan")
    k = max(1, int(np.ceil(top * len(v))))
    return float(v[:k].sum() / v.sum())


def _calibrate_logs(logs: np.ndarray, target: float) -> np.ndarray:
    """Scale log-sizes around their mean so the top-20% share of exp(logs) equals ``target``."""
    mean = logs.mean()
    lo, hi = 0.05, 5.0
    for _ in range(50):
        k = (lo + hi) / 2
        if _top_share(np.exp(mean + k * (logs - mean))) < target:
            lo = k
        else:
            hi = k
    return mean + (lo + hi) / 2 * (logs - mean)


def _unique_names(names: np.ndarray) -> np.ndarray:
    """Make names unique: "...路店)" becomes "...路二店)", other names get "(2)", "(3)" ..."""
    s = pd.Series(names, dtype=object)
    n = s.groupby(s).cumcount().to_numpy()
    out = s.to_numpy().copy()
    numerals = "一二三四五六七八九十"
    for i in np.flatnonzero(n > 0):
        k = n[i] + 1
        name = out[i]
        if name.endswith("店)") and k <= 10:
            out[i] = f"{name[:-2]}{numerals[k - 1]}店)"
        else:
            out[i] = f"{name}({k})"
    return out


def _season(months: pd.DatetimeIndex) -> np.ndarray:
    """Monthly seasonality: a peak before Chinese New Year, a summer dip, a Q4 build-up."""
    # month of Chinese New Year (the pre-festival peak falls in that month and the one before)
    cny = {
        2020: 1,
        2021: 2,
        2022: 2,
        2023: 1,
        2024: 2,
        2025: 1,
        2026: 2,
        2027: 2,
        2028: 1,
        2029: 2,
        2030: 2,
    }
    base = np.array([1.0, 1.0, 0.92, 0.95, 1.0, 0.98, 0.86, 0.84, 1.02, 1.05, 1.04, 1.12])
    f = base[months.month - 1].copy()
    for i, m in enumerate(months):
        c = cny.get(m.year, 2)
        if m.month == c:
            f[i] *= 1.25
        elif m.month == c - 1 or (c == 1 and m.month == 12):
            f[i] *= 1.15
        elif m.month == c + 1:
            f[i] *= 0.82
    # December before a January New Year is already handled by the Q4 base value.
    return f


def _working_days(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.bdate_range(start, end)


# --------------------------------------------------------------------------------------------
# The dataset generator
# --------------------------------------------------------------------------------------------


def generate_dataset(
    *,
    seed: int = 0,
    n_regions: int = 8,
    n_customers: int = 100,
    n_terminals: int = 2500,
    n_products: int = 40,
    n_reps: int = 60,
    start: str = "2024-01-01",
    months: int = 24,
    visit_months: int = 3,
    quality_issues: list[str] | tuple[str, ...] | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a complete synthetic client dataset in the contract's tables.

    Parameters
    ----------
    seed : int
        Random seed; the same arguments give identical tables.
    n_regions : int
        Number of regions (1-8), taken in order from :data:`GEOGRAPHY`.
    n_customers, n_terminals, n_products, n_reps : int
        Number of distributors, terminals, products (at most 40) and reps (at least 2 per
        region: one business manager and one salesperson).
    start : str
        First month of the sales period (ISO date; the period starts on the 1st of that month).
    months : int
        Number of months of sales lines and targets.
    visit_months : int
        Visits are generated for the last ``visit_months`` months of the period (a visit log is
        large; clients usually export a recent window).
    quality_issues : list of str, optional
        Problems to inject, names from :data:`QUALITY_ISSUES`. ``None`` = clean data.

    Returns
    -------
    dict of str to DataFrame
        ``customers``, ``terminals``, ``products``, ``reps``, ``sales``, ``visits``, ``targets``,
        ``receivables`` with the contract's canonical columns (dates as ``datetime64``, ids as
        strings, empty = missing).

    Examples
    --------
    >>> t = generate_dataset(seed=3, n_customers=16, n_terminals=160, n_reps=16, months=2)
    >>> set(t["sales"]["customer_id"]) <= set(t["customers"]["customer_id"])
    True
    >>> bool(t["terminals"]["customer_id"].isna().mean() > 0.1)
    True
    """
    issues = list(quality_issues or [])
    unknown = sorted(set(issues) - set(QUALITY_ISSUES))
    if unknown:
        raise ValueError(
            f"unknown quality issue(s) {unknown}; expected names from {sorted(QUALITY_ISSUES)}"
        )
    if not 1 <= n_regions <= len(GEOGRAPHY):
        raise ValueError(f"n_regions must be between 1 and {len(GEOGRAPHY)}, got {n_regions}")
    n_prod_max = sum(len(v[0]) for v in _CATEGORIES.values())
    if not 1 <= n_products <= n_prod_max:
        raise ValueError(f"n_products must be between 1 and {n_prod_max}, got {n_products}")
    if n_reps < 2 * n_regions:
        raise ValueError(f"n_reps must be at least 2 per region ({2 * n_regions}), got {n_reps}")
    if n_customers < n_regions or n_terminals < 5 * n_regions:
        raise ValueError(
            f"need at least one customer and five terminals per region (n_regions={n_regions}), got "
            f"n_customers={n_customers}, n_terminals={n_terminals}"
        )
    if months < 1 or not 1 <= visit_months:
        raise ValueError(f"months and visit_months must be >= 1, got {months}, {visit_months}")

    rng = np.random.default_rng(seed)
    regions = list(GEOGRAPHY)[:n_regions]
    period_start = pd.Timestamp(start).to_period("M").to_timestamp()
    month_starts = pd.date_range(period_start, periods=months, freq="MS")
    period_end = month_starts[-1] + pd.offsets.MonthEnd(0)

    products = _make_products(rng, n_products)
    customers, cust_weight, cust_growth = _make_customers(rng, regions, n_customers, period_start)
    reps, rep_effect, rep_discipline = _make_reps(rng, regions, n_reps, period_start)
    terminals, potential = _make_terminals(rng, regions, n_terminals, customers, cust_weight, reps)
    sales, expected = _make_sales(
        rng,
        month_starts,
        customers,
        cust_weight,
        cust_growth,
        terminals,
        potential,
        products,
        reps,
        rep_effect,
    )
    targets = _make_targets(rng, month_starts, expected, reps)
    visits = _make_visits(
        rng,
        month_starts[-min(visit_months, months) :],
        period_end,
        terminals,
        potential,
        customers,
        reps,
        rep_discipline,
    )
    receivables = _make_receivables(rng, month_starts, sales, customers)

    tables = {
        "customers": customers,
        "terminals": terminals,
        "products": products,
        "reps": reps,
        "sales": sales,
        "visits": visits,
        "targets": targets,
        "receivables": receivables,
    }
    if issues:
        tables = _inject(tables, issues, np.random.default_rng([seed, 7919]))
    return {
        name: df[TABLES[name].column_names].reset_index(drop=True) for name, df in tables.items()
    }


def _make_products(rng: np.random.Generator, n: int) -> pd.DataFrame:
    rows = []
    # round-robin over categories so any n gets a mix of categories
    pools = {c: list(items) for c, (items, _, _) in _CATEGORIES.items()}
    while len(rows) < n:
        for cat, pool in pools.items():
            if pool and len(rows) < n:
                name, size = pool.pop(0)
                lo, hi = _CATEGORIES[cat][1]
                rows.append((cat, f"{_BRAND}{name} {size}", lo, hi))
    cat = np.array([r[0] for r in rows], dtype=object)
    lo = np.array([r[2] for r in rows])
    hi = np.array([r[3] for r in rows])
    price = np.round(lo + (hi - lo) * rng.beta(2, 3, n), 1)
    return pd.DataFrame(
        {
            "product_id": _ids("P", n),
            "product_name": [r[1] for r in rows],
            "category": cat,
            "list_price": price,
            # the synthetic client exports no shelf price (its terminal report shows our own
            # margin); the column is empty and not written (see _NOT_EXPORTED)
            "retail_price": np.nan,
        }
    )


def _make_customers(rng, regions, n, period_start):
    w = np.array([REGION_WEIGHTS.get(r, 1.0) for r in regions])
    counts = _split_counts(n, w, minimum=1)
    rows = []
    for region, k in zip(regions, counts, strict=True):
        terr = list(GEOGRAPHY[region])
        # every territory gets a distributor first when there are enough
        t_idx = np.concatenate(
            [np.arange(min(k, len(terr))), rng.integers(0, len(terr), max(0, k - len(terr)))]
        )
        for ti in t_idx:
            cities = GEOGRAPHY[region][terr[ti]]
            cw = np.array([c[3] for c in cities])
            city = cities[rng.choice(len(cities), p=cw / cw.sum())][0]
            rows.append((region, terr[ti], city))
    region = np.array([r[0] for r in rows], dtype=object)
    names = np.array(
        [
            f"{city}{rng.choice(_TRADE_WORDS)}{rng.choice(_COMPANY_SUFFIX, p=[0.35, 0.2, 0.15, 0.1, 0.1, 0.1])}"
            for _, _, city in rows
        ],
        dtype=object,
    )
    # distributor size: Pareto-like, a few large ones per region
    weight = rng.pareto(1.3, n) + 0.15
    growth = rng.normal(0.06, 0.18, n)  # annual growth; some decline
    growth[rng.random(n) < 0.15] -= 0.25  # a group losing ground
    days_before = rng.gamma(2.0, 900, n).astype(int) + 30
    start_date = period_start - pd.to_timedelta(days_before, unit="D")
    df = pd.DataFrame(
        {
            "customer_id": _ids("C", n, 4),
            "customer_name": _unique_names(names),
            "region": region,
            "territory": [r[1] for r in rows],
            "city": [r[2] for r in rows],
            "start_date": start_date,
        }
    )
    return df, weight, growth


def _make_reps(rng, regions, n, period_start):
    w = np.array([REGION_WEIGHTS.get(r, 1.0) for r in regions])
    counts = _split_counts(n, w, minimum=2)
    region, role, manager = [], [], []
    rep_no = 0
    for r, k in zip(regions, counts, strict=True):
        bm = rep_no
        n_promoters = max(0, int(round((k - 1) * 0.22))) if k >= 4 else 0
        roles = (
            ["business_manager"]
            + ["salesperson"] * (k - 1 - n_promoters)
            + ["promoter"] * n_promoters
        )
        for i, ro in enumerate(roles):
            region.append(r)
            role.append(ro)
            manager.append(None if i == 0 else bm)
            rep_no += 1
    ids = _ids("R", n)
    names = np.array(
        [rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN, rng.integers(1, 3))) for _ in range(n)],
        dtype=object,
    )
    role = np.array(role, dtype=object)
    tenure = (
        np.where(role == "business_manager", rng.gamma(3, 700, n), rng.gamma(1.5, 500, n)).astype(
            int
        )
        + 20
    )
    hire = period_start - pd.to_timedelta(tenure, unit="D")
    discipline = np.clip(rng.beta(5, 2, n), 0.3, 0.99)  # share of planned visits done, etc.
    productivity = rng.lognormal(0, 0.12, n)
    effect = productivity * (0.7 + 0.6 * discipline)
    df = pd.DataFrame(
        {
            "rep_id": ids,
            "rep_name": _unique_names(names),
            "region": np.array(region, dtype=object),
            "role": role,
            "manager_id": np.array([None if m is None else ids[m] for m in manager], dtype=object),
            "hire_date": hire,
        }
    )
    return df, effect, discipline


def _make_terminals(rng, regions, n, customers, cust_weight, reps):
    w = np.array([REGION_WEIGHTS.get(r, 1.0) for r in regions])
    counts = _split_counts(n, w, minimum=5)
    types = list(_TERMINAL_KINDS)
    type_p = np.array([_TERMINAL_KINDS[t][1] for t in types])
    # each region gets its own concentration (top-20% share of potential), spread over the band
    targets = rng.permutation(np.linspace(0.73, 0.82, len(regions)))
    cols = {
        k: []
        for k in (
            "region",
            "territory",
            "city",
            "type",
            "lat",
            "lon",
            "customer",
            "rep",
            "logp",
            "name",
        )
    }
    cust_region = customers["region"].to_numpy()
    cust_terr = customers["territory"].to_numpy()
    rep_region = reps["region"].to_numpy()
    rep_role = reps["role"].to_numpy()
    for r_i, (region, k) in enumerate(zip(regions, counts, strict=True)):
        terr_names = list(GEOGRAPHY[region])
        cities = [(t, *c) for t in terr_names for c in GEOGRAPHY[region][t]]
        cw = np.array([c[4] for c in cities])
        ci = rng.choice(len(cities), k, p=cw / cw.sum())
        ttype = rng.choice(len(types), k, p=type_p / type_p.sum())
        logs = np.array([_TERMINAL_KINDS[types[t]][2] for t in ttype]) + rng.standard_normal(k)
        # a heavier upper tail in some regions (more very large points of sale)
        logs += np.where(
            rng.random(k) < 0.1, rng.exponential(0.6 + 0.4 * r_i / max(1, len(regions) - 1), k), 0
        )
        logs = _calibrate_logs(logs, targets[r_i])
        terr = np.array([cities[i][0] for i in ci], dtype=object)
        # link to a distributor of the same territory (else of the region), by distributor size
        cust = np.empty(k, dtype=object)
        in_region = np.flatnonzero(cust_region == region)
        for t in np.unique(terr):
            mask = terr == t
            pool = in_region[cust_terr[in_region] == t]
            if len(pool) == 0:
                pool = in_region
            p = cust_weight[pool] / cust_weight[pool].sum()
            cust[mask] = customers["customer_id"].to_numpy()[rng.choice(pool, mask.sum(), p=p)]
        # unlinked terminals: mostly small ones, but also some of the top
        rank = (-logs).argsort().argsort() / k  # 0 = largest
        p_unlinked = np.where(rank < 0.2, 0.12, np.where(rank < 0.5, 0.2, 0.28))
        unlinked = rng.random(k) < p_unlinked
        # make sure every region has a few high-volume unlinked terminals (the build-out list)
        top = np.flatnonzero(rank < 0.1)
        unlinked[rng.choice(top, min(len(top), 2), replace=False)] = True
        cust[unlinked] = None
        # rep: promoters take the biggest hyper/supermarkets, salespeople the rest
        sales_reps = np.flatnonzero((rep_region == region) & (rep_role == "salesperson"))
        promoters = np.flatnonzero((rep_region == region) & (rep_role == "promoter"))
        rep = rng.choice(sales_reps, k)
        if len(promoters):
            big_modern = np.flatnonzero(np.isin(ttype, [0, 1]))
            big_modern = big_modern[np.argsort(-logs[big_modern])][: 6 * len(promoters)]
            rep[big_modern] = promoters[np.arange(len(big_modern)) % len(promoters)]
        cols["region"] += [region] * k
        cols["territory"] += list(terr)
        cols["city"] += [cities[i][1] for i in ci]
        cols["type"] += [types[t] for t in ttype]
        cols["lat"] += list(np.array([cities[i][2] for i in ci]) + rng.normal(0, 0.04, k))
        cols["lon"] += list(np.array([cities[i][3] for i in ci]) + rng.normal(0, 0.05, k))
        cols["customer"] += list(cust)
        cols["rep"] += list(reps["rep_id"].to_numpy()[rep])
        cols["logp"] += list(logs)
        for city_i, t in zip(ci, ttype, strict=True):
            pattern = rng.choice(_TERMINAL_KINDS[types[t]][0])
            word = rng.choice(_TRADE_WORDS)
            shop = pattern.format(w=word)
            city = cities[city_i][1]
            if "{w}" in pattern:
                cols["name"].append(f"{city}{shop}({rng.choice(_STREETS)})")
            else:
                cols["name"].append(f"{shop}({city}{rng.choice(_STREETS)}店)")
    n_tot = len(cols["region"])
    df = pd.DataFrame(
        {
            "terminal_id": _ids("T", n_tot, 5),
            "terminal_name": _unique_names(np.array(cols["name"], dtype=object)),
            "region": np.array(cols["region"], dtype=object),
            "city": np.array(cols["city"], dtype=object),
            "terminal_type": pd.Categorical(cols["type"], categories=list(TERMINAL_TYPES)).astype(
                object
            ),
            "customer_id": np.array(cols["customer"], dtype=object),
            "rep_id": np.array(cols["rep"], dtype=object),
            "latitude": np.round(np.array(cols["lat"]), 5),
            "longitude": np.round(np.array(cols["lon"]), 5),
            "territory": np.array(
                cols["territory"], dtype=object
            ),  # dropped by the caller (not a column)
        }
    )
    # monthly revenue potential (yuan); median terminal ~ 1,500 yuan a month
    potential = 1500.0 * np.exp(np.array(cols["logp"]) - np.median(cols["logp"]))
    return df, potential


def _make_sales(
    rng,
    month_starts,
    customers,
    cust_weight,
    cust_growth,
    terminals,
    potential,
    products,
    reps,
    rep_effect,
):
    n_t = len(terminals)
    n_m = len(month_starts)
    season = _season(month_starts)
    years = np.arange(n_m) / 12.0
    cust_index = pd.Series(np.arange(len(customers)), index=customers["customer_id"])
    rep_index = pd.Series(np.arange(len(reps)), index=reps["rep_id"])
    t_cust = terminals["customer_id"].to_numpy()
    linked = pd.notna(t_cust)
    t_ci = np.where(
        linked, cust_index.reindex(np.where(linked, t_cust, "")).fillna(-1).to_numpy(), -1
    ).astype(int)
    t_ri = rep_index[terminals["rep_id"]].to_numpy()
    t_region = terminals["region"].to_numpy()
    ttype = terminals["terminal_type"].to_numpy()

    # growth: the distributor's for linked terminals, the terminal's own for unlinked ones
    g = np.where(linked, cust_growth[np.maximum(t_ci, 0)], rng.normal(0.02, 0.12, n_t))
    g = g + rng.normal(0, 0.05, n_t)
    # expected monthly revenue per terminal x month
    base = potential * rep_effect[t_ri] * np.where(linked, 1.0, 0.6)
    exp_rev = base[:, None] * season[None, :] * (1 + g[:, None]) ** years[None, :]
    # bigger terminals order every month, small ones every few months
    size_rank = potential.argsort().argsort() / n_t  # 1 = largest
    p_order = np.clip(0.10 + 0.9 * size_rank**3, 0.10, 1.0) * np.where(linked, 1.0, 0.75)
    order = rng.random((n_t, n_m)) < p_order[:, None]
    ti, mi = np.nonzero(order)
    rev = exp_rev[ti, mi] / p_order[ti] * rng.lognormal(-0.02, 0.2, len(ti))

    # the terminal's assortment: 1-6 products, popular products more often
    n_p = len(products)
    pop = 1.0 / np.arange(1, n_p + 1) ** 0.8
    pop = rng.permutation(pop)
    k_t = np.clip(1 + np.floor(3.2 * size_rank**2.5 + rng.random(n_t)), 1, min(6, n_p)).astype(int)
    # choose k_t distinct products per terminal via Gumbel top-k
    keys = np.log(pop)[None, :] + rng.gumbel(size=(n_t, n_p))
    assort = np.argsort(-keys, axis=1)[:, :6]
    shares_raw = rng.dirichlet(np.ones(6), n_t) + 0.05
    # expand orders to lines
    k_line = k_t[ti]
    line_order = np.repeat(np.arange(len(ti)), k_line)
    slot = np.arange(len(line_order)) - np.repeat(np.cumsum(k_line) - k_line, k_line)
    lt = ti[line_order]
    lm = mi[line_order]
    lp = assort[lt, slot]
    share = (
        shares_raw[lt, slot] / np.array([shares_raw[t, :k].sum() for t, k in enumerate(k_t)])[lt]
    )
    line_rev = rev[line_order] * share

    # sell-in lines (empty terminal): distributor's own wholesale business
    n_c = len(customers)
    cw = cust_weight / np.array(
        [cust_weight[customers["region"].to_numpy() == r].sum() for r in customers["region"]]
    )
    region_pot = pd.Series(potential).groupby(t_region).sum()
    c_base = 0.3 * region_pot[customers["region"]].to_numpy() * cw
    c_exp = c_base[:, None] * season[None, :] * (1 + cust_growth[:, None]) ** years[None, :]
    s_order = rng.random((n_c, n_m)) < 0.55
    sc, sm = np.nonzero(s_order)
    s_rev = c_exp[sc, sm] / 0.55 * rng.lognormal(-0.02, 0.25, len(sc))
    s_k = rng.integers(1, 4, len(sc))
    s_line = np.repeat(np.arange(len(sc)), s_k)
    s_p = rng.choice(n_p, len(s_line), p=pop / pop.sum())
    s_rev_line = s_rev[s_line] / s_k[s_line]

    # unlinked terminals buy from a random distributor of their region each time
    cust_ids = customers["customer_id"].to_numpy()
    cust_region = customers["region"].to_numpy()
    line_cust = np.empty(len(lt), dtype=int)
    is_linked = linked[lt]
    line_cust[is_linked] = t_ci[lt[is_linked]]
    for region in np.unique(t_region):
        pool = np.flatnonzero(cust_region == region)
        m = (~is_linked) & (t_region[lt] == region)
        line_cust[m] = rng.choice(pool, m.sum(), p=cust_weight[pool] / cust_weight[pool].sum())

    bm_of_region = reps[reps["role"] == "business_manager"].set_index("region")["rep_id"]
    price = products["list_price"].to_numpy()
    cat = products["category"].to_numpy()
    cost_rate = np.array([_CATEGORIES[c][2] for c in cat])

    disc_t = np.array([_TYPE_PRICING[t][0] for t in ttype])
    marg_t = np.array([_TYPE_PRICING[t][1] for t in ttype])
    all_p = np.concatenate([lp, s_p])
    all_rev = np.concatenate([line_rev, s_rev_line])
    disc = np.concatenate([disc_t[lt], np.full(len(s_p), 0.80)]) * rng.normal(1, 0.02, len(all_p))
    unit = price[all_p] * disc
    qty = np.maximum(1, np.round(all_rev / unit)).astype(np.int64)
    revenue = np.round(qty * unit, 2)
    margin_adj = np.concatenate([marg_t[lt], np.full(len(s_p), -0.06)])
    cost = np.round(
        qty
        * price[all_p]
        * np.clip(cost_rate[all_p] - margin_adj / 2 + rng.normal(0, 0.015, len(all_p)), 0.3, 0.95),
        2,
    )
    # order day within the month: a terminal tends to order on similar days
    day_t = rng.integers(0, 28, n_t)
    day = np.concatenate(
        [
            (day_t[lt] + rng.integers(-3, 4, len(lt))) % 28,
            rng.integers(0, 28, len(s_p)),
        ]
    )
    month_idx = np.concatenate([lm, sm[s_line]])
    dates = month_starts.to_numpy()[month_idx] + day.astype("timedelta64[D]")
    term_col = np.concatenate(
        [terminals["terminal_id"].to_numpy()[lt], np.full(len(s_p), None, dtype=object)]
    )
    cust_col = np.concatenate([cust_ids[line_cust], cust_ids[sc[s_line]]])
    rep_col = np.concatenate(
        [terminals["rep_id"].to_numpy()[lt], bm_of_region[cust_region[sc[s_line]]].to_numpy()]
    )
    # a few returns: negative quantity, revenue and cost (same sign)
    ret = rng.random(len(qty)) < 0.004
    qty = np.where(ret, -np.maximum(1, qty // 4), qty)
    revenue = np.where(ret, np.round(qty * unit, 2), revenue)
    cost = np.where(ret, -np.round(np.abs(qty) * price[all_p] * cost_rate[all_p], 2), cost)
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(dates),
            "customer_id": cust_col,
            "terminal_id": term_col,
            "product_id": products["product_id"].to_numpy()[all_p],
            "quantity": qty,
            "revenue": revenue,
            "cost": cost,
            "rep_id": rep_col,
        }
    )
    # one line per date x distributor x terminal x product
    df = df.drop_duplicates(["date", "customer_id", "terminal_id", "product_id"])
    df = df.sort_values(
        ["date", "customer_id", "terminal_id", "product_id"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    # expected revenue per rep x month at an average execution (what a manager would plan on)
    plan_t = exp_rev / rep_effect[t_ri][:, None] * rep_effect.mean()
    expected = np.zeros((len(reps), n_m))
    np.add.at(expected, t_ri, plan_t)
    bm_idx = rep_index[bm_of_region[cust_region].to_numpy()].to_numpy()
    np.add.at(expected, bm_idx, c_exp)
    return df, expected


def _make_targets(rng, month_starts, expected, reps):
    """Targets around each rep's expected sales at average execution, with noise."""
    periods = month_starts.strftime("%Y-%m")
    n_r, n_m = expected.shape
    target = expected * 1.05 * rng.lognormal(0, 0.08, (n_r, n_m))
    target = np.round(target / 100) * 100
    df = pd.DataFrame(
        {
            "rep_id": np.repeat(reps["rep_id"].to_numpy(), n_m),
            "period": np.tile(np.asarray(periods, dtype=object), n_r),
            "target_revenue": target.ravel(),
            "customer_id": np.full(n_r * n_m, None, dtype=object),
        }
    )
    return df[df["target_revenue"] > 0].reset_index(drop=True)


def _make_visits(rng, months, period_end, terminals, potential, customers, reps, discipline):
    start = months[0]
    days = _working_days(start, period_end)
    rep_ids = reps["rep_id"].to_numpy()
    rep_index = pd.Series(np.arange(len(reps)), index=rep_ids)
    t_rep = rep_index[terminals["rep_id"]].to_numpy()
    n_t = len(terminals)
    # top 20% of each rep's terminals (by potential) are visited weekly, the rest monthly
    rank_in_rep = pd.Series(-potential).groupby(t_rep).rank(pct=True, method="first").to_numpy()
    weekly = rank_in_rep <= 0.2
    weekday = rng.integers(0, 5, n_t)
    # weekly plans
    week_days = days[days.day_of_week == 0]  # Mondays
    wt = np.flatnonzero(weekly)
    w_t = np.repeat(wt, len(week_days))
    w_d = np.tile(week_days.to_numpy(), len(wt)) + weekday[w_t].astype("timedelta64[D]")
    # monthly plans
    mt = np.arange(n_t)[~weekly]
    m_t = np.repeat(mt, len(months))
    m_idx = np.tile(np.arange(len(months)), len(mt))
    m_d = months.to_numpy()[m_idx] + rng.integers(0, 27, len(m_t)).astype("timedelta64[D]")
    plan_t = np.concatenate([w_t, m_t])
    plan_d = pd.DatetimeIndex(np.concatenate([w_d, m_d]))
    # move weekend dates to the next Monday
    plan_d = plan_d + pd.to_timedelta(
        np.where(plan_d.day_of_week >= 5, 7 - plan_d.day_of_week, 0), unit="D"
    )
    keep = (plan_d >= start) & (plan_d <= period_end)
    plan_t, plan_d = plan_t[keep], plan_d[keep]
    plan_rep = t_rep[plan_t]
    # business managers: one planned visit per distributor of their region per month
    bms = reps[reps["role"] == "business_manager"]
    c_region = customers["region"].to_numpy()
    bm_by_region = dict(zip(bms["region"], rep_index[bms["rep_id"]].to_numpy(), strict=True))
    c_bm = np.array([bm_by_region.get(r, -1) for r in c_region])
    cc = np.flatnonzero(c_bm >= 0)
    c_c = np.repeat(cc, len(months))
    c_d = pd.DatetimeIndex(
        np.tile(months.to_numpy(), len(cc)) + rng.integers(0, 25, len(c_c)).astype("timedelta64[D]")
    )
    c_d = c_d + pd.to_timedelta(np.where(c_d.day_of_week >= 5, 7 - c_d.day_of_week, 0), unit="D")
    keep = c_d <= period_end
    c_c, c_d = c_c[keep], c_d[keep]

    n_plan_t, n_plan_c = len(plan_t), len(c_c)
    v_rep = np.concatenate([plan_rep, c_bm[c_c]])
    v_term = np.concatenate([plan_t, np.full(n_plan_c, -1)])
    v_cust = np.concatenate([np.full(n_plan_t, -1), c_c])
    v_plan = np.concatenate([plan_d.to_numpy(), c_d.to_numpy()])
    disc = discipline[v_rep]
    done = rng.random(len(v_rep)) < disc
    # done visits mostly on the planned day; less disciplined reps shift more
    shift = np.where(
        rng.random(len(v_rep)) < 0.25 * (1 - disc) + 0.03, rng.integers(-2, 3, len(v_rep)), 0
    )
    v_day = pd.DatetimeIndex(v_plan + shift.astype("timedelta64[D]"))
    v_day = v_day + pd.to_timedelta(
        np.where(v_day.day_of_week == 5, -1, np.where(v_day.day_of_week == 6, 1, 0)), unit="D"
    )

    # unplanned visits: to the rep's own terminals on random working days
    field = np.flatnonzero(reps["role"].to_numpy() != "business_manager")
    t_by_rep = pd.Series(np.arange(n_t)).groupby(t_rep).apply(np.array)
    n_plan_rep = np.bincount(plan_rep, minlength=len(reps))
    n_un = rng.poisson(n_plan_rep * (0.04 + 0.2 * (1 - discipline)))
    u_rep = np.repeat(np.arange(len(reps)), np.where(np.isin(np.arange(len(reps)), field), n_un, 0))
    u_rep = u_rep[np.isin(u_rep, t_by_rep.index)]
    u_term = (
        np.array([rng.choice(t_by_rep[r]) for r in u_rep], dtype=int)
        if len(u_rep)
        else np.zeros(0, int)
    )
    u_day = days[rng.integers(0, len(days), len(u_rep))]

    rep_all = np.concatenate([v_rep, u_rep])
    term_all = np.concatenate([v_term, u_term])
    cust_all = np.concatenate([v_cust, np.full(len(u_rep), -1)])
    plan_all = np.concatenate(
        [v_plan, np.full(len(u_rep), np.datetime64("NaT"), dtype="datetime64[ns]")]
    )
    day_all = np.concatenate([v_day.to_numpy(), u_day.to_numpy()])
    done_all = np.concatenate([done, np.ones(len(u_rep), bool)])
    n = len(rep_all)

    # sequence the done visits of each rep-day: start 8:30-9:30, 10-60 min in store, travel gaps
    d_disc = discipline[rep_all]
    stay = np.clip(rng.lognormal(np.log(18 + 14 * d_disc), 0.35, n), 10, 60)
    gap = np.clip(rng.lognormal(np.log(22), 0.45, n), 5, 90)
    order_key = rng.random(n)
    frame = pd.DataFrame(
        {"rep": rep_all, "day": day_all, "k": order_key, "stay": stay, "gap": gap, "done": done_all}
    )
    frame = frame[frame["done"]].sort_values(["rep", "day", "k"])
    groups = [frame["rep"], frame["day"]]
    first = ~frame.duplicated(["rep", "day"])
    frame.loc[first, "gap"] = 0.0
    day_start = 510 + rng.integers(0, 60, len(reps))[frame["rep"].to_numpy()]
    # a crowded day is worked faster (shorter stays and gaps) so it ends by 18:30
    needed = (frame["stay"] + frame["gap"]).groupby(groups).transform("sum").to_numpy()
    available = 1110 - 60 - day_start
    squeeze = np.minimum(1.0, available / needed)
    stay = np.maximum(10.0, frame["stay"].to_numpy() * squeeze)
    gap = np.where(first, 0.0, np.maximum(3.0, frame["gap"].to_numpy() * squeeze))
    prev_stay = pd.Series(stay, index=frame.index).groupby(groups).shift(1).fillna(0).to_numpy()
    cum = (
        pd.Series(np.round(prev_stay) + np.round(gap), index=frame.index)
        .groupby(groups)
        .cumsum()
        .to_numpy()
    )
    # lunch break: visits after 3.5 hours start an hour later
    offset = cum + day_start + np.where(cum > 210, 60, 0)
    frame["stay"] = stay
    check_in = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    check_out = check_in.copy()
    idx = frame.index.to_numpy()
    check_in[idx] = frame["day"].to_numpy() + np.round(offset).astype("timedelta64[m]")
    check_out[idx] = check_in[idx] + np.round(stay).astype("timedelta64[m]")

    # activities as ';'-separated codes
    is_cust = cust_all >= 0
    ttype = np.where(
        term_all >= 0, terminals["terminal_type"].to_numpy()[np.maximum(term_all, 0)], "customer"
    )
    probs = {
        "order": np.where(is_cust, 0.8, 0.65),
        "stock_check": np.where(is_cust, 0.5, 0.6),
        "display": np.where(
            is_cust, 0.0, np.where(np.isin(ttype, ["hypermarket", "supermarket"]), 0.6, 0.3)
        ),
        "training": np.where(is_cust, 0.35, 0.06),
        "collection": np.where(is_cust, 0.5, 0.08),
        "promotion": np.where(is_cust, 0.1, 0.2),
    }
    bits = np.zeros(n, dtype=int)
    for b, act in enumerate(ACTIVITIES):
        bits |= (rng.random(n) < probs[act] * (0.8 + 0.3 * d_disc)).astype(int) << b
    bits = np.where(bits == 0, 1 << 1, bits)  # at least a stock check
    lookup = np.array(
        [";".join(a for b, a in enumerate(ACTIVITIES) if m >> b & 1) for m in range(64)],
        dtype=object,
    )
    activities = np.where(done_all, lookup[bits], None)

    # check-in coordinates: near the terminal; sometimes far away (GPS drift / fake check-in)
    lat_t = terminals["latitude"].to_numpy()
    lon_t = terminals["longitude"].to_numpy()
    cust_city = customers["city"].to_numpy()
    city_pos = {c[0]: (c[1], c[2]) for reg in GEOGRAPHY.values() for cs in reg.values() for c in cs}
    base_lat = np.where(
        term_all >= 0,
        lat_t[np.maximum(term_all, 0)],
        [city_pos[cust_city[c]][0] if c >= 0 else 0.0 for c in cust_all],
    )
    base_lon = np.where(
        term_all >= 0,
        lon_t[np.maximum(term_all, 0)],
        [city_pos[cust_city[c]][1] if c >= 0 else 0.0 for c in cust_all],
    )
    far = rng.random(n) < 0.01 + 0.12 * (1 - d_disc) ** 2
    jitter = np.where(far, rng.uniform(0.02, 0.15, n), rng.exponential(0.0004, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    lat = np.where(done_all, np.round(base_lat + jitter * np.sin(angle), 5), np.nan)
    lon = np.where(done_all, np.round(base_lon + jitter * np.cos(angle) * 1.2, 5), np.nan)
    # drop customer-visit placeholders in coordinates when the customer has no known city
    df = pd.DataFrame(
        {
            "rep_id": rep_ids[rep_all],
            "terminal_id": np.where(
                term_all >= 0, terminals["terminal_id"].to_numpy()[np.maximum(term_all, 0)], None
            ),
            "customer_id": np.where(
                cust_all >= 0, customers["customer_id"].to_numpy()[np.maximum(cust_all, 0)], None
            ),
            "planned_date": pd.to_datetime(plan_all),
            "check_in": pd.to_datetime(check_in),
            "check_out": pd.to_datetime(check_out),
            "activities": activities,
            "latitude": lat,
            "longitude": lon,
            "_day": day_all,
        }
    )
    df = df.sort_values(["_day", "rep_id", "check_in"], na_position="last", kind="stable").drop(
        columns="_day"
    )
    df.insert(0, "visit_id", _ids("V", len(df), 6))
    return df.reset_index(drop=True)


def _make_receivables(rng, month_starts, sales, customers):
    """Quarter-end balances: about DSO days of sales outstanding, part of it overdue."""
    n = len(customers)
    dso = rng.lognormal(np.log(40), 0.35, n)
    late = rng.beta(1.2, 6, n)  # share of the balance typically overdue
    monthly = sales.groupby([sales["customer_id"], sales["date"].dt.to_period("M")])[
        "revenue"
    ].sum()
    q_ends = [m + pd.offsets.MonthEnd(0) for m in month_starts if m.month in (3, 6, 9, 12)]
    if not q_ends:
        q_ends = [month_starts[-1] + pd.offsets.MonthEnd(0)]
    rows = []
    cid = customers["customer_id"].to_numpy()
    for qe in q_ends:
        per = qe.to_period("M")
        recent = (
            monthly.xs(per, level=1)
            if per in monthly.index.get_level_values(1)
            else pd.Series(dtype=float)
        )
        rev = recent.reindex(cid, fill_value=0.0).to_numpy().clip(0)
        due = np.round(rev * dso / 30 * rng.lognormal(0, 0.15, n), 2)
        overdue = np.round(due * np.clip(late * rng.lognormal(0, 0.4, n), 0, 1), 2)
        days = np.where(overdue > 0, np.round(10 + 120 * late * rng.lognormal(0, 0.5, n)), 0)
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": cid,
                    "amount_due": due,
                    "amount_overdue": overdue,
                    "days_overdue": days.astype(float),
                    "as_of_date": qe,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Quality issues
# --------------------------------------------------------------------------------------------


def _pick(rng, n, frac, minimum=3):
    k = min(n, max(minimum, int(round(n * frac))))
    return np.sort(rng.choice(n, k, replace=False))


def _inject(tables: dict[str, pd.DataFrame], issues: list[str], rng) -> dict[str, pd.DataFrame]:
    t = {k: v.copy() for k, v in tables.items()}
    sales = t["sales"]
    n = len(sales)
    if "duplicate_keys" in issues:
        for name, col in (
            ("customers", "customer_name"),
            ("terminals", "terminal_name"),
            ("products", "product_name"),
        ):
            df = t[name]
            dup = df.iloc[_pick(rng, len(df), 0.02, 2)].copy()
            dup[col] = dup[col] + "(重复)"
            t[name] = pd.concat([df, dup], ignore_index=True)
    if "unknown_products" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "product_id"] = [f"PX{i:03d}" for i in range(len(rows))]
    if "unknown_customers" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "customer_id"] = [f"CX{i:03d}" for i in range(len(rows))]
    if "unknown_terminals" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "terminal_id"] = [f"TX{i:04d}" for i in range(len(rows))]
    if "unknown_reps" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "rep_id"] = [f"RX{i:03d}" for i in range(len(rows))]
        v = t["visits"]
        rows = _pick(rng, len(v), 0.005)
        v.loc[rows, "rep_id"] = [f"RX{i:03d}" for i in range(len(rows))]
    if "negative_revenue" in issues:
        pos = np.flatnonzero(sales["quantity"].to_numpy() > 0)
        rows = pos[_pick(rng, len(pos), 0.005)]
        sales.loc[rows, "revenue"] = -sales.loc[rows, "revenue"]
    if "missing_values" in issues:
        rows = _pick(rng, n, 0.003)
        sales.loc[rows, "customer_id"] = None
        c = t["customers"]
        c.loc[_pick(rng, len(c), 0.02, 2), "customer_name"] = None
    if "out_of_period" in issues:
        rows = _pick(rng, n, 0.003)
        years = rng.choice([-6, -3, 5, 8], len(rows))
        sales["date"] = sales["date"].astype("datetime64[ns]")
        sales.loc[rows, "date"] = [
            d + pd.DateOffset(years=int(y))
            for d, y in zip(sales.loc[rows, "date"], years, strict=True)
        ]
    if "bad_dates" in issues:
        rows = _pick(rng, n, 0.01)
        text = sales["date"].dt.strftime("%Y-%m-%d").astype(object)
        text.iloc[rows] = rng.choice(
            ["2024-13-45", "n/a", "31/02/2025", "昨天", "2025-02-30"], len(rows)
        )
        sales["date"] = text
    if "bad_numbers" in issues:
        for col, bad in (
            ("quantity", ["12箱", "abc", "1,2,3", "--"]),
            ("revenue", ["约300", "N/A", "1.2.3", "#VALUE!"]),
        ):
            rows = _pick(rng, n, 0.01)
            text = sales[col].astype(str).astype(object)
            text.iloc[rows] = rng.choice(bad, len(rows))
            sales[col] = text
    v = t["visits"]
    done = np.flatnonzero(v["check_in"].notna().to_numpy())
    if "checkout_before_checkin" in issues:
        rows = done[_pick(rng, len(done), 0.01)]
        v.loc[rows, "check_out"] = v.loc[rows, "check_in"] - pd.to_timedelta(
            rng.integers(5, 90, len(rows)), unit="m"
        )
    if "overlapping_visits" in issues:
        order = v.iloc[done].sort_values(["rep_id", "check_in"])
        same = (order["rep_id"] == order["rep_id"].shift()) & (
            order["check_in"].dt.normalize() == order["check_in"].shift().dt.normalize()
        )
        cand = order.index[same.to_numpy()].to_numpy()
        rows = cand[_pick(rng, len(cand), 0.01)]
        prev = order["check_in"].shift().reindex(rows)
        dur = v.loc[rows, "check_out"] - v.loc[rows, "check_in"]
        v.loc[rows, "check_in"] = prev + pd.Timedelta(minutes=5)
        v.loc[rows, "check_out"] = v.loc[rows, "check_in"] + dur
    t["sales"] = sales
    t["visits"] = v
    return t


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
    >>> paths = write_dataset(generate_dataset(seed=1, n_customers=8, n_terminals=40, n_reps=16,
    ...                                        months=1), tempfile.mkdtemp())
    >>> sorted(p.name for p in paths)[:3]
    ['customers.csv', 'products.csv', 'receivables.csv']
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


# --------------------------------------------------------------------------------------------
# Large sales tables (benchmarks)
# --------------------------------------------------------------------------------------------

#: Columns of :func:`generate_sales_lines` (the contract's sales columns).
SALES_COLUMNS = TABLES["sales"].column_names


def iter_sales_lines(
    n_lines: int,
    *,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    n_customers: int = 2_000,
    n_terminals: int = 200_000,
    n_products: int = 300,
    n_reps: int = 1_000,
    start: str = "2024-01-01",
    months: int = 24,
    arrow: bool = False,
) -> Iterator:
    """Yield ``n_lines`` synthetic sales lines in chunks (DataFrames, or pyarrow Tables if ``arrow``).

    Terminals have heavy-tailed volumes and a fixed distributor and rep; ~10% of lines are sell-in
    (empty ``terminal_id``); dates are spread over ``months`` months from ``start``. Chunks are
    generated independently from ``seed``, so memory stays at one chunk.

    Examples
    --------
    >>> chunks = list(iter_sales_lines(2500, chunk_size=1000, seed=1))
    >>> [len(c) for c in chunks]
    [1000, 1000, 500]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ss = np.random.SeedSequence(seed)
    setup_rng = np.random.default_rng(ss.spawn(1)[0])
    cust_ids = pa.array([f"C{i:05d}" for i in range(1, n_customers + 1)])
    term_ids = pa.array([f"T{i:07d}" for i in range(1, n_terminals + 1)])
    prod_ids = pa.array([f"P{i:04d}" for i in range(1, n_products + 1)])
    rep_ids = pa.array([f"R{i:05d}" for i in range(1, n_reps + 1)])
    t_weight = setup_rng.lognormal(0, 1.6, n_terminals)
    t_cdf = np.cumsum(t_weight) / t_weight.sum()
    c_weight = setup_rng.pareto(1.3, n_customers) + 0.1
    t_cust = setup_rng.choice(n_customers, n_terminals, p=c_weight / c_weight.sum())
    c_cdf = np.cumsum(c_weight) / c_weight.sum()
    t_rep = setup_rng.integers(0, n_reps, n_terminals)
    c_rep = setup_rng.integers(0, n_reps, n_customers)
    p_weight = 1.0 / np.arange(1, n_products + 1) ** 0.9
    p_cdf = np.cumsum(p_weight) / p_weight.sum()
    price = np.round(setup_rng.uniform(5, 120, n_products), 1)
    cost_rate = setup_rng.uniform(0.5, 0.8, n_products)
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    n_days = (first + pd.DateOffset(months=months) - first).days
    day0 = (first - pd.Timestamp("1970-01-01")).days
    n_chunks = -(-n_lines // chunk_size)
    for i, child in enumerate(ss.spawn(n_chunks + 1)[1:]):
        rng = np.random.default_rng(child)
        k = min(chunk_size, n_lines - i * chunk_size)
        t = np.minimum(np.searchsorted(t_cdf, rng.random(k)), n_terminals - 1)
        sell_in = rng.random(k) < 0.1
        c = np.where(
            sell_in, np.minimum(np.searchsorted(c_cdf, rng.random(k)), n_customers - 1), t_cust[t]
        )
        p = np.minimum(np.searchsorted(p_cdf, rng.random(k)), n_products - 1)
        qty = np.maximum(1, np.round(rng.lognormal(1.5, 1.0, k)))
        qty = np.where(rng.random(k) < 0.003, -qty, qty)
        unit = price[p] * rng.uniform(0.8, 1.0, k)
        revenue = np.round(qty * unit, 2)
        cost = np.round(qty * price[p] * cost_rate[p], 2)
        days = (day0 + rng.integers(0, n_days, k)).astype(np.int32)
        table = pa.table(
            {
                "date": pa.array(days, pa.date32()),
                "customer_id": pc.take(cust_ids, pa.array(c)),
                "terminal_id": pc.take(term_ids, pa.array(t, mask=sell_in)),
                "product_id": pc.take(prod_ids, pa.array(p)),
                "quantity": pa.array(qty),
                "revenue": pa.array(revenue),
                "cost": pa.array(cost),
                "rep_id": pc.take(rep_ids, pa.array(np.where(sell_in, c_rep[c], t_rep[t]))),
            }
        )
        yield table if arrow else table.to_pandas()


def generate_sales_lines(n_lines: int, *, seed: int = 0, **kwargs) -> pd.DataFrame:
    """Generate ``n_lines`` synthetic sales lines as one DataFrame (see :func:`iter_sales_lines`).

    Examples
    --------
    >>> lines = generate_sales_lines(1000, seed=2)
    >>> list(lines.columns) == SALES_COLUMNS, len(lines)
    (True, 1000)
    """
    chunks = list(iter_sales_lines(n_lines, seed=seed, **kwargs))
    out = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=SALES_COLUMNS)
    out["date"] = pd.to_datetime(out["date"])
    return out


def write_sales_lines(
    n_lines: int, path: str | os.PathLike, *, seed: int = 0, fmt: str | None = None, **kwargs
) -> Path:
    """Stream ``n_lines`` synthetic sales lines to a CSV or Parquet file (by suffix or ``fmt``)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r} for {path}")
    with atomic_path(path) as tmp:
        writer = None
        try:
            for table in iter_sales_lines(n_lines, seed=seed, arrow=True, **kwargs):
                if writer is None:
                    writer = (
                        pacsv.CSVWriter(
                            tmp,
                            table.schema,
                            write_options=pacsv.WriteOptions(quoting_style="needed"),
                        )
                        if fmt == "csv"
                        else pq.ParquetWriter(tmp, table.schema)
                    )
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
    return path


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _run_generate(args: argparse.Namespace) -> int:
    out = Path(args.out_dir)
    if out.exists() and not out.is_dir():
        raise SystemExit(f"ars generate: {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not args.force:
        raise SystemExit(
            f"ars generate: {out} is not empty; refusing to write there (it may hold input data). "
            "Use an empty folder or pass --force to overwrite the generated files."
        )
    issues = [s.strip() for s in (args.issues or "").split(",") if s.strip()]
    try:
        tables = generate_dataset(
            seed=args.seed,
            n_regions=args.regions,
            n_customers=args.customers,
            n_terminals=args.terminals,
            n_products=args.products,
            n_reps=args.reps,
            start=args.start,
            months=args.months,
            visit_months=args.visit_months,
            quality_issues=issues or None,
        )
    except ValueError as exc:
        raise SystemExit(f"ars generate: {exc}") from exc
    paths = write_dataset(tables, out)
    for p in paths:
        print(f"{p}  ({len(tables[p.stem]):,} rows)")
    return 0


def add_cli(subparsers) -> argparse.ArgumentParser:
    """Add the ``generate`` subcommand to the ``ars`` command."""
    p = subparsers.add_parser(
        "generate",
        help="generate a synthetic dataset (CSV files in the contract's format)",
        description="Generate a synthetic deep-distribution dataset (distributors, terminals, "
        "products, reps, sales lines, visits, targets, receivables) as CSV files in OUT_DIR.",
    )
    p.add_argument(
        "out_dir", metavar="OUT_DIR", help="folder to write (must be empty unless --force)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--regions", type=int, default=8, help="number of regions, 1-8 (default 8)")
    p.add_argument(
        "--customers", type=int, default=100, help="number of distributors (default 100)"
    )
    p.add_argument("--terminals", type=int, default=2500, help="number of terminals (default 2500)")
    p.add_argument(
        "--products", type=int, default=40, help="number of products, at most 40 (default 40)"
    )
    p.add_argument("--reps", type=int, default=60, help="number of reps (default 60)")
    p.add_argument("--months", type=int, default=24, help="months of sales (default 24)")
    p.add_argument(
        "--visit-months", type=int, default=3, help="months of visits at the end (default 3)"
    )
    p.add_argument(
        "--start", default="2024-01-01", help="first month, ISO date (default 2024-01-01)"
    )
    p.add_argument(
        "--issues",
        default="",
        help="comma-separated data-quality problems to inject: " + ", ".join(QUALITY_ISSUES),
    )
    p.add_argument("--force", action="store_true", help="write even if OUT_DIR is not empty")
    p.set_defaults(func=_run_generate)
    return p
