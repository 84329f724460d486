"""Reference data of the synthetic world: regions, cities, trade names, categories, people's names.

Also the small helpers the generator shares (ids, splits, calibration, seasonality, working days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
