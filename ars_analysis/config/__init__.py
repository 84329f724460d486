"""One config model for every YAML file a consultant edits, and the base defaults.

This folder holds the package's base configuration files (``scorecard_default.yml``,
``visit_standards.yml``, ``field_organisation.yml``, ``plan_assignment.yml``, ``plans/*.yml``,
``reports.yml``, ``clients/*.yml``) and the one way
they are read (:mod:`ars_analysis.config.model`): pydantic models on :class:`ConfigModel`
(unknown keys refused), one loader :func:`load_config`, one error type :class:`ConfigError`
whose message names the file, the key path and what was expected (and the close key for a
typo), and layering (:func:`merge_layers`): the base file of the package with a client's
overrides on top (Kedro's base/local), merged deep, validated after merging, an error naming
the file the bad value came from.

Bottom layer of the package: imports pydantic and yaml only.
"""

from ars_analysis.config.model import (
    ConfigError,
    ConfigModel,
    Layer,
    base_file,
    load_config,
    merge_layers,
    problem,
    read_yaml,
    suggest,
    validate_config,
)

__all__ = [
    "ConfigError",
    "ConfigModel",
    "Layer",
    "base_file",
    "load_config",
    "merge_layers",
    "problem",
    "read_yaml",
    "suggest",
    "validate_config",
]
