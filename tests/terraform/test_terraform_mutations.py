"""The checks bite: each test breaks one rule on a copy of terraform/ + glue_jobs/ and
expects the failed check (checkov's custom checks) or the reported problem (the wiring
checks). The untouched tree passes all of them (test_terraform_static, _wiring).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tf_fixtures
from cafe_tf import (
    CHECKOV_MUTATIONS,
    CUSTOM_CHECKS,
    check_job_arguments,
    check_job_scripts,
    check_references,
    checkov_reports,
    copy_tree,
    edit,
    grantee,
    load_config,
    one,
    render,
    results,
    trigger_edges,
)
from test_terraform_wiring import ROLE_NAME, SYMBOLS, view_columns

# The shared Terraform fixtures (tf_fixtures.py), declared in this module for pytest.
offline_terraform = tf_fixtures.offline_terraform


# ---------------------------------------------------------------------------------------
# checkov custom checks: one mutated copy, one checkov run, one expected failure each
# ---------------------------------------------------------------------------------------


@pytest.fixture
def mutated_checkov_failures() -> set[tuple[str, str]]:
    """The custom checks that failed on the copy with every CHECKOV_MUTATIONS edit (the
    session's one checkov run)."""
    reports, _elapsed = checkov_reports()
    return {(c, r) for c, r in results(reports["mutated"], "failed") if c in CUSTOM_CHECKS}


@pytest.mark.parametrize("mutation", sorted(CHECKOV_MUTATIONS))
def test_checkov_custom_check_fails_on_the_mutation(mutated_checkov_failures, mutation):
    _change, expected = CHECKOV_MUTATIONS[mutation]
    assert expected in mutated_checkov_failures, sorted(mutated_checkov_failures)


def test_checkov_fails_nothing_but_the_mutations(mutated_checkov_failures):
    expected = {e for _, e in CHECKOV_MUTATIONS.values()}
    # Removing the key from the module call fails every data bucket, not just the lake.
    expected |= {("CKV_CAFE_5", 'bucket["raw"]'), ("CKV_CAFE_5", 'bucket["artifacts"]')}
    assert mutated_checkov_failures == expected


# ---------------------------------------------------------------------------------------
# The project's own wiring checks
# ---------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    return copy_tree(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('        "--raw_uri"       = local.raw_uri\n', "",
         "nightly_batch: required argument --raw_uri is not passed"),
        ('"--process_date"  = var.nightly_process_date',
         '"--process_date"  = var.nightly_process_date\n        "--processing_date" = "x"',
         "nightly_batch: argument --processing_date is unknown to its script"),
        ('"--enable-metrics"', '"--enable-metric"',
         "kinesis_stream: argument --enable-metric is unknown to its script"),
        ('"--stream_name"           = one(aws_kinesis_stream.transactions[*].name)',
         '"--JOB_NAME" = "x"',
         "kinesis_stream: --JOB_NAME is set by Glue itself and must not be passed"),
    ],
)  # fmt: skip
def test_job_argument_mutation_is_reported(tree, old, new, problem):
    assert problem not in check_job_arguments(load_config(tree))
    edit(tree / "glue_jobs.tf", old, new)
    assert problem in check_job_arguments(load_config(tree))


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        # A reference to the jobs' address before local.glue_jobs.
        ('aws_glue_job.this["kinesis_stream"].name', "aws_glue_job.kinesis_stream.name",
         "outputs.tf: aws_glue_job.kinesis_stream is referenced but not declared"),
        ("value       = local.warehouse_url", "value       = local.warehouse_uri",
         "outputs.tf: local.warehouse_uri is referenced but not declared"),
        ('module.bucket["raw"].bucket', 'module.buckets["raw"].bucket',
         "outputs.tf: module.buckets is referenced but not declared"),
    ],
)  # fmt: skip
def test_undeclared_reference_is_reported(tree, old, new, problem):
    assert check_references(load_config(tree)) == []
    edit(tree / "outputs.tf", old, new)
    assert problem in check_references(load_config(tree))


def test_renamed_job_script_is_reported(tree):
    problem = "nightly_batch: script glue_jobs/nightly_batch.py does not exist"
    glue_jobs_dir = tree.parent / "glue_jobs"
    assert check_job_scripts(load_config(tree), glue_jobs_dir) == []
    (glue_jobs_dir / "nightly_batch.py").rename(glue_jobs_dir / "nightly.py")
    assert problem in check_job_scripts(load_config(tree), glue_jobs_dir)


def test_lake_crawler_triggered_on_failure_is_seen(tree):
    edge = ("job:nightly_batch", "SUCCEEDED", "crawler:lake")
    assert edge in trigger_edges(load_config(tree))
    text = (tree / "triggers.tf").read_text()
    start = text.index('resource "aws_glue_trigger" "crawl_lake"')
    end = text.index('resource "aws_glue_trigger"', start + 10)
    block = text[start:end].replace('state            = "SUCCEEDED"', 'state            = "FAILED"')
    (tree / "triggers.tf").write_text(text[:start] + block + text[end:])
    assert edge not in trigger_edges(load_config(tree))


def test_grant_to_another_user_is_seen(tree):
    def grantee_of(cfg) -> str:
        statement = cfg.of_type("aws_redshiftdata_statement")["grant_schema"]
        return grantee(render(cfg, one(statement["sql"]), SYMBOLS))

    assert grantee_of(load_config(tree)) == f"IAMR:{ROLE_NAME}"
    # IAM: is the prefix of IAM users, not roles: the job would still have no rights.
    edit(tree / "warehouse_bootstrap.tf", '"IAMR:${aws_iam_role', '"IAM:${aws_iam_role')
    assert grantee_of(load_config(tree)) == f"IAM:{ROLE_NAME}"


def test_missing_athena_query_and_renamed_quicksight_column_are_seen(tree):
    from cafe_etl.warehouse.views import TREND_VIEWS

    (tree / "athena" / "v_payment_mix.sql").unlink()
    assert {p.stem for p in (tree / "athena").glob("*.sql")} != set(TREND_VIEWS)
    edit(tree / "quicksight.tf", "      items_sold   = ", "      items        = ")
    columns = load_config(tree).locals["trend_view_columns"]["v_region_product_sales"]
    assert list(columns) != view_columns("v_region_product_sales")
