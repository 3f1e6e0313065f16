"""The Terraform and the code it deploys agree: job arguments, scripts, the trigger graph,
lake paths, the Redshift bootstrap, the Athena queries and the QuickSight data sets.

The rules checkov can hold (encryption, the salt, workers, expiry) are custom checks in
checks/; these are the project's own wiring, read from the HCL with cafe_tf.
"""

from __future__ import annotations

import re

import pytest
import sqlglot
import tf_fixtures
from cafe_etl import schema
from cafe_etl.warehouse.model import SCHEMA
from cafe_etl.warehouse.views import TREND_VIEWS
from cafe_tf import (
    TF_DIR,
    blocks,
    check_job_arguments,
    check_job_scripts,
    check_references,
    glue_jobs,
    grantee,
    load_config,
    one,
    render,
    trigger_edges,
)
from sqlglot import exp

# The shared Terraform fixtures (tf_fixtures.py), declared in this module for pytest.
offline_terraform = tf_fixtures.offline_terraform


# What the test renders the Terraform's symbols to: any values of the right shape do.
ROLE_NAME = "cafe-connect-dev-glue-job"
SYMBOLS = {
    "aws_iam_role.glue_job.name": ROLE_NAME,
    "var.redshift_admin_username": "cafe_admin",
    "database": "cafe_connect_dev",
    "local.bootstrap_target.database": "cafe_connect_dev",
    # The reader's password hash ('md5' + MD5 of password and user name).
    'md5("${random_password.quicksight_reader[0].result}quicksight_reader")': "0" * 32,
    # The bootstrap's procedure, as the file Terraform reads.
    'file("${path.module}/warehouse/create_warehouse.sql")': (
        TF_DIR / "warehouse" / "create_warehouse.sql"
    ).read_text(),
}


@pytest.fixture(scope="module")
def cfg():
    return load_config(TF_DIR)


# ---------------------------------------------------------------------------------------
# Jobs and triggers
# ---------------------------------------------------------------------------------------


def test_every_reference_names_something_declared(cfg):
    assert check_references(cfg) == []


def test_every_job_passes_exactly_the_arguments_its_script_accepts(cfg):
    assert check_job_arguments(cfg) == []


def test_every_job_script_is_uploaded_and_exists(cfg):
    assert check_job_scripts(cfg) == []


def test_both_jobs_get_the_common_arguments(cfg):
    common = set(cfg.locals["glue_common_arguments"])
    assert {"--lake_uri", "--warehouse_url", "--hash_salt_secret_id"} <= common
    job = cfg.of_type("aws_glue_job")["this"]
    assert one(job["for_each"]) == "${local.deployed_glue_jobs}"
    assert one(job["default_arguments"]).replace(" ", "") == (
        "${merge(local.glue_common_arguments,each.value.arguments)}"
    )
    assert {j["command"] for j in glue_jobs(cfg).values()} == {"glueetl", "gluestreaming"}


def test_the_trigger_graph(cfg):
    edges = trigger_edges(cfg)
    # The nightly workflow: its schedule starts the job; success starts the lake crawler.
    assert ("schedule:workflow", "", "job:nightly_batch") in edges
    assert ("job:nightly_batch", "SUCCEEDED", "crawler:lake") in edges
    # The raw crawler runs after the nightly job (at least when it succeeded).
    assert ("job:nightly_batch", "SUCCEEDED", "crawler:raw") in edges
    # A schedule starts the streaming job before opening; only its own failure restarts it.
    assert ("schedule", "", "job:kinesis_stream") in edges
    assert {(s, c, t) for s, c, t in edges if t.startswith("job:")} == {
        ("schedule:workflow", "", "job:nightly_batch"),
        ("schedule", "", "job:kinesis_stream"),
        ("job:kinesis_stream", "FAILED", "job:kinesis_stream"),
        ("job:kinesis_stream", "TIMEOUT", "job:kinesis_stream"),
    }


def test_lake_crawler_targets_are_the_tables_the_jobs_write(cfg):
    crawler = cfg.of_type("aws_glue_crawler")["lake"]
    paths = {one(t["path"]) for t in blocks(crawler, "s3_target")}
    assert paths == {"${local.lake_uri}" + f"{table}/" for table in schema.LAKE_TABLES}


def test_the_lake_expires_the_redshift_loaders_manifests_and_nothing_else(cfg):
    """The lake keeps its tables; the folder the Redshift loader writes its COPY manifests
    to (a folder per run and per stream micro-batch) expires."""
    from cafe_etl.warehouse.redshift_s3 import MANIFEST_FOLDER

    lake = cfg.locals["data_buckets"]["lake"]
    assert lake["expiration_days"] is None
    assert lake["prefix_expiration_days"] == {
        f"{MANIFEST_FOLDER}/": "${var.load_manifest_retention_days}"
    }
    # The loader writes under lake_uri, which is the bucket's root (hcl2 quotes the string).
    assert cfg.locals["lake_uri"] == '${"s3://${module.bucket["lake"].bucket}/"}'
    # modules/bucket names each prefix's rule `expire-<prefix>`; a lifecycle rule's ID
    # "cannot be longer than 255 characters" (LifecycleRule, Amazon S3 API Reference).
    for bucket in cfg.locals["data_buckets"].values():
        assert all(len(f"expire-{p.rstrip('/')}") <= 255 for p in bucket["prefix_expiration_days"])


