"""`cafe-etl bench`: time the nightly job end to end on a generated dataset.

    cafe-etl bench [--transactions 1000000] [--compare [spark,duckdb,copy]] [--out bench.json]

Generates the dataset (once per size and seed, cached under --work), runs the job script
as Glue would start it (a fresh process: JVM start included), and prints wall time,
per-stage seconds, rows per second, the peak memory of the job's whole process tree
(Python driver and JVM) and the job's Spark stage and task counts (spark_events.py).
`--compare` also runs, in the same run on the same files, the references
(references.py): plain PySpark (`spark`) and DuckDB (`duckdb`) doing the lake stages'
CSV → Parquet work, and a bare COPY (`copy`) of the job's lake files; it prints the
ratios. All three by default, or those listed (`--compare duckdb,copy`: plain Spark is a
second Spark process, as long as the job's own). `--cores 1,2` runs the job and the
plain-Spark reference on local[1] and local[2] and prints both speed-ups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from cafe_etl.devtools import generate, references, spark_events
from cafe_etl.devtools.replay import export_text
from cafe_etl.jobs import nightly_argv

BRANCHES, DAYS = 120, 3
REFERENCES = ("spark", "duckdb", "copy")


def references_arg(text: str) -> tuple[str, ...]:
    """`--compare`'s list: some of REFERENCES, comma-separated."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in REFERENCES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the references are {', '.join(REFERENCES)} (comma-separated)"
        )
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--transactions", type=int, default=1_000_000, help="transactions to generate"
    )
    parser.add_argument("--branches", type=int, default=BRANCHES, help="branches to generate")
    parser.add_argument("--days", type=int, default=DAYS, help="150 branches x 1 day is a night")
    parser.add_argument("--seed", type=int, default=1, help="the generator's random seed")
    parser.add_argument("--work", default=".local/bench", help="datasets and lakes go here")
    parser.add_argument(
        "--compare",
        nargs="?",
        type=references_arg,
        const=REFERENCES,
        default=(),
        metavar="spark,duckdb,copy",
        help="also time references on the same files: plain PySpark, DuckDB and a bare "
        "COPY (all three, or those listed)",
    )
    parser.add_argument(
        "--cores",
        type=lambda text: sorted({int(n) for n in text.split(",") if n.strip()}),
        default=[],
        help="e.g. 1,2: also run the job and the plain-Spark reference on local[N] each",
    )
    parser.add_argument(
        "--one-file-gb",
        "--one_file_gb",
        type=float,
        default=None,
        help="run on one raw file of this many GB: the dataset's files end to end, repeated",
    )
    parser.add_argument("--out", default=None, help="write the results as JSON here")


class PeakMemory:
    """Samples the resident memory of a process and all its children (psutil)."""

    def __init__(self, pid: int, every: float = 0.2):
        self.process = psutil.Process(pid)
        self.peak = 0
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def dataset(
    work: Path, transactions: int, seed: int, branches: int = BRANCHES, days: int = DAYS
) -> Path:
    shape = "" if (branches, days) == (BRANCHES, DAYS) else f"-{branches}x{days}"
    raw = work / f"raw-{transactions}-{seed}{shape}"
    if not (raw / ".complete").exists():
        per_file = max(1, round(transactions / (branches * days)))
        print(f"bench: generating ~{transactions:,} transactions in {raw}", file=sys.stderr)
        generate.generate(raw, branches, days, dt.date(2026, 11, 2), seed, per_file)
        (raw / ".complete").write_text("")
    return raw


