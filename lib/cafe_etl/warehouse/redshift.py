"""Redshift warehouse through the Redshift Data API (boto3 `redshift-data`).

    redshift://WORKGROUP/DATABASE                       Redshift Serverless
    redshift://cluster:CLUSTER_ID/DATABASE?db_user=U    provisioned (temporary credentials)

No JDBC driver and no VPC connection are needed by the Glue job. A load is one
`batch_execute_statement`, which Redshift runs as one transaction: COPY the run's Parquet
from the lake on S3 (FORMAT AS PARQUET, with the COPY role) into staging tables, MERGE
into the star schema, mark the run succeeded. It commits whole or not at all.

A batch call takes at most 40 statements (BatchExecuteStatement, "Sqls": maximum 40
items), so a load never sends a COPY per day: the loader lists the days' Parquet files
on S3 and writes one COPY manifest per lake table (`_redshift_manifests/RUN/TABLE.manifest`
in the lake bucket), and each table is one `COPY ... MANIFEST`. A load is 21 to 32
statements for any number of days (32: a nightly load with its reference data, its file
ledger and the run's status). Only files that exist are listed, and a table with no
file gets no COPY: a COPY that matches nothing fails, and would roll back the night.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from contextlib import nullcontext
from urllib.parse import parse_qs, urlparse

import boto3

from cafe_etl.errors import RedshiftLoadError, UsageError
from cafe_etl.schema import LAKE_BASKET_ITEMS, LAKE_TRANSACTIONS
from cafe_etl.warehouse import bootstrap, redshift_s3, sql
from cafe_etl.warehouse.model import (
    ETL_RUN,
    FACT_TRANSACTION,
    SCHEMA,
    STG_BASKET_ITEM_COLUMNS,
)

log = logging.getLogger("cafe_etl.warehouse.redshift")

# The lake's Parquet files, column for column (the partition column is not in them).
LAKE_TRANSACTION_FILE = (
    ("transaction_id", "CHAR(64)"),
    ("branch_id", "BIGINT"),
    ("branch_name", "VARCHAR(100)"),
    ("region", "VARCHAR(40)"),
    ("sold_at", "TIMESTAMP"),
    ("payment_method", "VARCHAR(4)"),
    ("total_amount", "DECIMAL(10,2)"),
    ("item_count", "INTEGER"),
    ("customer_key", "CHAR(64)"),
    ("source", "VARCHAR(10)"),
    ("source_file", "VARCHAR(1024)"),
    ("source_line", "BIGINT"),
)
LAKE_ITEM_FILE = (
    ("transaction_id", "CHAR(64)"),
    ("line_number", "INTEGER"),
    ("product_id", "BIGINT"),
    ("product_name", "VARCHAR(100)"),
    ("size", "VARCHAR(10)"),
    ("flavour", "VARCHAR(60)"),
    ("unit_price", "DECIMAL(10,2)"),
)
DONE = ("FINISHED", "FAILED", "ABORTED")


def parse_url(url: str) -> dict:
    parsed = urlparse(url)
    database = parsed.path.lstrip("/")
    if not parsed.netloc or not database:
        raise UsageError(
            f"--warehouse_url {url!r}: expected redshift://WORKGROUP/DATABASE or "
            "redshift://cluster:CLUSTER_ID/DATABASE?db_user=USER"
        )
    target: dict = {"Database": database}
    if parsed.netloc.startswith("cluster:"):
        target["ClusterIdentifier"] = parsed.netloc.split(":", 1)[1]
        query = parse_qs(parsed.query)
        if "secret_arn" in query:
            target["SecretArn"] = query["secret_arn"][0]
        elif "db_user" in query:
            target["DbUser"] = query["db_user"][0]
        else:
            raise UsageError("a provisioned cluster URL needs ?db_user=USER or ?secret_arn=ARN")
    else:
        target["WorkgroupName"] = parsed.netloc
    return target


class RedshiftWarehouse:
    dialect = sql.REDSHIFT

    def __init__(
        self,
        url: str,
        copy_role_arn: str | None = None,
        region: str | None = None,
        client=None,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 1800,
        s3_client=None,
    ):
        self.target = parse_url(url)
        self.copy_role_arn = copy_role_arn
        self.region = region
        if client is None:
            client = boto3.client("redshift-data", region_name=region)
        self.client = client
        self._s3 = s3_client
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds

    @property
    def s3(self):
        """The S3 client that lists the lake and writes the COPY manifests."""
        if self._s3 is None:
            self._s3 = boto3.client("s3", region_name=self.region)
        return self._s3

    # -- Data API plumbing -------------------------------------------------------------

    def _wait(self, statement_id: str, statements: list[str]) -> dict:
        deadline = time.monotonic() + self.timeout_seconds
        delay = self.poll_seconds
        while True:
            answer = self.client.describe_statement(Id=statement_id)
            if answer["Status"] in DONE:
                break
            if time.monotonic() > deadline:
                self.client.cancel_statement(Id=statement_id)
                raise RedshiftLoadError(f"statement {statement_id} timed out; cancelled")
            time.sleep(delay)
            delay = min(delay * 1.5, 10.0)
        if answer["Status"] != "FINISHED":
            failed = next(
                (s for s in answer.get("SubStatements", []) if s.get("Status") != "FINISHED"),
                None,
            )
            where = ""
            if failed is not None:
                text = failed.get("QueryString") or ""
                where = f" in statement {failed.get('Id', '?')}: {text[:300]}"
                error = failed.get("Error") or answer.get("Error", "")
            else:
                error = answer.get("Error", "")
                if len(statements) == 1:
                    where = f" in: {statements[0][:300]}"
            raise RedshiftLoadError(
                f"Redshift {answer['Status'].lower()}{where}: {error}. Nothing was committed. "
                "For COPY errors see SYS_LOAD_ERROR_DETAIL (Serverless) or STL_LOAD_ERRORS."
            )
        return answer

    def _batch(self, statements: list[str]) -> dict:
        """All statements in one transaction (batch_execute_statement)."""
        answer = self.client.batch_execute_statement(Sqls=statements, **self.target)
        return self._wait(answer["Id"], statements)

    def _execute(self, statement: str, parameters: list[dict] | None = None) -> dict:
        kwargs = {"Sql": statement, **self.target}
        if parameters:
            kwargs["Parameters"] = parameters
        answer = self.client.execute_statement(**kwargs)
        return self._wait(answer["Id"], [statement])

    # -- the warehouse interface ---------------------------------------------------------

    def run_lock(self, job_name: str):
        """Nothing to hold: on Glue the job's max concurrent runs (1) serialises runs."""
        return nullcontext()

    def ensure_schema(self) -> None:
        """Check that the bootstrap made every table and view; create nothing.

        The job's database user has no CREATE on the database or the schema (the bootstrap
        owns them; see bootstrap.BOOTSTRAP_PROCEDURE), so a missing object is named here, with
        the step that makes it, instead of failing later inside a load.
        """
        _, rows = self.query(bootstrap.warehouse_objects_query())
        present = {row[0] for row in rows}
        missing = [name for name in bootstrap.warehouse_objects() if name not in present]
        if missing:
            raise RedshiftLoadError(
                f"the Redshift warehouse is not bootstrapped: missing "
                f"{', '.join(f'{SCHEMA}.{name}' for name in missing)}. The Terraform "
                f"bootstrap creates them as the namespace admin ({bootstrap.BOOTSTRAP_STEP}): "
                "run `terraform apply`; the job's database user may not create them."
            )

    def start_run(self, run_id: str, job_name: str, started_at: dt.datetime) -> None:
        self._execute(
            f"INSERT INTO {ETL_RUN.qualified} (run_id, job_name, started_at, status) "
            "VALUES (:run_id, :job_name, CAST(:started_at AS TIMESTAMP), 'running')",
            [
                {"name": "run_id", "value": run_id},
                {"name": "job_name", "value": job_name},
                {"name": "started_at", "value": started_at.isoformat(sep=" ")},
            ],
        )

    def finish_run(self, run_id: str, status: str, summary: dict, conn=None) -> None:
        self._execute(*self._finish_statement(run_id, status, summary))

    @staticmethod
    def _finish_statement(run_id: str, status: str, summary: dict) -> tuple[str, list]:
        return (
            f"UPDATE {ETL_RUN.qualified} SET status = :status, finished_at = GETDATE(), "
            "summary = :summary WHERE run_id = :run_id",
            [
                {"name": "status", "value": status},
                {"name": "summary", "value": json.dumps(summary, sort_keys=True)[:65000]},
                {"name": "run_id", "value": run_id},
            ],
        )

    def load_statements(
        self,
        lake_uri: str,
        sale_dates: list[str],
        source: str,
        files: dict[str, list[str]] | None = None,
        run_id: str | None = None,
        ledger: list[tuple] | None = None,
        regions=None,
    ) -> list[str]:
        """The one transaction of a load, in order.

        Lists the files to load on S3 and writes their COPY manifests first (see the
        module docstring); `files` (lake table -> file URIs) narrows the load to those
        files, as a streaming micro-batch does.
        """
        if not lake_uri.startswith("s3://"):
            raise UsageError(
                f"Redshift loads COPY from S3: --lake_uri must be s3://…, not {lake_uri}"
            )
        if not self.copy_role_arn:
            raise UsageError("a redshift:// warehouse needs --redshift_copy_role_arn")
        run_id = run_id or uuid.uuid4().hex
        manifests = {
            table: redshift_s3.write_manifest(self.s3, lake_uri, run_id, table, entries)
            for table in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS)
            if (entries := redshift_s3.lake_objects(self.s3, lake_uri, table, sale_dates, files))
        }

        def temp(name: str, columns) -> str:
            return f"CREATE TEMP TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})"

        def copy(table: str, manifest: str) -> str:
            return (
                f"COPY {table} FROM '{_quote(manifest)}' "
                f"IAM_ROLE '{_quote(self.copy_role_arn)}' FORMAT AS PARQUET MANIFEST"
            )

        statements = [
            f"LOCK {FACT_TRANSACTION.qualified}",  # loads never interleave
            temp("stg_transaction_file", LAKE_TRANSACTION_FILE),
            temp("stg_item_file", LAKE_ITEM_FILE),
        ]
        if LAKE_TRANSACTIONS in manifests:
            statements.append(copy("stg_transaction_file", manifests[LAKE_TRANSACTIONS]))
        if LAKE_BASKET_ITEMS in manifests:
            statements.append(copy("stg_item_file", manifests[LAKE_BASKET_ITEMS]))
        statements += [
            f"CREATE TEMP TABLE {sql.STG_TRANSACTION} AS SELECT transaction_id, branch_id, "
            "branch_name, region, sold_at, CAST(sold_at AS DATE) AS sale_date, payment_method, "
            "total_amount, item_count, customer_key, source FROM stg_transaction_file",
            f"CREATE TEMP TABLE {sql.STG_BASKET_ITEM} AS SELECT "
            f"{', '.join(STG_BASKET_ITEM_COLUMNS)} FROM stg_item_file",
            f"CREATE TEMP TABLE {sql.STG_DAY} (sale_date DATE)",
        ]
        if sale_dates:
            values = ", ".join(f"('{_quote(d)}')" for d in sale_dates)
            statements.append(f"INSERT INTO {sql.STG_DAY} (sale_date) VALUES {values}")
        refresh: list[str] = []
        if regions is not None:
            statements.append(sql.region_staging_ddl(self.dialect))
            rows = sql.region_rows(regions)
            if rows:
                # A few hundred rows, a few KB: well inside the Data API's 100 KB statement.
                values = ", ".join(f"('{_quote(k)}', '{_quote(r)}')" for k, r in rows)
                statements.append(
                    f"INSERT INTO {sql.STG_REGION} (town_key, region) VALUES {values}"
                )
            refresh = sql.region_refresh_statements(self.dialect)
        statements += sql.product_convergence_statements(self.dialect)
        statements += sql.merge_statements(source)
        statements += refresh
        if ledger:  # the file ledger commits with the facts it brought
            statements.append(sql.ledger_staging_ddl(self.dialect))
            # One COPY whatever the number of files: a night of 150 branches over a
            # 60-day backfill is 9,000 ledger rows, which as INSERT ... VALUES would pass
            # both the batch's 40 statements and the Data API's 100 KB per statement.
            ledger_file = redshift_s3.write_ledger(self.s3, lake_uri, run_id, ledger)
            statements.append(
                f"COPY {sql.STG_FILE} FROM '{_quote(ledger_file)}'"
                f" IAM_ROLE '{_quote(self.copy_role_arn)}' FORMAT AS JSON 'auto' TIMEFORMAT 'auto'"
            )
            statements += sql.ledger_statements()
        return statements

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
        statements = self.load_statements(
            lake_uri, sale_dates, source, files, run_id, ledger, regions
        )
        finish, params = self._finish_statement(run_id, "succeeded", summary)
        # Data API batches take no parameters: the run-log update is inlined, quoted.
        for p in params:
            finish = finish.replace(f":{p['name']}", f"'{_quote(p['value'])}'")
        started = time.monotonic()
        self._batch([*statements, finish])
        log.info(
            "Redshift load committed in %.1fs (%d statements)",
            time.monotonic() - started,
            len(statements) + 1,
        )
        return {"statements": len(statements) + 1}

    def query(self, statement: str) -> tuple[list[str], list[tuple]]:
        answer = self.client.execute_statement(Sql=statement, **self.target)
        self._wait(answer["Id"], [statement])
        # A result comes in pages: each answer's NextToken asks for the next one, until
        # none is returned (GetStatementResult, Redshift Data API Reference).
        columns: list[str] = []
        rows: list[tuple] = []
        pages = self.client.get_paginator("get_statement_result").paginate(Id=answer["Id"])
        for page in pages:
            columns = columns or [c["name"] for c in page.get("ColumnMetadata", [])]
            rows += [
                tuple(None if not v or v.get("isNull") else next(iter(v.values())) for v in record)
                for record in page.get("Records", [])
            ]
        return columns, rows


def _quote(text: str) -> str:
    return str(text).replace("'", "''")