# ---------------------------------------------------------------------------------------
# Redshift bootstrap
# ---------------------------------------------------------------------------------------


def bootstrap_chain(cfg) -> list[str]:
    """The statements in the order their depends_on chain runs them."""
    statements = cfg.of_type("aws_redshiftdata_statement")
    after = {}
    for name, body in statements.items():
        parents = re.findall(r"aws_redshiftdata_statement\.(\w+)", str(body.get("depends_on")))
        assert len(parents) <= 1, f"{name} depends on {parents}: the chain must be a line"
        after[parents[0] if parents else None] = name
    chain, current = [], None
    while current in after:
        current = after[current]
        chain.append(current)
    assert sorted(chain) == sorted(statements), "every statement is on the one chain"
    return chain


def statement_sql(cfg, name: str) -> str:
    text = one(cfg.of_type("aws_redshiftdata_statement")[name]["sql"])
    # hcl2 writes a string with a function call inside, "a${f(x)}b", as ${"a${f(x)}b"}.
    text = re.sub(r'^\$\{"(.*)"\}$', r"\1", text, flags=re.S)
    return render(cfg, text, SYMBOLS)


def test_bootstrap_statements_run_in_one_chain_as_the_admin(cfg):
    chain = bootstrap_chain(cfg)
    assert chain[0] == "create_schema"
    assert chain.index("ensure_job_user") < chain.index("grant_schema")
    for name, body in cfg.of_type("aws_redshiftdata_statement").items():
        assert one(body["secret_arn"]) == "${local.bootstrap_target.secret_arn}", name
    target = cfg.locals["bootstrap_target"]
    assert target["secret_arn"] == (
        "${aws_redshiftserverless_namespace.main.admin_password_secret_arn}"
    )
    assert target["workgroup_name"] == "${aws_redshiftserverless_workgroup.main.workgroup_name}"
    assert statement_sql(cfg, "create_schema") == f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"


def test_no_trigger_starts_a_job_before_the_bootstrap_has_granted_its_user(cfg):
    starters = {
        name: body
        for name, body in cfg.of_type("aws_glue_trigger").items()
        if "aws_glue_job." in str(body.get("actions"))
    }
    assert set(starters) == {"nightly_start", "streaming_start", "streaming_restart"}
    for name, body in starters.items():
        assert "aws_redshiftdata_statement.default_privileges" in str(body.get("depends_on")), name


def test_every_bootstrap_statement_parses_as_redshift(cfg):
    for name in cfg.of_type("aws_redshiftdata_statement"):
        sql = statement_sql(cfg, name)
        parsed = sqlglot.parse(sql, read="redshift")
        assert len(parsed) == 1, f"{name}: one statement per resource"


def test_grants_go_to_the_job_role_database_user(cfg):
    # The Data API runs the job's statements as IAMR:<role name> on Redshift Serverless.
    role_of_jobs = one(cfg.of_type("aws_glue_job")["this"]["role_arn"])
    assert role_of_jobs == "${aws_iam_role.glue_job.arn}"
    assert cfg.locals["glue_job_db_user"] == "IAMR:${aws_iam_role.glue_job.name}"
    job_user = f"IAMR:{ROLE_NAME}"
    grants = ("grant_schema", "grant_temp", "grant_tables", "default_privileges")
    for name in grants:
        assert grantee(statement_sql(cfg, name)) == job_user, name
    schema_grant = sqlglot.parse_one(statement_sql(cfg, "grant_schema"), read="redshift")
    assert isinstance(schema_grant, exp.Grant)
    # USAGE only: the schema's tables and views are the bootstrap's, never the job's.
    assert {p.sql() for p in schema_grant.args["privileges"]} == {"USAGE"}
    assert "SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA cafe" in statement_sql(
        cfg, "grant_tables"
    )
    assert statement_sql(cfg, "default_privileges").startswith(
        "ALTER DEFAULT PRIVILEGES FOR USER cafe_admin IN SCHEMA cafe GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES"
    )
    assert statement_sql(cfg, "ensure_job_user") == f"CALL cafe.ensure_user('{job_user}')"


def test_the_copy_role_stays_associated_and_trusted(cfg):
    namespace = cfg.of_type("aws_redshiftserverless_namespace")["main"]
    assert "aws_iam_role.redshift_copy.arn" in str(namespace["iam_roles"])
    assert one(namespace["default_iam_role_arn"]) == "${aws_iam_role.redshift_copy.arn}"
    trust = (TF_DIR / "iam.tf").read_text()
    assert '["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]' in trust


