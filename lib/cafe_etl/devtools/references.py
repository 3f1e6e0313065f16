"""The bench's references in the same run: plain Spark's floor and a bare COPY.

- `spark_floor`: the lake stages' work done by a plain PySpark script (spark_floor.py),
  run as its own process like the job, session start included.
- `bare_copy_seconds`: the warehouse stage's floor. The job's lake files, streamed as the
  same CSV chunks the loader streams (warehouse.lake_parquet.csv_chunks), COPYed into the
  loader's unindexed staging tables (same DDL, same session settings) of a fresh
  database on the same embedded server, and committed; no MERGE, no index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from cafe_etl.schema import LAKE_BASKET_ITEMS, LAKE_TRANSACTIONS
from cafe_etl.warehouse import lake_parquet, sql
from cafe_etl.warehouse.model import STG_BASKET_ITEM_COLUMNS, STG_TRANSACTION_COLUMNS
from cafe_etl.warehouse.postgres import LOAD_SETTINGS, conninfo_for

COPY_DATABASE = "bench_copy"


def spark_floor(raw: Path, work: Path, master: str) -> dict:
    """Run spark_floor.py on `master` (local[N]); its wall time and its own split."""
    out = work / "spark-floor-lake"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    argv = [sys.executable, "-m", "cafe_etl.devtools.spark_floor", str(raw), str(out)]
    env = {**os.environ, "CAFE_SPARK_MASTER": master}
    started = time.monotonic()
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True, check=False)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: the plain-Spark reference failed (exit {done.returncode})")
    own = json.loads(done.stdout.strip().splitlines()[-1])
    return {"master": master, "wall_seconds": round(wall, 2), **own}


def bare_copy_seconds(lake_uri: str, warehouse: Path, sale_dates: list[str]) -> dict:
    """COPY the lake's files of these days into unindexed tables of a fresh database."""
    files = {
        table: lake_parquet.lake_files(lake_uri, table, sale_dates)
        for table in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS)
    }
    server = conninfo_for(f"embedded://{warehouse.resolve()}")
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {COPY_DATABASE}")
        admin.execute(f"CREATE DATABASE {COPY_DATABASE}")
    rows = {}
    with psycopg.connect(make_conninfo(server, dbname=COPY_DATABASE)) as conn:
        for setting in LOAD_SETTINGS:
            conn.execute(setting)
        conn.commit()
        started = time.monotonic()
        with conn.transaction():
            for statement in sql.staging_ddl(sql.POSTGRES):
                conn.execute(statement)
            for table, stg, columns in (
                (LAKE_TRANSACTIONS, sql.STG_TRANSACTION, STG_TRANSACTION_COLUMNS),
                (LAKE_BASKET_ITEMS, sql.STG_BASKET_ITEM, STG_BASKET_ITEM_COLUMNS),
            ):
                rows[table] = _copy(conn, stg, columns, files[table])
        seconds = time.monotonic() - started
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {COPY_DATABASE}")
    return {"seconds": round(seconds, 2), "rows": rows}


def _copy(conn, table: str, columns: tuple[str, ...], files: list[str]) -> int:
    rows = 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for data, n in lake_parquet.csv_chunks(files, columns):
            copy.write(data)
            rows += n
    return rows
