"""Regenerate the nbval reference notebooks in ``tests/notebooks/`` from ``notebooks/``.

Each analysis notebook is executed on the sample data (papermill, Python API, in parallel) and a
reference copy is stored here that keeps the outputs ONLY of the cells tagged ``key-result``;
every other code cell is stored un-run (no outputs, no execution count), which nbval runs but
does not compare. So ::

    pytest --nbval tests/notebooks/ --nbval-sanitize-with tests/notebooks/sanitize.cfg

checks that every cell still runs and that every key result (ABC table, fitted alpha, plan cost,
...) is unchanged.

The reference copies run from this folder (nbval starts the kernel with cwd = the notebook's
folder), so their parameters cell is rewritten: every string parameter that is a path relative
to ``notebooks/`` (starts with ``../``) gets one more ``../``, and ``output_dir`` points to a
fixed folder in the system temp directory. The sizes of the random methods are made tiny
(:data:`TINY_PARAMETERS`: bootstrap replicates, Monte Carlo scenarios): nbval checks that the
cells run and the key results stay the same, not the statistics at full size, which the papermill
tests and ``make report`` already exercise.

Usage (from the repository root)::

    .venv/bin/python tests/notebooks/make_references.py [--jobs 2] [NAME ...]

Idempotent: a reference file is only rewritten when its content changes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
KEY_TAG = "key-result"
PARAM_TAG = "parameters"
#: Parameters set to tiny values in the reference copies (when a notebook declares them).
TINY_PARAMETERS = {"n_boot": 50, "gof_boot": 20, "n_scenarios": 200}


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def rewrite_parameters(
    source: str, stem: str, depth: int = 1, tiny: dict | None = TINY_PARAMETERS
) -> str:
    """The parameters cell source adapted to run ``depth`` folders deeper than ``notebooks/``,
    with the sizes in ``tiny`` (default :data:`TINY_PARAMETERS`) replaced.

    >>> print(rewrite_parameters('data_path = "../data/sample"\\nlang = "zh"\\noutput_dir = "../reports/x"', "x"))
    data_path = '../../data/sample'
    lang = "zh"
    import os as _os, tempfile as _tempfile
    output_dir = _os.path.join(_tempfile.gettempdir(), 'ars_nbval', 'x')
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    edits: list[tuple[int, int, str]] = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, SyntaxError, TypeError):
            continue
        if target.id == "output_dir":
            new = (
                "import os as _os, tempfile as _tempfile\n"
                f"output_dir = _os.path.join(_tempfile.gettempdir(), 'ars_nbval', {stem!r})"
            )
        elif isinstance(value, str) and value.startswith("../"):
            new = f"{target.id} = {('../' * depth + value)!r}"
        elif tiny and target.id in tiny:
            new = f"{target.id} = {tiny[target.id]!r}  # tiny for nbval (make_references.py)"
        else:
            continue
        edits.append((node.lineno - 1, node.end_lineno, new))
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = new.splitlines()
    return "\n".join(lines)


def runnable_copy(nb, stem: str):
    """A copy of ``nb`` whose parameters cell works from ``tests/notebooks/``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAM_TAG in _tags(cell):
            cell.source = rewrite_parameters(cell.source, stem)
            break
    else:
        raise ValueError(f"{stem}: no cell tagged {PARAM_TAG!r}")
    return nb


def reference_from_executed(executed, runnable):
    """The reference notebook: ``runnable``'s cells, with outputs only for key-result cells.

    Key-result cells keep their outputs (stderr streams dropped) and an execution count; all
    other code cells get no outputs and no execution count, so nbval runs them without
    comparing. Raises ``ValueError`` if the executed notebook has an error or no key result.
    """
    ref = copy.deepcopy(runnable)
    ref.metadata.pop("papermill", None)
    by_index = executed.cells
    if len(by_index) != len(ref.cells):
        raise ValueError("executed notebook has a different number of cells (injected parameters?)")
    n_keys = 0
    for i, cell in enumerate(ref.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        outputs = by_index[i].get("outputs", [])
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if errors:
            e = errors[0]
            raise ValueError(f"cell {i} failed: {e.get('ename')}: {e.get('evalue')}")
        if KEY_TAG in _tags(cell):
            n_keys += 1
            kept = [
                o
                for o in outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
            if len(kept) != len(outputs):
                raise ValueError(
                    f"key-result cell {i} writes to stderr (warnings?); nbval would compare that "
                    "too: silence the warning in the notebook"
                )
            for o in kept:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = n_keys
            cell.outputs = kept
            cell.execution_count = n_keys
        else:
            cell.outputs = []
            cell.execution_count = None
    if n_keys == 0:
        raise ValueError(f"no cell tagged {KEY_TAG!r}")
    return ref


def make_reference(src: Path, out_dir: Path = HERE) -> tuple[str, str, float]:
    """Execute ``src`` as its reference would run and write ``out_dir/<name>``.

    Returns ``(name, "written" | "unchanged", seconds)``.
    """
    import papermill as pm

    t0 = time.perf_counter()
    nb = nbformat.read(src, as_version=4)
    # nbformat invents random cell ids for notebooks saved without them: use stable ones, so an
    # unchanged notebook gives a byte-identical reference
    raw_ids = [c.get("id") for c in json.loads(src.read_text(encoding="utf-8"))["cells"]]
    for i, cell in enumerate(nb.cells):
        cell["id"] = raw_ids[i] or f"cell-{i}"
    runnable = runnable_copy(nb, src.stem)
    with tempfile.TemporaryDirectory() as tmp:
        run_in = Path(tmp) / f"{src.stem}.in.ipynb"
        run_out = Path(tmp) / f"{src.stem}.out.ipynb"
        nbformat.write(runnable, run_in)
        pm.execute_notebook(
            str(run_in), str(run_out), cwd=str(out_dir), kernel_name="python3", progress_bar=False
        )
        executed = nbformat.read(run_out, as_version=4)
    ref = reference_from_executed(executed, runnable)
    text = nbformat.writes(ref) + "\n"
    target = out_dir / src.name
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return src.name, "unchanged", time.perf_counter() - t0
    from ars_analysis.data.outputs import write_text

    write_text(target, text)
    return src.name, "written", time.perf_counter() - t0


def _safe(src: str, out_dir: str):
    try:
        return make_reference(Path(src), Path(out_dir))
    except Exception as exc:  # noqa: BLE001 - report every notebook, then fail
        return Path(src).name, f"FAILED: {type(exc).__name__}: {str(exc)[:500]}", 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help="notebook names (default: every notebooks/*.ipynb)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    sources = sorted(args.notebooks.glob("*.ipynb"))
    if args.names:
        wanted = {Path(n).stem for n in args.names}
        sources = [s for s in sources if s.stem in wanted]
    if not sources:
        print("no notebooks found", file=sys.stderr)
        return 1
    ctx = get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=max(1, min(args.jobs, len(sources))), mp_context=ctx
    ) as pool:
        results = list(pool.map(_safe, map(str, sources), [str(args.out)] * len(sources)))
    for name, status, secs in results:
        print(f"{name:40} {status} ({secs:.1f} s)")
    # stale references whose notebook is gone
    known = {s.name for s in sorted(args.notebooks.glob("*.ipynb"))}
    for ref in sorted(args.out.glob("*.ipynb")):
        if ref.name not in known:
            print(f"note: {ref.name} has no notebook in {args.notebooks}", file=sys.stderr)
    return 1 if any(s.startswith("FAILED") for _, s, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
