"""Customer segmentation (public via :mod:`ars_analysis.customers`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import QuantileTransformer, RobustScaler
from threadpoolctl import threadpool_limits

#: Features used by default when the input is a :func:`customer_features` table.
DEFAULT_FEATURES = (
    "revenue",  # size
    "growth",  # growth
    "recency_days",  # recency
    "order_days",  # frequency
    "n_products",  # breadth of products
    "active_terminals",  # terminal reach
    "margin_rate",  # margin
)

TRANSFORMS = ("log1p", "quantile", "robust")
METHODS = ("kmeans", "gmm", "agglomerative")
CRITERIA = ("auto", "silhouette", "bic")


def segment_traits(
    profiles: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    n: int = 2,
    high: float = 0.65,
    low: float = 0.35,
) -> pd.Series:
    """What sets each segment apart, as keys: its (up to ``n``) extreme features.

    For each feature the segment's median is placed in the distribution of all customers
    (mid-rank percentile). The (up to ``n``) features furthest from the middle that are above
    ``high`` or below ``low`` are the segment's traits, ``(feature, "high" | "low")``; a
    segment with none has an empty list ("typical"). The wording ("high grocery") is the
    presentation's (:func:`ars_analysis.presentation.customers.segment_labels`).

    Parameters
    ----------
    profiles : DataFrame
        One row per segment, one column per feature (medians), as in
        :attr:`CustomerSegmenter.profiles_` (other columns are ignored).
    reference : DataFrame
        The customers' feature values (same feature columns).

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"Fresh": [1, 2, 3, 10, 11, 12], "Milk": [5, 5, 5, 5, 5, 5]})
    >>> prof = pd.DataFrame({"Fresh": [2.0, 11.0], "Milk": [5.0, 5.0]})
    >>> segment_traits(prof, ref).tolist()
    [[('Fresh', 'low')], [('Fresh', 'high')]]
    """
    feats = [c for c in profiles.columns if c in reference.columns]
    out = []
    for _, row in profiles.iterrows():
        pct = {}
        for f in feats:
            x = pd.to_numeric(reference[f], errors="coerce").dropna().to_numpy()
            m = row[f]
            if len(x) == 0 or pd.isna(m):
                continue
            pct[f] = np.mean(x < m) + 0.5 * np.mean(x == m)
        extreme = sorted(
            (f for f, p in pct.items() if p >= high or p <= low), key=lambda f: -abs(pct[f] - 0.5)
        )[:n]
        out.append([(f, "high" if pct[f] >= high else "low") for f in extreme])
    return pd.Series(out, index=profiles.index, name="segment_traits")


class CustomerSegmenter(ClusterMixin, BaseEstimator):
    """Segment customers from a feature table (ours or any plain numeric table).

    Parameters
    ----------
    features : list of str, optional
        Columns to use. Default: the :data:`DEFAULT_FEATURES` present in ``X`` (size, growth,
        recency, frequency, product breadth, terminal reach, margin) or, when none is present,
        every numeric column.
    transform : {"log1p", "quantile", "robust"}
        For skewed business data: ``log1p`` = signed ``log1p`` then robust scaling (median /
        IQR); ``quantile`` = rank-based map to a normal distribution; ``robust`` = robust scaling
        only. Missing values are replaced by the feature's median first.
    method : {"kmeans", "gmm", "agglomerative"}
        k-means, Gaussian mixture (full covariance) or Ward agglomerative clustering. The
        agglomerative tree is built on at most ``max_fit_size`` rows; the other rows join the
        segment with the nearest centroid.
    n_segments : int, optional
        Number of segments; ``None`` = chosen in ``k_range`` by ``criterion``.
    k_range : (int, int)
        Smallest and largest number of segments tried.
    criterion : {"auto", "silhouette", "bic"}
        ``silhouette`` (highest mean silhouette, on a sample of ``sample_size`` rows) or ``bic``
        (lowest Bayesian information criterion of a Gaussian mixture, gmm only). ``auto`` = bic
        for gmm, silhouette otherwise.
    n_bootstrap : int
        Bootstrap resamples for :attr:`stability_` (0 = skip).
    sample_size : int
        Rows used for silhouette scores.
    max_fit_size : int
        Largest number of rows the agglomerative tree is built on.
    random_state : int, optional
        Seed of every random step; the same seed gives the same segments.
    n_threads : int, optional
        Limit of the BLAS/OpenMP threads used while fitting (default 1: small models gain
        nothing from threads and oversubscribed machines lose a lot); ``None`` = no limit.

    Attributes
    ----------
    features_ : list of str
    n_segments_ : int
    selection_ : DataFrame
        ``k`` and the criterion value of each k tried (empty when ``n_segments`` was given).
    criterion_ : str
    labels_ : ndarray
        Segment of each row of the training data, 0 = largest segment.
    profiles_ : DataFrame
        Per segment: ``n_customers``, ``share`` and the median of each feature (raw units).
    stability_ : float
        Mean adjusted Rand index between the segments and those of models refitted on bootstrap
        resamples (1 = perfectly stable, ~0 = no better than chance); NaN without bootstrap.
    stability_scores_ : ndarray

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": np.r_[rng.lognormal(0, .3, 50), rng.lognormal(3, .3, 50)],
    ...                   "b": rng.lognormal(0, .3, 100)})
    >>> seg = CustomerSegmenter(random_state=0, n_bootstrap=5).fit(X)
    >>> seg.n_segments_, np.bincount(seg.labels_).tolist(), round(seg.stability_, 2)
    (2, [50, 50], 1.0)
    """

    def __init__(
        self,
        features=None,
        transform: str = "log1p",
        method: str = "kmeans",
        n_segments: int | None = None,
        k_range: tuple[int, int] = (2, 8),
        criterion: str = "auto",
        n_bootstrap: int = 20,
        sample_size: int = 5000,
        max_fit_size: int = 10000,
        random_state: int | None = None,
        n_threads: int | None = 1,
    ):
        self.features = features
        self.transform = transform
        self.method = method
        self.n_segments = n_segments
        self.k_range = k_range
        self.criterion = criterion
        self.n_bootstrap = n_bootstrap
        self.sample_size = sample_size
        self.max_fit_size = max_fit_size
        self.random_state = random_state
        self.n_threads = n_threads

    # -- helpers -------------------------------------------------------------------------------
    def _check(self):
        if self.transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {TRANSFORMS}, got {self.transform!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}")
        if self.criterion == "bic" and self.method != "gmm":
            raise ValueError("criterion 'bic' needs method='gmm' (a likelihood)")

    def _select_features(self, X: pd.DataFrame) -> list[str]:
        if self.features is not None:
            missing = [f for f in self.features if f not in X.columns]
            if missing:
                raise ValueError(f"features {missing} are not columns of X ({list(X.columns)})")
            return list(self.features)
        feats = [f for f in DEFAULT_FEATURES if f in X.columns]
        if not feats:
            feats = [
                c
                for c in X.columns
                if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
            ]
        if not feats:
            raise ValueError("X has no numeric feature column")
        return feats

    def _matrix(self, X) -> np.ndarray:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X), columns=self.features_)
        return X[self.features_].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)

    def _fit_transform(self, raw: np.ndarray, rng) -> np.ndarray:
        self.medians_ = np.nanmedian(raw, axis=0)
        self.medians_ = np.where(np.isnan(self.medians_), 0.0, self.medians_)
        if self.transform == "quantile":
            self.scaler_ = QuantileTransformer(
                n_quantiles=min(1000, len(raw)),
                output_distribution="normal",
                subsample=100_000,
                random_state=int(rng.integers(2**31)),
            )
        else:
            self.scaler_ = RobustScaler(quantile_range=(10.0, 90.0))
        return self.scaler_.fit_transform(self._pre(raw))

    def _pre(self, raw: np.ndarray) -> np.ndarray:
        x = np.where(np.isnan(raw), self.medians_, raw)
        if self.transform == "log1p":
            x = np.sign(x) * np.log1p(np.abs(x))
        return x

    def _apply(self, raw):
        z = self.scaler_.transform(self._pre(raw))
        return np.nan_to_num(z)

    def _model(self, k: int, seed: int):
        if self.method == "kmeans":
            return KMeans(n_clusters=k, n_init=4, random_state=seed)
        if self.method == "gmm":
            return GaussianMixture(
                n_components=k, covariance_type="full", n_init=2, random_state=seed, reg_covar=1e-4
            )
        return AgglomerativeClustering(n_clusters=k, linkage="ward")

    def _fit_model(self, Z: np.ndarray, k: int, seed: int, rng):
        """Fit one model; return (labels on Z, predictor for new rows)."""
        if self.method == "agglomerative":
            n = len(Z)
            idx = (
                np.sort(rng.choice(n, self.max_fit_size, replace=False))
                if n > self.max_fit_size
                else np.arange(n)
            )
            lab = self._model(k, seed).fit_predict(Z[idx])
            centres = np.vstack([Z[idx][lab == j].mean(axis=0) for j in range(k)])

            def predict(W, centres=centres):
                d = ((W[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
                return d.argmin(axis=1)

            return predict(Z), predict
        model = self._model(k, seed).fit(Z)
        return model.predict(Z), model.predict

    # -- API -----------------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Choose the number of segments (unless given), fit, profile and measure stability."""
        self._check()
        with threadpool_limits(limits=self.n_threads):
            return self._fit(X)

    def _fit(self, X):
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X))
            X.columns = [str(c) for c in X.columns]
        if len(X) < 3:
            raise ValueError(f"X needs at least 3 rows to segment, got {len(X)}")
        rng = np.random.default_rng(self.random_state)
        self.features_ = self._select_features(X)
        raw = self._matrix(X)
        Z = self._fit_transform(raw, rng)
        n = len(Z)
        lo, hi = self.k_range
        crit = self.criterion
        if crit == "auto":
            crit = "bic" if self.method == "gmm" else "silhouette"
        self.criterion_ = crit
        seed = int(rng.integers(2**31))
        sample = (
            np.sort(rng.choice(n, self.sample_size, replace=False))
            if n > self.sample_size
            else np.arange(n)
        )
        rows = []
        fitted = {}
        if self.n_segments is None:
            ks = [k for k in range(max(2, lo), hi + 1) if k < n]
            if not ks:
                raise ValueError(
                    f"k_range {self.k_range} leaves no valid number of segments for {n} rows"
                )
            for k in ks:
                lab, pred = self._fit_model(Z, k, seed, np.random.default_rng(seed))
                fitted[k] = (lab, pred)
                if crit == "bic":
                    gm = pred.__self__
                    value = float(gm.bic(Z))
                else:
                    ls = lab[sample]
                    value = (
                        float(silhouette_score(Z[sample], ls)) if len(np.unique(ls)) > 1 else -1.0
                    )
                rows.append({"k": k, crit: value})
            sel = pd.DataFrame(rows)
            best = sel[crit].idxmin() if crit == "bic" else sel[crit].idxmax()
            k = int(sel.loc[best, "k"])
        else:
            k = int(self.n_segments)
            if not 1 <= k < n:
                raise ValueError(f"n_segments must be between 1 and {n - 1}, got {k}")
            sel = pd.DataFrame(columns=["k", crit])
        self.selection_ = sel
        self.n_segments_ = k
        lab, pred = fitted.get(k) or self._fit_model(Z, k, seed, np.random.default_rng(seed))
        # order segments by size (0 = largest), ties by first appearance
        sizes = np.bincount(lab, minlength=k)
        first = np.array([np.flatnonzero(lab == j)[0] if sizes[j] else n for j in range(k)])
        order = np.lexsort((first, -sizes))
        self._relabel = np.empty(k, dtype=int)
        self._relabel[order] = np.arange(k)
        self._predict = pred
        self.labels_ = self._relabel[lab]
        prof = pd.DataFrame(raw, columns=self.features_).groupby(self.labels_).median()
        prof.insert(0, "share", np.bincount(self.labels_, minlength=k) / n)
        prof.insert(0, "n_customers", np.bincount(self.labels_, minlength=k))
        prof.index.name = "segment"
        self.profiles_ = prof
        self._reference = pd.DataFrame(raw, columns=self.features_)
        # stability over bootstrap resamples
        scores = []
        for _ in range(int(self.n_bootstrap)):
            idx = rng.integers(0, n, n)
            s = int(rng.integers(2**31))
            _, p = self._fit_model(Z[idx], k, s, np.random.default_rng(s))
            scores.append(adjusted_rand_score(self.labels_, p(Z)))
        self.stability_scores_ = np.asarray(scores)
        self.stability_ = float(np.mean(scores)) if scores else float("nan")
        return self

    def predict(self, X) -> np.ndarray:
        """Segment of each row of ``X`` (same feature columns as in :meth:`fit`)."""
        if not hasattr(self, "labels_"):
            raise ValueError("CustomerSegmenter is not fitted yet: call fit(X) first")
        with threadpool_limits(limits=self.n_threads):
            return self._relabel[self._predict(self._apply(self._matrix(X)))]

    def segment_traits(self, **kwargs) -> pd.Series:
        """The extreme features of each segment, as keys (see :func:`segment_traits`); the
        wording is :func:`ars_analysis.presentation.customers.segment_labels`."""
        return segment_traits(self.profiles_[self.features_], self._reference, **kwargs)

    def profile_percentiles(self) -> pd.DataFrame:
        """Each segment median's percentile among all customers (0-1), per feature (tidy).

        Columns: ``segment``, ``feature``, ``median``, ``percentile``.
        """
        rows = []
        for seg, row in self.profiles_[self.features_].iterrows():
            for f in self.features_:
                x = self._reference[f].dropna().to_numpy()
                m = row[f]
                p = float(np.mean(x < m) + 0.5 * np.mean(x == m)) if len(x) else np.nan
                rows.append({"segment": seg, "feature": f, "median": m, "percentile": p})
        return pd.DataFrame(rows)

    def assignments(
        self, X: pd.DataFrame, *, id_column: str | None = "customer_id"
    ) -> pd.DataFrame:
        """Table of ``id_column`` (if in ``X``), ``segment`` and ``segment_traits`` (keys, see
        :func:`segment_traits`) for ``X``."""
        seg = self.predict(X)
        traits = self.segment_traits()
        out = pd.DataFrame(
            {"segment": seg, "segment_traits": traits.reindex(seg).to_numpy()}, index=X.index
        )
        if id_column and id_column in X.columns:
            out.insert(0, id_column, X[id_column].to_numpy())
        return out.reset_index(drop=True)


def fit_segments(features: pd.DataFrame, cfg, random_state) -> tuple:
    """Segments of all distributors, or ``(None, reason)`` when the sample is too small.

    ``cfg`` is the client's core-customer configuration (its ``min_sample``); ``reason`` is
    ``"too_few"`` or ``"small_segments"``.
    """
    ms = cfg.min_sample
    n = len(features)
    if n < ms.segments:
        return None, "too_few"
    hi = min(8, n // ms.per_segment)
    while hi >= 2:
        seg = CustomerSegmenter(k_range=(2, hi), random_state=random_state).fit(features)
        if int(seg.profiles_["n_customers"].min()) >= ms.per_segment:
            return seg, None
        hi = seg.n_segments_ - 1
    return None, "small_segments"