def one_file(raw: Path, work: Path, gigabytes: float) -> Path:
    """One raw file of at least `gigabytes` GB: the dataset's text files end to end, repeated.

    It is filed under the dataset's first day, so rows of the other days are quarantined
    as bad_timestamp and each repeat is a duplicate: a big file with plenty for every
    stage to do. The generator's planted unreadable file is left out (one NUL byte makes
    a whole file unreadable).
    """
    sources = [p for p in sorted(raw.rglob("*.csv")) if export_text(p.read_bytes()) is not None]
    first_day = sources[0].relative_to(raw).parts[:3]
    out_root = work / f"{raw.name}-one-file-{gigabytes:g}gb"
    target = out_root.joinpath(*first_day, "All branches.csv")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        print(f"bench: writing {gigabytes:g} GB into {target}", file=sys.stderr)
        with open(partial, "wb") as out:
            while out.tell() < gigabytes * 10**9:
                for path in sources:
                    out.write(path.read_bytes())
        partial.rename(target)
    return out_root


def run_job(raw: Path, work: Path, master: str | None = None) -> dict:
    """Run the job script on `master` (local[N]; None: the job's own default), event log on."""
    lake = work / "lake"
    warehouse = work / "warehouse"
    events = work / "spark-events"
    subprocess.run(["rm", "-rf", str(lake), str(warehouse), str(events)], check=True)
    events.mkdir(parents=True)
    argv = nightly_argv(
        str(raw), str(lake), f"embedded://{warehouse.resolve()}", "bench", "bench-salt"
    )
    # Glue's --conf spelling, which the job also reads locally (runtime.spark_conf_args).
    argv += [
        "--conf",
        f"spark.eventLog.enabled=true --conf spark.eventLog.dir={events.resolve().as_uri()}"
        " --conf spark.eventLog.compress=false",
    ]
    env = {**os.environ, **({"CAFE_SPARK_MASTER": master} if master else {})}
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, env=env)
    with PeakMemory(proc.pid) as memory:
        out, _ = proc.communicate()
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: the job failed (exit {proc.returncode})")
    summary = json.loads(out.strip().splitlines()[-1])
    return {
        "wall_seconds": round(wall, 2),
        "peak_memory_mb": round(memory.peak / 2**20),
        "summary": summary,
        "events": events,
        "warehouse": warehouse,
    }


