"""Benchmark ``ars render --engine spark``: one shared Spark Connect server vs a Spark per job.

Both sides render the same batch in the same run, each in its own ``ars render`` process with a
fresh output folder: the national Chinese job of every report notebook (small bootstrap and
simulation sizes, as the test batch), ``--jobs 2``, Spark ``local[2]`` with 2 shuffle
partitions:

- per job: ``ARS_SPARK_SHARED_SERVER=0``, every job's kernel starts its own Spark JVM (before);
- shared: the batch starts one Spark Connect server and every kernel connects to it (after).

The sides alternate (``--repeat`` rounds, the order swapped each round) and the results are
compared: every job's ``results.json`` must be identical between the two sides.

Usage::

    .venv/bin/python benchmarks/bench_spark_sessions.py [--quick] [--repeat 1] [--jobs 2]

``--quick``: two jobs. Prints a table and writes ``benchmarks/results/spark_sessions.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
SMALL = {"n_boot": 50, "gof_boot": 20, "n_scenarios": 200}
ARS = str(Path(sys.executable).with_name("ars"))


def config(out: Path, quick: bool) -> dict:
    sys.path.insert(0, str(REPO))
    from ars_analysis.reports import notebook_parameters

    notebooks = sorted((REPO / "notebooks").glob("0*.ipynb"))[: 2 if quick else None]
    jobs = []
    for nb in notebooks:
        declared = notebook_parameters(nb)
        params = {k: v for k, v in SMALL.items() if k in declared}
        jobs.append({"notebook": nb.name, "lang": "zh", "parameters": params})
    return {
        "client": "bench",
        "data_path": str(REPO / "data" / "sample"),
        "lang": "zh",
        "notebooks_dir": str(REPO / "notebooks"),
        "output_dir": str(out),
        "timeout": 1800,
        "jobs": jobs,
    }


def render(side: str, folder: Path, quick: bool, jobs: int) -> dict:
    out = folder / side
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / f"{side}.yml"
    cfg.write_text(yaml.safe_dump(config(out, quick), allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "ARS_SPARK_SHARED_SERVER": "1" if side == "shared" else "0",
        "ARS_SPARK_MASTER": "local[2]",
        "ARS_SPARK_CONF": json.dumps({"spark.sql.shuffle.partitions": 2}),
    }
    env.pop("ARS_SPARK_REMOTE", None)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [ARS, "render", "--config", str(cfg), "--engine", "spark", "--jobs", str(jobs), "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    results = {
        p.parent.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(out.glob("*/results.json"))
    }
    log = out / "spark_connect.log"
    starts = log.read_text(encoding="utf-8").count("ars: starting") if log.exists() else 0
    return {
        "side": side,
        "seconds": round(seconds, 1),
        "exit": proc.returncode,
        "n_jobs": len(config(out, quick)["jobs"]),
        "connect_servers": starts,
        "results": results,
        "stderr": proc.stderr[-2000:] if proc.returncode else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two jobs instead of four")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (order alternates)")
    parser.add_argument("--jobs", type=int, default=2, help="jobs in parallel (default 2)")
    args = parser.parse_args(argv)

    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_spark_sessions_") as tmp:
        for i in range(args.repeat):
            order = ["per_job", "shared"] if i % 2 == 0 else ["shared", "per_job"]
            for side in order:
                run = render(side, Path(tmp) / f"round{i}", args.quick, args.jobs)
                print(
                    f"round {i}: {side:8} {run['seconds']:7.1f} s  exit {run['exit']}", flush=True
                )
                runs.append(run)
    same = all(
        r["results"] == runs[0]["results"] and r["results"] for r in runs if r["exit"] == 0
    ) and all(r["exit"] == 0 for r in runs)
    table = []
    for side in ("per_job", "shared"):
        secs = [r["seconds"] for r in runs if r["side"] == side]
        table.append(
            {
                "side": side,
                "n_jobs": runs[0]["n_jobs"],
                "jobs_in_parallel": args.jobs,
                "seconds_median": round(statistics.median(secs), 1),
                "seconds_all": secs,
                "spark_connect_servers": max(
                    r["connect_servers"] for r in runs if r["side"] == side
                ),
            }
        )
    payload = {
        "benchmark": "spark_sessions",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "quick": args.quick,
        "same_results": same,
        "rows": table,
        "failures": [r["stderr"] for r in runs if r["exit"]],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "spark_sessions.json").write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    print("\n| side | jobs | seconds (median) | runs | Connect servers |\n|---|---:|---:|---|---:|")
    for r in table:
        print(
            f"| {r['side']} | {r['n_jobs']} | {r['seconds_median']} | {r['seconds_all']} "
            f"| {r['spark_connect_servers']} |"
        )
    print(f"same results.json on both sides: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
