"""PostgreSQL warehouse: any server by URL, or the embedded one (pgserver) in a folder.

A load is one transaction: staging tables filled by COPY straight from the lake's
Parquet, then MERGE into the star schema. It commits whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from urllib.parse import urlparse

import psycopg

from cafe_etl.errors import ConcurrentRunError, UsageError
from cafe_etl.schema import LAKE_BASKET_ITEMS, LAKE_TRANSACTIONS
from cafe_etl.warehouse import lake_parquet, sql
from cafe_etl.warehouse.model import (
    DIM_BRANCH,
    DIM_PRODUCT,
    FACT_BASKET_ITEM,
    FACT_TRANSACTION,
    STG_BASKET_ITEM_COLUMNS,
    STG_TRANSACTION_COLUMNS,
)

log = logging.getLogger("cafe_etl.warehouse")

# Loads take this lock for their whole transaction: two loads never interleave.
LOAD_LOCK_KEY = 0x0CAFE_C0DE
# A whole batch run holds this one: a second run of the same job refuses to start.
RUN_LOCK_KEY = 0x0CAFE_BA7C
_embedded_servers: dict[str, object] = {}
_embedded_lock = threading.Lock()


def embedded_dir(url: str) -> str:
    """`embedded://DIR` → DIR (relative to the working directory, or absolute)."""
    parsed = urlparse(url)
    path = (parsed.netloc + parsed.path) or ""
    if not path:
        raise UsageError("embedded:// needs a folder, e.g. embedded://.local/warehouse")
    return os.path.abspath(path)


def conninfo_for(url: str) -> str:
    """A libpq connection string; starts the embedded server when the URL asks for it."""
    if urlparse(url).scheme != "embedded":
        return url
    folder = embedded_dir(url)
    with _embedded_lock:  # the job may start the server early, on another thread
        return _embedded_uri(folder)


def _embedded_uri(folder: str) -> str:
    if folder not in _embedded_servers:
        with warnings.catch_warnings():  # platformdirs' note about XDG_RUNTIME_DIR
            warnings.simplefilter("ignore")
            # A real PostgreSQL 16 from a wheel: no root, no system install. Imported only
            # for an embedded:// URL, under this filter.
            import pgserver  # noqa: PLC0415 - its import warns; see above

        os.makedirs(os.path.dirname(folder), exist_ok=True)
        log.info("starting the embedded PostgreSQL in %s", folder)
        _embedded_servers[folder] = pgserver.get_server(folder)
    return _embedded_servers[folder].get_uri()


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    try:
        return psycopg.connect(conninfo_for(url), autocommit=autocommit, connect_timeout=15)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "no answer"
        raise UsageError(
            f"cannot reach the warehouse at {_safe(url)}: {reason}. "
            "Check --warehouse_url and that the server is running."
        ) from None


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


class PostgresWarehouse:
    dialect = sql.POSTGRES

    def __init__(self, url: str):
        self.url = url

    @contextmanager
    def run_lock(self, job_name: str):
        """Held for a whole batch run. A second run started meanwhile refuses, naming the
        run in progress, instead of racing the first over the same lake partitions."""
        conn = connect(self.url, autocommit=True)
        try:
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK_KEY,)).fetchone()[0]:
                running = conn.execute(
                    f"SELECT run_id, job_name, started_at FROM {sql.ETL_RUN_TABLE} "
                    "WHERE status = 'running' ORDER BY started_at DESC LIMIT 1"
                ).fetchone()
                what = (
                    f"run {running[0]} of {running[1]}, started {running[2]:%Y-%m-%d %H:%M:%S}"
                    if running
                    else "another run"
                )
                raise ConcurrentRunError(
                    f"{what} is still loading this warehouse; {job_name} did not start. "
                    "Wait for it to finish and run again."
                )
            # Holding the lock, no other run is alive: a run still marked running was
            # killed (SIGKILL, lost machine). Say so in the run log.
            abandoned = conn.execute(
                f"UPDATE {sql.ETL_RUN_TABLE} SET status = 'abandoned', finished_at = %s "
                "WHERE status = 'running' RETURNING run_id",
                (_utcnow(),),
            ).fetchall()
            for (run_id,) in abandoned:
                log.warning("run %s never finished (killed?): marked abandoned", run_id)
            yield
        finally:
            conn.close()  # closing the session releases the lock

    def ensure_schema(self) -> None:
        with connect(self.url) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOAD_LOCK_KEY,))
            for statement in sql.schema_ddl(self.dialect):
                conn.execute(statement)

    def start_run(self, run_id: str, job_name: str, started_at: dt.datetime) -> None:
        with connect(self.url, autocommit=True) as conn:
            conn.execute(sql.run_started(self.dialect), (run_id, job_name, started_at))

    def finish_run(self, run_id: str, status: str, summary: dict, conn=None) -> None:
        params = (status, _utcnow(), json.dumps(summary, sort_keys=True), run_id)
        if conn is not None:
            conn.execute(sql.run_finished(), params)
            return
        with connect(self.url, autocommit=True) as own:
            own.execute(sql.run_finished(), params)

    def load(
        self,
        lake_uri: str,
        sale_dates: list[str],
        source: str,
        run_id: str,
        summary: dict,
        files: dict[str, list[str]] | None = None,
        ledger: list[tuple] | None = None,
        regions=None,
    ) -> dict:
        """Load the lake's partitions of `sale_dates` in one transaction; return counts.

        `files` (lake table → Parquet file URIs) narrows the load to those files, as a
        streaming micro-batch does; by default every file of the days' partitions loads.
        `ledger` (rows of cafe.etl_file) records the raw files loaded, and `regions` (the
        branch → region table the run used) also refreshes every loaded branch's region;
        products are always merged by identity (sql.py). The run is marked succeeded in the
        same transaction, so the run log never says succeeded for a load that did not commit.
        """
        if files is None:
            files = {
                table: lake_parquet.lake_files(lake_uri, table, sale_dates)
                for table in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS)
            }
        started = time.monotonic()
        log.info(
            "warehouse load started: %d transaction files, %d item files",
            len(files[LAKE_TRANSACTIONS]),
            len(files[LAKE_BASKET_ITEMS]),
        )
        with connect(self.url) as conn:
            # Room for the staging tables in memory (temp_buffers must be set before the
            # session's first temporary table), for hash joins and for index builds.
            for setting in LOAD_SETTINGS:
                conn.execute(setting)
            with conn.transaction():
                if not _try_lock(conn):
                    log.info("another load holds the warehouse lock: waiting for it")
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOAD_LOCK_KEY,))
                for statement in sql.staging_ddl(self.dialect):
                    conn.execute(statement)
                staged_t = self._copy(
                    conn,
                    sql.STG_TRANSACTION,
                    STG_TRANSACTION_COLUMNS,
                    lake_parquet.csv_chunks(files[LAKE_TRANSACTIONS], STG_TRANSACTION_COLUMNS),
                )
                staged_i = self._copy(
                    conn,
                    sql.STG_BASKET_ITEM,
                    STG_BASKET_ITEM_COLUMNS,
                    lake_parquet.csv_chunks(files[LAKE_BASKET_ITEMS], STG_BASKET_ITEM_COLUMNS),
                )
                with conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {sql.STG_DAY} (sale_date) VALUES (%s)",
                        [(d,) for d in sale_dates],
                    )
                conn.execute(f"ANALYZE {sql.STG_TRANSACTION}")
                conn.execute(f"ANALYZE {sql.STG_BASKET_ITEM}")
                bulk = _is_bulk(conn, staged_i)
                drops, creates = sql.bulk_load_indexes() if bulk else ([], [])
                if bulk:
                    log.info("bulk load (the facts at least double): rebuilding their indexes")
                refresh: list[str] = []
                if regions is not None:
                    conn.execute(sql.region_staging_ddl(self.dialect))
                    with conn.cursor() as cur:
                        cur.executemany(
                            f"INSERT INTO {sql.STG_REGION} (town_key, region) VALUES (%s, %s)",
                            sql.region_rows(regions),
                        )
                    refresh = sql.region_refresh_statements(self.dialect)
                statements = (
                    drops
                    + sql.product_convergence_statements(self.dialect)
                    + sql.merge_statements(source)
                    + refresh
                    + creates
                )
                for statement in statements:
                    step = time.monotonic()
                    conn.execute(statement)
                    log.debug("%.1fs: %s", time.monotonic() - step, statement.split("\n")[0])
                if ledger:
                    self._record_files(conn, ledger)
                counts = {
                    "staged_transactions": staged_t,
                    "staged_basket_items": staged_i,
                    **table_counts(conn),
                }
                self.finish_run(run_id, "succeeded", {**summary, "warehouse": counts}, conn)
        log.info(
            "warehouse load committed: %d transactions, %d items staged in %.1fs",
            staged_t,
            staged_i,
            time.monotonic() - started,
        )
        return counts

    def _record_files(self, conn, ledger: list[tuple]) -> None:
        """The file ledger, inside the load's transaction (cafe.etl_file)."""
        conn.execute(sql.ledger_staging_ddl(self.dialect))
        statement = f"COPY {sql.STG_FILE} ({', '.join(sql.LEDGER_COLUMNS)}) FROM STDIN"
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for row in ledger:
                copy.write_row(row)
        for statement in sql.ledger_statements():
            conn.execute(statement)

    @staticmethod
    def _copy(conn, table: str, columns: tuple[str, ...], batches: Iterable[bytes]) -> int:
        rows = 0
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for data, n in batches:
                copy.write(data)
                rows += n
        return rows

    def query(self, statement: str) -> tuple[list[str], list[tuple]]:
        with connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(statement)
            if cur.description is None:
                return [], []
            return [d.name for d in cur.description], cur.fetchall()


# Session settings of a load (PostgreSQL's defaults suit small transactions).
LOAD_SETTINGS = (
    "SET temp_buffers = '256MB'",
    "SET work_mem = '128MB'",
    "SET maintenance_work_mem = '256MB'",
)


def _is_bulk(conn, staged_items: int) -> bool:
    """True when the staged items at least match the items already loaded.

    Counts at most `staged_items` rows of the fact table, so the test stays cheap however
    large the warehouse grows.
    """
    if staged_items == 0:
        return False
    present = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {FACT_BASKET_ITEM.qualified} LIMIT %s) AS x",
        (staged_items,),
    ).fetchone()[0]
    return present < staged_items


def _try_lock(conn) -> bool:
    return conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOAD_LOCK_KEY,)).fetchone()[0]


def table_counts(conn) -> dict[str, int]:
    counts = {}
    for table in (DIM_BRANCH, DIM_PRODUCT, FACT_TRANSACTION, FACT_BASKET_ITEM):
        counts[table.name] = conn.execute(f"SELECT count(*) FROM {table.qualified}").fetchone()[0]
    return counts


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