def duckdb_time(raw: Path, work: Path) -> float:
    """The same CSV → partitioned Parquet work in DuckDB: parse, split baskets, write."""
    import duckdb  # noqa: PLC0415 - only the --compare reference needs it

    out = work / "duckdb-lake"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    out.mkdir(parents=True)
    out = out.resolve()
    started = time.monotonic()
    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE raw AS SELECT * FROM read_csv('{raw}/*/*/*/*.csv', header=false,
            columns={{'ts': 'VARCHAR', 'branch': 'VARCHAR', 'name': 'VARCHAR',
                      'basket': 'VARCHAR', 'total': 'VARCHAR', 'payment': 'VARCHAR',
                      'card': 'VARCHAR'}},
            null_padding=true, ignore_errors=true, filename=true, strict_mode=false)""")
    con.execute("""
        CREATE TABLE t AS SELECT
            sha256(concat_ws(chr(31), 'salt', trim(ts), trim(branch), trim(name),
                   trim(basket), trim(total), trim(payment), trim(card))) AS transaction_id,
            trim(branch) AS branch_name,
            coalesce(try_strptime(trim(ts), '%d/%m/%Y %H:%M'),
                     try_strptime(trim(ts), '%Y-%m-%dT%H:%M:%S')) AS sold_at,
            upper(trim(payment)) AS payment_method,
            try_cast(trim(total) AS DECIMAL(10,2)) AS total_amount,
            trim(basket) AS basket
        FROM raw""")
    con.execute(f"""
        COPY (SELECT DISTINCT ON (transaction_id) * EXCLUDE (basket),
                     CAST(sold_at AS DATE) AS sale_date FROM t WHERE sold_at IS NOT NULL)
        TO '{out}/transactions' (FORMAT parquet, PARTITION_BY (sale_date))""")
    con.execute(f"""
        COPY (SELECT transaction_id, CAST(sold_at AS DATE) AS sale_date,
                     trim(unnest(string_split(basket, ','))) AS item
              FROM t WHERE sold_at IS NOT NULL)
        TO '{out}/basket_items' (FORMAT parquet, PARTITION_BY (sale_date))""")
    return round(time.monotonic() - started, 2)


def run(args: argparse.Namespace) -> dict:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    raw = dataset(work, args.transactions, args.seed, args.branches, args.days)
    if args.one_file_gb:
        raw = one_file(raw, work, args.one_file_gb)
    master = os.environ.get("CAFE_SPARK_MASTER", "local[2]")
    result = run_job(raw, work, master)
    s = result["summary"]
    seconds = s["seconds"]
    raw_files = list(raw.rglob("*.csv"))
    raw_bytes = sum(p.stat().st_size for p in raw_files)
    lake_stages = seconds["extract"] + seconds["transform"] + seconds["lake_write"]
    report = {
        "branches_x_days": f"{args.branches}x{args.days}",
        "transactions": s["transactions"],
        "rows_read": s["rows_read"],
        "raw_files": len(raw_files),
        "raw_mb": round(raw_bytes / 2**20, 1),
        "quarantined_by_reason": s["quarantined_by_reason"],
        "duplicates": s["duplicates"],
        "spark_master": master,
        "wall_seconds": result["wall_seconds"],
        "stages": {
            "extract": seconds["extract"],
            "transform": seconds["transform"],
            "lake_write": seconds["lake_write"],
            "warehouse_load": seconds["warehouse_load"],
            "other (JVM start, preflight)": round(
                result["wall_seconds"] - lake_stages - seconds["warehouse_load"], 2
            ),
        },
        "lake_stages_seconds": round(lake_stages, 2),
        "rows_per_second": round(s["rows_read"] / result["wall_seconds"]),
        "peak_memory_mb": result["peak_memory_mb"],
        "cpus": os.cpu_count(),
        "spark": spark_events.summarise(result["events"], raw_bytes),
    }
    if "copy" in args.compare:
        copy = references.bare_copy_seconds(s["lake_uri"], result["warehouse"], s["sale_dates"])
        report["bare_copy"] = copy
        report["ratio_warehouse_load_to_bare_copy"] = ratio(
            report["stages"]["warehouse_load"], copy["seconds"]
        )
    if "duckdb" in args.compare:
        report["duckdb_seconds"] = duckdb_time(raw, work)
        report["ratio_lake_stages_to_duckdb"] = ratio(
            report["lake_stages_seconds"], report["duckdb_seconds"]
        )
    floors = {}
    if "spark" in args.compare or args.cores:
        floors[master] = references.spark_floor(raw, work, master)
        report["spark_floor"] = floors[master]
        report["ratio_lake_stages_to_spark_floor"] = ratio(
            report["lake_stages_seconds"], floors[master]["wall_seconds"]
        )
    if args.cores:
        report["cores"] = by_cores(args.cores, raw, work, master, result, floors)
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return report


def ratio(numerator: float, denominator: float) -> float:
    """Ratios are of the figures as reported, so the JSON can be checked against itself."""
    return round(numerator / denominator, 2)


def by_cores(
    cores: list[int], raw: Path, work: Path, master: str, result: dict, floors: dict
) -> dict:
    """Job and plain-Spark wall times on local[N] for each N; speed-ups fewest → most."""
    walls = {}
    for n in cores:
        local = f"local[{n}]"
        job = result if local == master else run_job(raw, work, local)
        floor = floors.get(local) or references.spark_floor(raw, work, local)
        walls[local] = {
            "job_wall_seconds": job["wall_seconds"],
            "spark_floor_wall_seconds": floor["wall_seconds"],
        }
    fewest, most = f"local[{cores[0]}]", f"local[{cores[-1]}]"
    return {
        **walls,
        "speedup_job": ratio(walls[fewest]["job_wall_seconds"], walls[most]["job_wall_seconds"]),
        "speedup_spark_floor": ratio(
            walls[fewest]["spark_floor_wall_seconds"], walls[most]["spark_floor_wall_seconds"]
        ),
    }
