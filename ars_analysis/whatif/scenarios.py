""" "Save as scenario": what-if settings written as files that ``ars render`` accepts.

A plan goes to a plan YAML (:func:`ars_analysis.whatif.plans.save_plan`, for ``plan_files`` of
notebook 03); definitions go to a client configuration (:func:`save_client_config`, for
``client_config`` of a report job) and a scorecard to a scorecard YAML (:func:`save_scorecard`,
for ``scorecard_file`` of notebook 01). Each file is written atomically and read back with the
loader ``ars render`` uses, so a file that would not load is never left behind silently.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ars_analysis.client import ClientConfig, load_client_config
from ars_analysis.customers import Scorecard
from ars_analysis.data.outputs import write_text


def save_client_config(cfg: ClientConfig, updates: dict, path) -> Path:
    """Write ``cfg`` with ``updates`` (dotted keys such as ``definitions.top_terminal.share``)
    as a client configuration YAML and read it back with :func:`load_client_config` (raises
    :class:`~ars_analysis.client.ClientConfigError` naming the key when a value is invalid).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "client.yml"
    >>> _ = save_client_config(load_client_config(), {"market.unobserved_terminal_ratio": 0.8}, out)
    >>> load_client_config(out).market.unobserved_terminal_ratio
    0.8
    """
    d = cfg.model_dump(mode="json", exclude={"source"})
    for key, value in updates.items():
        node = d
        parts = key.split(".")
        for p in parts[:-1]:
            if p not in node or not isinstance(node[p], dict):
                raise KeyError(f"client configuration has no key {key!r}")
            node = node[p]
        if parts[-1] not in node:
            raise KeyError(f"client configuration has no key {key!r}")
        node[parts[-1]] = list(value) if isinstance(value, tuple) else value
    path = Path(path)
    write_text(path, yaml.safe_dump(d, allow_unicode=True, sort_keys=False))
    load_client_config(path)
    return path


def save_scorecard(spec: dict, path) -> Path:
    """Write a scorecard ``spec`` as YAML and read it back with
    :class:`~ars_analysis.customers.Scorecard` (raises ``ScorecardError`` when invalid)."""
    path = Path(path)
    write_text(path, yaml.safe_dump(spec, allow_unicode=True, sort_keys=False))
    Scorecard(path)
    return path
