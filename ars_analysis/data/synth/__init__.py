"""Synthetic datasets in the contract's format (``ars generate``).

Modules: :mod:`~.reference` (regions, cities, names), :mod:`~.world` (distributors, terminals,
products, sales), :mod:`~.activity` (targets, visits, receivables), :mod:`~.flows` (inventory, deliveries,
distributor reports, product launches, the handover of terminals, terminal targets),
:mod:`~.problems` (data
problems to inject), :mod:`~.export` (client-style files), :mod:`~.bulk` (large sales tables for
benchmarks), :mod:`~.cli` (``ars generate``).

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
>>> from ars_analysis.data.synth import generate_dataset
>>> tables = generate_dataset(seed=1, n_customers=20, n_terminals=200, n_reps=16, months=3)
>>> sorted(tables)  # doctest: +NORMALIZE_WHITESPACE
['customers', 'deliveries', 'distributor_reports', 'inventory', 'products', 'receivables',
 'reps', 'sales', 'targets', 'terminal_targets', 'terminals', 'training', 'visits']
>>> tables["customers"]["region"].nunique()
8
"""

from ars_analysis.data.synth.bulk import (
    SALES_COLUMNS,
    generate_sales_lines,
    iter_sales_lines,
    write_sales_lines,
)
from ars_analysis.data.synth.cli import add_cli
from ars_analysis.data.synth.export import write_dataset
from ars_analysis.data.synth.problems import QUALITY_ISSUES
from ars_analysis.data.synth.reference import GEOGRAPHY, REGION_WEIGHTS
from ars_analysis.data.synth.world import generate_dataset

__all__ = [
    "GEOGRAPHY",
    "QUALITY_ISSUES",
    "REGION_WEIGHTS",
    "SALES_COLUMNS",
    "add_cli",
    "generate_dataset",
    "generate_sales_lines",
    "iter_sales_lines",
    "write_dataset",
    "write_sales_lines",
]
