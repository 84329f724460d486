"""What-if on the top-terminal definition and the market assumption.

:class:`CoverageWhatIf` re-draws the client's top terminals (:func:`top_terminals` with a new
share and ranking scope) over the report scope's terminals and recounts their coverage (linked
to a core distributor, visited by a rep, neither: the gaps) and the volume to move to core
distributors (the opportunity); a new ratio of terminals outside our data re-estimates the
market potential (:func:`~ars_analysis.terminals.missing_volume_by`). Core distributors stay
those of the report. With the report's settings it gives the report's numbers.
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.client import TopTerminal
from ars_analysis.compose import top_terminals
from ars_analysis.terminals import missing_volume_by

#: Bootstrap replicates of the what-if's market-potential interval (the report's is larger).
WHATIF_BOOT = 100


class CoverageWhatIf:
    """Coverage gaps and opportunity of a report scope for other definitions.

    Parameters
    ----------
    ds : Dataset
        The period's whole dataset (top terminals are ranked on all of it, as in the report).
    result : TerminalNetwork
        The report's result (its terminals: linked, visited, revenue, volume bought from
        non-core distributors).
    within : str
        The report's ranking scope (``cfg.definitions.top_terminal.within``).
    """

    def __init__(self, ds, result, *, within: str = "region", n_boot: int = WHATIF_BOOT,
                 seed: int = 0):  # fmt: skip
        self.ds = ds
        self.result = result
        self.within = within
        self.n_boot = n_boot
        self.seed = seed
        t = result.terminals
        self._terminals = t
        self._positive = t[t["revenue"] > 0].assign(region=lambda d: d["region"].fillna(""))
        self._potential: dict[float, dict] = {}

    def settings(self) -> dict:
        return {
            "top_share": float(self.result.top_share),
            "within": self.within,
            "unobserved_ratio": float(self.result.unobserved_ratio),
        }

    def potential(self, ratio: float) -> dict:
        """Market potential outside our data for ``ratio`` unseen terminals per seen one."""
        if ratio not in self._potential:
            m = missing_volume_by(self._positive, ratio, n_boot=self.n_boot, seed=self.seed)
            tot = m[m["region"].isna()].iloc[0]
            self._potential[ratio] = {
                "potential": float(tot["estimate"]),
                "potential_low": float(tot["low"]),
                "potential_high": float(tot["high"]),
                "n_missing": int(tot["n_missing"]),
            }
        return self._potential[ratio]

    def evaluate(self, settings: dict | None = None) -> dict:
        """Top terminals, their coverage, gaps and opportunity, and the market potential.

        Returns
        -------
        dict
            ``n_top``, ``linked``, ``visited``, ``neither`` (the gaps: top terminals neither
            linked nor visited), ``coverage_rate`` (linked or visited / top), ``linked_rate``,
            ``n_to_link`` (top terminals not linked that buy via non-core distributors),
            ``opportunity`` (their volume bought via non-core distributors), ``potential``
            (+ ``_low``, ``_high``, ``n_missing``), and ``top`` (the scope's top terminals).
        """
        s = {**self.settings(), **(settings or {})}
        if not 0 < s["top_share"] <= 1:
            raise ValueError(f"top_share: expected a share in (0, 1], got {s['top_share']}")
        if s["unobserved_ratio"] < 0:
            raise ValueError(f"unobserved_ratio: expected >= 0, got {s['unobserved_ratio']}")
        top = top_terminals(self.ds, TopTerminal(share=s["top_share"], within=s["within"]))
        ids = set(top.loc[top["is_top"], "terminal_id"].astype(str))
        t = self._terminals
        is_top = t["terminal_id"].astype(str).isin(ids)
        tops = t[is_top]
        n_top = len(tops)
        linked = int(tops["linked"].sum())
        visited = int(tops["visited"].sum())
        covered = int((tops["linked"] | tops["visited"]).sum())
        stake = tops.loc[~tops["linked"], "non_core_volume"]
        return {
            "n_top": n_top,
            "linked": linked,
            "visited": visited,
            "neither": n_top - covered,
            "coverage_rate": covered / n_top if n_top else float("nan"),
            "linked_rate": linked / n_top if n_top else float("nan"),
            "n_to_link": int((stake > 0).sum()),
            "opportunity": float(stake.sum()),
            **self.potential(float(s["unobserved_ratio"])),
            "top": tops.reset_index(drop=True),
        }


def coverage_gaps(outcome: dict, n: int = 10) -> pd.DataFrame:
    """The ``n`` top terminals not linked with the most volume bought via non-core distributors
    (the gaps to close first)."""
    top = outcome["top"]
    gaps = top[~top["linked"]].sort_values("non_core_volume", ascending=False, kind="stable")
    cols = [c for c in ("terminal_id", "terminal_name", "region", "city", "visited",
                        "non_core_volume") if c in gaps]  # fmt: skip
    return gaps[cols].head(n).reset_index(drop=True)