# ---------------------------------------------------------------------------------------
# Athena and QuickSight: the same five trend questions as the warehouse views
# ---------------------------------------------------------------------------------------


def view_columns(name: str) -> list[str]:
    return sqlglot.parse_one(TREND_VIEWS[name], read="redshift").named_selects


def test_athena_workgroup_is_encrypted_enforced_and_capped(cfg):
    workgroup = cfg.of_type("aws_athena_workgroup")["lake"]
    config = blocks(workgroup, "configuration")[0]
    assert one(config["enforce_workgroup_configuration"]) is True
    assert one(config["bytes_scanned_cutoff_per_query"]) == "${var.athena_bytes_scanned_cutoff}"
    encryption = blocks(blocks(config, "result_configuration")[0], "encryption_configuration")[0]
    assert one(encryption["encryption_option"]) == "SSE_KMS"
    assert one(encryption["kms_key_arn"]) == "${aws_kms_key.main.arn}"


def test_athena_saves_one_query_per_trend_view(cfg):
    query = cfg.of_type("aws_athena_named_query")["trend"]
    assert one(query["for_each"]) == "${local.athena_trend_queries}"
    files = {p.stem for p in (TF_DIR / "athena").glob("*.sql")}
    assert files == set(TREND_VIEWS)


@pytest.mark.parametrize("view", sorted(TREND_VIEWS))
def test_athena_query_parses_as_trino_and_answers_the_view_question(view):
    text = (TF_DIR / "athena" / f"{view}.sql").read_text().replace("${database}", "cafe_db")
    for dialect in ("athena", "trino"):
        parsed = sqlglot.parse_one(text, read=dialect)
        assert parsed.named_selects == view_columns(view), dialect
    tables = {t.name for t in parsed.find_all(exp.Table)}
    # Straight from the crawled lake tables, never from the warehouse schema.
    assert tables <= {schema.LAKE_TRANSACTIONS, schema.LAKE_BASKET_ITEMS}, tables
    assert all(t.db == "cafe_db" for t in parsed.find_all(exp.Table))


def test_quicksight_is_off_by_default(cfg):
    assert one(cfg.variables["enable_quicksight"]["default"]) is False
    for rtype in ("aws_quicksight_vpc_connection", "aws_quicksight_data_source"):
        for name, body in cfg.of_type(rtype).items():
            assert one(body["count"]) == "${local.quicksight_count}", (rtype, name)
    for_each = one(cfg.of_type("aws_quicksight_data_set")["trend"]["for_each"])
    assert for_each.replace(" ", "") == "${var.enable_quicksight?local.trend_view_columns:{}}"


def test_quicksight_has_one_direct_query_data_set_per_trend_view(cfg):
    columns = cfg.locals["trend_view_columns"]
    assert set(columns) == set(TREND_VIEWS)
    for view, typed in columns.items():
        assert list(typed) == view_columns(view), view
    data_set = cfg.of_type("aws_quicksight_data_set")["trend"]
    assert one(data_set["import_mode"]) == "DIRECT_QUERY"
    table = blocks(blocks(data_set, "physical_table_map")[0], "relational_table")[0]
    assert one(table["schema"]) == SCHEMA
    assert one(table["name"]) == "${each.key}"
    assert "aws_quicksight_data_source.warehouse" in one(table["data_source_arn"])


def test_quicksight_reads_redshift_through_the_vpc_connection(cfg):
    source = cfg.of_type("aws_quicksight_data_source")["warehouse"]
    assert one(source["type"]) == "REDSHIFT"
    vpc = blocks(source, "vpc_connection_properties")[0]
    assert "aws_quicksight_vpc_connection.warehouse" in one(vpc["vpc_connection_arn"])
    assert "aws_secretsmanager_secret.quicksight_reader" in str(source["credentials"])
    sql = render(
        cfg,
        one(cfg.of_type("aws_redshiftdata_statement")["quicksight_default_privileges"]["sql"]),
        SYMBOLS,
    )
    assert grantee(sql) == "quicksight_reader"
    existing = one(cfg.of_type("aws_redshiftdata_statement")["quicksight_grant_tables"]["sql"])
    assert grantee(render(cfg, existing, SYMBOLS)) == "quicksight_reader"
    # The admin's bootstrap creates the views, so its later ones reach the reader.
    assert "FOR USER cafe_admin" in sql and "GRANT SELECT ON TABLES" in sql


def test_every_variable_is_described_typed_and_validated(cfg):
    free_form = {"force_destroy_buckets", "enable_quicksight", "enable_streaming"}
    for name, body in cfg.variables.items():
        assert str(one(body.get("description", ""))).strip(), name
        assert body.get("type") is not None, name
        assert body.get("validation") or name in free_form, name
