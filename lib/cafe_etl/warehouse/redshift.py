"""Redshift warehouse through the Redshift Data API (boto3 `redshift-data`).

    redshift://WORKGROUP/DATABASE                       Redshift Serverless
    redshift://cluster:CLUSTER_ID/DATABASE?db_user=U    provisioned (temporary credentials)

No JDBC driver and no VPC connection are needed by the Glue job. A load is one
`batch_execute_statement`, which Redshift runs as one transaction: COPY the run's Parquet
from the lake on S3 (FORMAT AS PARQUET, with the COPY role) into staging tables, MERGE
into the star schema, mark the run succeeded. It commits whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from urllib.parse import parse_qs, urlparse

from cafe_etl.runtime import UsageError
from cafe_etl.schema import LAKE_BASKET_ITEMS, LAKE_TRANSACTIONS
from cafe_etl.warehouse import sql
from cafe_etl.warehouse.model import ETL_RUN, FACT_TRANSACTION, STG_BASKET_ITEM_COLUMNS

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


class RedshiftLoadError(RuntimeError):
    """A Data API statement failed; the message names it and where to look."""


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
    ):
        self.target = parse_url(url)
        self.copy_role_arn = copy_role_arn
        if client is None:
            import boto3

            client = boto3.client("redshift-data", region_name=region)
        self.client = client
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds

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

    def ensure_schema(self) -> None:
        self._batch(sql.schema_ddl(self.dialect))

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
        regions=None,
    ) -> list[str]:
        """The one transaction of a load, in order."""
        if not lake_uri.startswith("s3://"):
            raise UsageError(
                f"Redshift loads COPY from S3: --lake_uri must be s3://…, not {lake_uri}"
            )
        if not self.copy_role_arn:
            raise UsageError("a redshift:// warehouse needs --redshift_copy_role_arn")
        from cafe_etl.lake import partition_paths

        if files is None:
            files = {
                t: partition_paths(lake_uri, t, sale_dates)
                for t in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS)
            }

        def temp(name: str, columns) -> str:
            return f"CREATE TEMP TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})"

        def copy(table: str, uri: str) -> str:
            return (
                f"COPY {table} FROM '{_quote(uri)}' IAM_ROLE '{_quote(self.copy_role_arn)}' "
                "FORMAT AS PARQUET"
            )

        statements = [
            f"LOCK {FACT_TRANSACTION.qualified}",  # loads never interleave
            temp("stg_transaction_file", LAKE_TRANSACTION_FILE),
            temp("stg_item_file", LAKE_ITEM_FILE),
        ]
        statements += [copy("stg_transaction_file", u) for u in files[LAKE_TRANSACTIONS]]
        statements += [copy("stg_item_file", u) for u in files[LAKE_BASKET_ITEMS]]
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
        return statements + refresh

    def load(
        self,
        lake_uri: str,
        sale_dates: list[str],
        source: str,
        run_id: str,
        summary: dict,
        files: dict[str, list[str]] | None = None,
        regions=None,
    ) -> dict:
        statements = self.load_statements(lake_uri, sale_dates, source, files, regions)
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
        result = self.client.get_statement_result(Id=answer["Id"])
        columns = [c["name"] for c in result.get("ColumnMetadata", [])]
        rows = [
            tuple(None if not v or v.get("isNull") else next(iter(v.values())) for v in record)
            for record in result.get("Records", [])
        ]
        return columns, rows


def _quote(text: str) -> str:
    return str(text).replace("'", "''")
