"""A guard for tests: fail when a query would bring lines (not aggregates) out of the engine.

Every result an Ibis expression hands to Python passes through ``Expr.execute`` /
``Expr.to_pyarrow`` (and their batch / polars variants). :func:`no_lines_fetched` wraps them
and checks the expression of each call: the relation fetched must be bounded by an
aggregation (an ``Aggregate`` under any projections, filters, sorts or joins of aggregates), a
``LIMIT`` of at most :data:`MAX_LIMIT` rows (the first offending lines of a validation
message), data that came from Python (a memtable), or a scalar. A plain ``SELECT`` of the
lines - ``EngineTable.to_ibis(con).to_pandas()``, a ``DISTINCT`` of line values - fails.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

MAX_LIMIT = 100


@dataclass
class Fetches:
    """What went through the guard: one entry per fetch (kind and number of rows)."""

    calls: list[tuple[str, int]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _bounded(op) -> bool:
    import ibis.expr.operations as ops

    if isinstance(op, (ops.Aggregate, ops.InMemoryTable)):
        return True
    if isinstance(op, ops.Limit):
        n = op.n if isinstance(op.n, int) or op.n is None else getattr(op.n, "value", None)
        return (n is not None and int(n) <= MAX_LIMIT) or _bounded(op.parent)
    if isinstance(op, ops.JoinChain):
        return _bounded(op.first) and all(_bounded(link.table) for link in op.rest)
    if isinstance(op, ops.JoinReference):
        return _bounded(op.parent)
    if isinstance(op, (ops.Project, ops.Filter, ops.Sort)):
        return _bounded(op.parent)
    return False


def bounded(expr) -> bool:
    """Whether fetching ``expr`` cannot return the lines themselves (see the module)."""
    import ibis.expr.types as ir

    if isinstance(expr, ir.Scalar):
        return True
    if isinstance(expr, ir.Column):
        expr = expr.as_table()
    return _bounded(expr.op())


@contextlib.contextmanager
def no_lines_fetched(monkeypatch):
    """Within the block, a fetch of an unbounded relation raises AssertionError; yields the
    :class:`Fetches` seen."""
    from ibis.expr.types.core import Expr

    seen = Fetches()

    def guarded(name):
        original = getattr(Expr, name)

        def fetch(self, *args, **kwargs):
            if not bounded(self):
                seen.refused.append(repr(self)[:300])
                raise AssertionError(f"lines fetched from the engine by {name}: {self!r}"[:800])
            out = original(self, *args, **kwargs)
            seen.calls.append((name, len(out) if hasattr(out, "__len__") else 1))
            return out

        return fetch

    for name in ("execute", "to_pyarrow", "to_pyarrow_batches", "to_polars", "to_pandas_batches"):
        monkeypatch.setattr(Expr, name, guarded(name))
    yield seen
