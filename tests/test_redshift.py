"""The Redshift path: its SQL parses as Redshift, and the Data API call sequence.

The lake is moto's S3 (the loader lists it and writes its COPY manifests there); the Data
API is botocore's Stubber. AWS's documented rules on these statements are checked in
test_aws_contracts.py.
"""

from __future__ import annotations

import json

import boto3
import pytest
import sqlglot
from botocore.stub import ANY, Stubber
from cafe_etl.errors import RedshiftLoadError, UsageError
from cafe_etl.warehouse import open_warehouse, sql
from cafe_etl.warehouse.redshift import RedshiftWarehouse, parse_url
from moto import mock_aws

ROLE = "arn:aws:iam::123456789012:role/cafe-redshift-copy"
LAKE = "s3://cafe-lake/"
DAYS = ["2026-11-02", "2026-11-03"]
REGION = "eu-west-2"


@pytest.fixture
def lake_s3():
    """moto's S3 with one Parquet file per table for each of DAYS."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket="cafe-lake", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        for table in ("transactions", "basket_items"):
            for day in DAYS:
                s3.put_object(
                    Bucket="cafe-lake",
                    Key=f"{table}/sale_date={day}/part-00000-1.c000.snappy.parquet",
                    Body=b"PAR1....PAR1",
                )
        yield s3


def warehouse():
    client = boto3.client(
        "redshift-data", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    return RedshiftWarehouse(
        "redshift://cafe-wg/cafe", ROLE, region=REGION, client=client, poll_seconds=0
    )


def parses_as_redshift(statement: str) -> bool:
    parsed = sqlglot.parse(statement, read="redshift")
    return bool(parsed) and all(p is not None for p in parsed)


@pytest.mark.parametrize("source", ["batch", "stream"])
def test_every_statement_of_a_load_parses_as_redshift(source, lake_s3):
    w = warehouse()
    statements = w.load_statements(LAKE, DAYS, source, run_id="r1")
    statements += sql.schema_ddl(sql.REDSHIFT)
    statements.append(w._finish_statement("r1", "succeeded", {})[0])
    for statement in statements:
        assert parses_as_redshift(statement), statement
    assert statements[0] == "LOCK cafe.fact_transaction"
    copies = [s for s in statements if s.startswith("COPY ")]
    assert copies == [
        f"COPY stg_transaction_file FROM 's3://cafe-lake/_redshift_manifests/r1/transactions"
        f".manifest' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST",
        f"COPY stg_item_file FROM 's3://cafe-lake/_redshift_manifests/r1/basket_items"
        f".manifest' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST",
    ]
    body = lake_s3.get_object(
        Bucket="cafe-lake", Key="_redshift_manifests/r1/transactions.manifest"
    )
    assert json.loads(body["Body"].read()) == {
        "entries": [
            {
                "url": f"s3://cafe-lake/transactions/sale_date={d}/part-00000-1.c000.snappy.parquet",
                "mandatory": True,
                "meta": {"content_length": 12},
            }
            for d in DAYS
        ]
    }


def test_a_stream_load_copies_only_its_own_files_and_a_missing_one_is_an_error(lake_s3):
    w = warehouse()
    mine = "s3a://cafe-lake/transactions/sale_date=2026-11-03/stream-t-0000000007-00000.parquet"
    lake_s3.put_object(Bucket="cafe-lake", Key=mine.split("cafe-lake/")[1], Body=b"PAR1..PAR1")
    statements = w.load_statements(
        LAKE, DAYS, "stream", {"transactions": [mine], "basket_items": []}, run_id="r2"
    )
    copies = [s for s in statements if s.startswith("COPY ")]
    assert len(copies) == 1 and "r2/transactions.manifest" in copies[0]
    body = lake_s3.get_object(
        Bucket="cafe-lake", Key="_redshift_manifests/r2/transactions.manifest"
    )
    urls = [e["url"] for e in json.loads(body["Body"].read())["entries"]]
    assert urls == ["s3://cafe-lake/" + mine.split("cafe-lake/")[1]]
    # No basket-item file: no COPY of stg_item_file (a COPY matching nothing fails).
    assert not any("stg_item_file FROM" in s for s in statements)
    gone = {"transactions": [mine.replace("-00000.parquet", "-00009.parquet")]}
    with pytest.raises(RedshiftLoadError, match="not on S3"):
        w.load_statements(LAKE, DAYS, "stream", gone, run_id="r3")


def test_redshift_ddl_has_the_physical_design():
    ddl = "\n".join(sql.schema_ddl(sql.REDSHIFT))
    assert "DISTKEY (transaction_id)\nSORTKEY (sale_date)" in ddl
    assert ddl.count("DISTSTYLE ALL") >= 2  # the small dimensions
    postgres = "\n".join(sql.schema_ddl(sql.POSTGRES))
    assert "DISTSTYLE" not in postgres and "FOREIGN KEY" not in postgres


def test_a_load_is_one_batch_polled_until_finished(lake_s3):
    w = warehouse()
    sent = []
    w.client.meta.events.register(
        "provide-client-params.redshift-data.BatchExecuteStatement",
        lambda params, **_: sent.append(list(params["Sqls"])),
    )
    statements = w.load_statements(LAKE, DAYS, "batch", run_id="run-1")
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


def test_a_failed_statement_names_itself_and_where_to_look(lake_s3):
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


def test_urls_and_clear_errors(lake_s3):
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


def test_a_statement_past_its_timeout_is_cancelled_and_named():
    w = warehouse()
    w.timeout_seconds = 0  # the first answer still running is past the deadline
    with Stubber(w.client) as stub:
        stub.add_response("execute_statement", {"Id": "s1"}, None)
        stub.add_response("describe_statement", {"Id": "s1", "Status": "STARTED"}, {"Id": "s1"})
        stub.add_response("cancel_statement", {"Status": True}, {"Id": "s1"})
        with pytest.raises(RedshiftLoadError, match="s1 timed out; cancelled"):
            w.query("SELECT 1")
        stub.assert_no_pending_responses()  # the cancel was sent


def test_an_aborted_load_says_nothing_was_committed(lake_s3):
    w = warehouse()
    with Stubber(w.client) as stub:
        stub.add_response("batch_execute_statement", {"Id": "b3"}, None)
        stub.add_response(
            "describe_statement",
            {"Id": "b3", "Status": "ABORTED", "Error": "Query cancelled by user"},
            {"Id": "b3"},
        )
        with pytest.raises(RedshiftLoadError) as error:
            w.load(LAKE, DAYS, "batch", "run-3", {})
        stub.assert_no_pending_responses()
    message = str(error.value)
    assert message.startswith("Redshift aborted") and "Query cancelled by user" in message
    assert "Nothing was committed" in message


def test_query_results_are_decoded_by_type_with_nulls_over_every_page():
    w = warehouse()
    with Stubber(w.client) as stub:
        stub.add_response("execute_statement", {"Id": "q1"}, None)
        stub.add_response("describe_statement", {"Id": "q1", "Status": "FINISHED"}, {"Id": "q1"})
        stub.add_response(
            "get_statement_result",
            {
                "ColumnMetadata": [{"name": "branch"}, {"name": "n"}, {"name": "total"}],
                "Records": [
                    [{"stringValue": "Leeds"}, {"longValue": 12}, {"doubleValue": 30.5}],
                    [{"stringValue": "York"}, {"isNull": True}, {"booleanValue": False}],
                ],
                "TotalNumRows": 3,
                "NextToken": "page-2",
            },
            {"Id": "q1"},
        )
        # The second page of the result: without NextToken a report read only the first.
        stub.add_response(
            "get_statement_result",
            {"Records": [[{"stringValue": "Bath"}, {"longValue": 0}, {"doubleValue": 1.0}]]},
            {"Id": "q1", "NextToken": "page-2"},
        )
        columns, rows = w.query("SELECT branch, n, total FROM x")
        stub.assert_no_pending_responses()
    assert columns == ["branch", "n", "total"]
    assert rows == [("Leeds", 12, 30.5), ("York", None, False), ("Bath", 0, 1.0)]
