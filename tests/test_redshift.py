"""The Redshift path: its SQL parses as Redshift, and the Data API call sequence."""

from __future__ import annotations

import boto3
import pytest
import sqlglot
from botocore.stub import ANY, Stubber
from cafe_etl.runtime import UsageError
from cafe_etl.warehouse import open_warehouse, sql
from cafe_etl.warehouse.redshift import RedshiftLoadError, RedshiftWarehouse, parse_url

ROLE = "arn:aws:iam::123456789012:role/cafe-redshift-copy"
LAKE = "s3://cafe-lake/"
DAYS = ["2026-11-02", "2026-11-03"]


def warehouse():
    client = boto3.client(
        "redshift-data", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return RedshiftWarehouse("redshift://cafe-wg/cafe", ROLE, client=client, poll_seconds=0)


def parses_as_redshift(statement: str) -> bool:
    parsed = sqlglot.parse(statement, read="redshift")
    return bool(parsed) and all(p is not None for p in parsed)


@pytest.mark.parametrize("source", ["batch", "stream"])
def test_every_statement_of_a_load_parses_as_redshift(source):
    w = warehouse()
    statements = w.load_statements(LAKE, DAYS, source)
    statements += sql.schema_ddl(sql.REDSHIFT)
    statements.append(w._finish_statement("r1", "succeeded", {})[0])
    for statement in statements:
        assert parses_as_redshift(statement), statement
    assert statements[0] == "LOCK cafe.fact_transaction"
    copies = [s for s in statements if s.startswith("COPY ")]
    assert copies == [
        f"COPY stg_transaction_file FROM 's3://cafe-lake/transactions/sale_date={d}/' "
        f"IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
        for d in DAYS
    ] + [
        f"COPY stg_item_file FROM 's3://cafe-lake/basket_items/sale_date={d}/' "
        f"IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
        for d in DAYS
    ]


def test_redshift_ddl_has_the_physical_design():
    ddl = "\n".join(sql.schema_ddl(sql.REDSHIFT))
    assert "DISTKEY (transaction_id)\nSORTKEY (sale_date)" in ddl
    assert ddl.count("DISTSTYLE ALL") >= 2  # the small dimensions
    postgres = "\n".join(sql.schema_ddl(sql.POSTGRES))
    assert "DISTSTYLE" not in postgres and "FOREIGN KEY" not in postgres


def test_a_load_is_one_batch_polled_until_finished():
    w = warehouse()
    sent = []
    w.client.meta.events.register(
        "provide-client-params.redshift-data.BatchExecuteStatement",
        lambda params, **_: sent.append(list(params["Sqls"])),
    )
    statements = w.load_statements(LAKE, DAYS, "batch")
    with Stubber(w.client) as stub:
        stub.add_response(
            "batch_execute_statement",
            {"Id": "b1"},
            {"Sqls": ANY, "WorkgroupName": "cafe-wg", "Database": "cafe"},
        )
        stub.add_response("describe_statement", {"Id": "b1", "Status": "STARTED"}, {"Id": "b1"})
        stub.add_response("describe_statement", {"Id": "b1", "Status": "FINISHED"}, {"Id": "b1"})
        w.load(LAKE, DAYS, "batch", "run-1", {"transactions": 3})
        stub.assert_no_pending_responses()
    # One batch = one transaction: the whole load and the run-log update together.
    assert len(sent) == 1
    assert sent[0][:-1] == statements
    assert sent[0][-1].startswith("UPDATE cafe.etl_run SET status = 'succeeded'")
    assert "WHERE run_id = 'run-1'" in sent[0][-1]


def test_a_failed_statement_names_itself_and_where_to_look():
    w = warehouse()
    with Stubber(w.client) as stub:
        stub.add_response("batch_execute_statement", {"Id": "b2"}, None)
        stub.add_response(
            "describe_statement",
            {
                "Id": "b2",
                "Status": "FAILED",
                "Error": "batch failed",
                "SubStatements": [
                    {
                        "Id": "b2:1",
                        "Status": "FINISHED",
                        "QueryString": "LOCK cafe.fact_transaction",
                    },
                    {
                        "Id": "b2:4",
                        "Status": "FAILED",
                        "Error": "Spectrum Scan Error: bad file",
                        "QueryString": "COPY stg_transaction_file FROM 's3://cafe-lake/x/'",
                    },
                ],
            },
            {"Id": "b2"},
        )
        with pytest.raises(RedshiftLoadError) as error:
            w.load(LAKE, DAYS, "batch", "run-2", {})
    message = str(error.value)
    assert "b2:4" in message and "COPY stg_transaction_file" in message
    assert "Spectrum Scan Error" in message and "SYS_LOAD_ERROR_DETAIL" in message
    assert "Nothing was committed" in message


def test_urls_and_clear_errors():
    assert parse_url("redshift://cafe-wg/cafe") == {"WorkgroupName": "cafe-wg", "Database": "cafe"}
    assert parse_url("redshift://cluster:c1/cafe?db_user=etl") == {
        "ClusterIdentifier": "c1",
        "Database": "cafe",
        "DbUser": "etl",
    }
    with pytest.raises(UsageError):
        parse_url("redshift://cluster:c1/cafe")
    with pytest.raises(UsageError, match="s3://"):
        warehouse().load_statements("/tmp/lake/", DAYS, "batch")
    no_role = RedshiftWarehouse("redshift://wg/db", None, client=warehouse().client)
    with pytest.raises(UsageError, match="redshift_copy_role_arn"):
        no_role.load_statements(LAKE, DAYS, "batch")
    assert isinstance(open_warehouse("redshift://wg/db", ROLE, "eu-west-2"), RedshiftWarehouse)
