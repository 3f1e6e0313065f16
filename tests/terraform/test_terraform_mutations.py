"""The checks bite: each breaks on a copy of terraform/ + glue_jobs/ with one thing wrong.

Issue 3's "Done when": tf-check fails when a job's script is renamed, a required argument
is dropped, or a bucket loses its encryption. Each test shows the named problem is absent
from the untouched copy and present in the broken one. (The checkov side of the
encryption case is in test_terraform_static.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cafe_tf import (
    GLUE_JOBS_DIR,
    TF_DIR,
    check_buckets,
    check_event_rules,
    check_glue_settings,
    check_iam_policies,
    check_job_arguments,
    check_job_scripts,
    check_triggers,
    copy_module,
    load_config,
)


@pytest.fixture
def tree(tmp_path) -> Path:
    """tmp/terraform and tmp/glue_jobs, so ${path.module}/../glue_jobs resolves inside tmp."""
    copy_module(TF_DIR, tmp_path / "terraform")
    copy_module(GLUE_JOBS_DIR, tmp_path / "glue_jobs")
    return tmp_path


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, count))


def _run(check, tree: Path, **kwargs) -> list[str]:
    cfg = load_config(tree / "terraform")
    if check in (check_job_scripts, check_job_arguments):
        return check(cfg, tree / "glue_jobs", **kwargs)
    return check(cfg, **kwargs)


def _only_new(before: list[str], after: list[str], pattern: str) -> list[str]:
    new = [p for p in after if p not in before]
    assert new, f"the mutation produced no new problem; after = {after}"
    matching = [p for p in new if re.search(pattern, p)]
    assert matching, f"expected a problem matching {pattern!r}, got {new}"
    return matching


def test_renamed_job_script_is_reported(tree):
    scripts_before = _run(check_job_scripts, tree)
    arguments_before = _run(check_job_arguments, tree)
    (tree / "glue_jobs" / "nightly_batch.py").rename(tree / "glue_jobs" / "nightly.py")
    _only_new(
        scripts_before,
        _run(check_job_scripts, tree),
        r"aws_glue_job\.nightly_batch: script glue_jobs/nightly_batch\.py does not exist",
    )
    _only_new(
        arguments_before,
        _run(check_job_arguments, tree),
        r"aws_glue_job\.nightly_batch: cannot read the script's arguments",
    )


def test_script_location_not_pointing_at_an_uploaded_object_is_reported(tree):
    before = _run(check_job_scripts, tree)
    _edit(
        tree / "terraform" / "glue_jobs.tf",
        'script_location = "s3://${aws_s3_object.nightly_batch_script.bucket}/${aws_s3_object.nightly_batch_script.key}"',
        'script_location = "s3://somewhere/nightly_batch.py"',
    )
    _only_new(before, _run(check_job_scripts, tree), r"must point at one uploaded aws_s3_object")


def test_dropped_required_argument_is_reported(tree):
    before = _run(check_job_arguments, tree)
    _edit(
        tree / "terraform" / "glue_jobs.tf", '    "--raw_uri"                = local.raw_uri\n', ""
    )
    after = _run(check_job_arguments, tree)
    _only_new(
        before,
        after,
        r"aws_glue_job\.nightly_batch: required argument --raw_uri of nightly_batch\.py is not passed",
    )


def test_argument_unknown_to_the_script_is_reported(tree):
    before = _run(check_job_arguments, tree)
    _edit(
        tree / "terraform" / "glue_jobs.tf",
        '"--process_date"           = var.nightly_process_date',
        '"--process_date"           = var.nightly_process_date\n    "--processing_date" = "yesterday"',
    )
    _only_new(
        before,
        _run(check_job_arguments, tree),
        r"argument --processing_date is unknown to nightly_batch\.py",
    )


def test_misspelt_glue_parameter_is_reported(tree):
    before = _run(check_job_arguments, tree)
    _edit(tree / "terraform" / "glue_jobs.tf", '"--enable-metrics"', '"--enable-metric"')
    _only_new(before, _run(check_job_arguments, tree), r"--enable-metric is unknown")


def test_passing_the_salt_itself_is_reported(tree):
    before = _run(check_job_arguments, tree)
    _edit(
        tree / "terraform" / "glue_jobs.tf",
        '"--process_date"           = var.nightly_process_date',
        '"--process_date"           = var.nightly_process_date\n    "--hash_salt" = "pepper"',
    )
    _only_new(before, _run(check_job_arguments, tree), r"--hash_salt must not be passed on AWS")


def test_unencrypted_bucket_is_reported(tree):
    before = _run(check_buckets, tree)
    s3 = tree / "terraform" / "s3.tf"
    text = s3.read_text()
    start = text.index('resource "aws_s3_bucket_server_side_encryption_configuration" "raw"')
    end = text.index("resource ", start + 10)
    s3.write_text(text[:start] + text[end:])
    _only_new(
        before,
        _run(check_buckets, tree),
        r"aws_s3_bucket\.raw: has 0 server-side encryption configurations",
    )


def test_bucket_encrypted_without_the_customer_key_is_reported(tree):
    before = _run(check_buckets, tree)
    s3 = tree / "terraform" / "s3.tf"
    text = s3.read_text()
    start = text.index('resource "aws_s3_bucket_server_side_encryption_configuration" "lake"')
    block = text[start : text.index("resource ", start + 10)]
    s3.write_text(
        text.replace(
            block, block.replace('sse_algorithm     = "aws:kms"', 'sse_algorithm     = "AES256"')
        )
    )
    _only_new(
        before, _run(check_buckets, tree), r"aws_s3_bucket\.lake: must be encrypted with SSE-KMS"
    )


def test_trigger_pointing_at_a_missing_crawler_is_reported(tree):
    before = _run(check_triggers, tree)
    _edit(
        tree / "terraform" / "triggers.tf",
        "crawler_name = aws_glue_crawler.lake.name",
        "crawler_name = aws_glue_crawler.lakehouse.name",
    )
    _only_new(before, _run(check_triggers, tree), r"aws_glue_crawler\.lakehouse does not exist")


def test_lake_crawler_missing_a_table_is_reported(tree):
    from cafe_tf import check_crawler_targets, lake_tables_from_schema

    tables = lake_tables_from_schema()
    before = _run(check_crawler_targets, tree, lake_tables=tables)
    _edit(
        tree / "terraform" / "catalog.tf",
        'path       = "${local.lake_uri}basket_items/"',
        'path       = "${local.lake_uri}basket/"',
    )
    after = _run(check_crawler_targets, tree, lake_tables=tables)
    _only_new(before, after, r"does not crawl s3://\$\{aws_s3_bucket\.lake\.bucket\}/basket_items/")
    _only_new(
        before,
        after,
        r"crawls s3://\$\{aws_s3_bucket\.lake\.bucket\}/basket/, which is not a lake table",
    )


def test_wildcard_resource_is_reported(tree):
    before = _run(check_iam_policies, tree)
    _edit(
        tree / "terraform" / "iam.tf",
        "resources = [aws_kinesis_stream.transactions.arn]",
        'resources = ["*"]',
    )
    after = _run(check_iam_policies, tree)
    _only_new(before, after, r'statement ReadTillStream: Resource "\*" is not one AWS requires')
    _only_new(
        before,
        after,
        r"aws_iam_role\.glue_job: policy names aws_kinesis_stream \[\], expected exactly \['transactions'\]",
    )


def test_policy_naming_an_extra_bucket_is_reported(tree):
    before = _run(check_iam_policies, tree)
    _edit(
        tree / "terraform" / "iam.tf",
        'resources = ["${aws_s3_bucket.raw.arn}/*"]',
        'resources = ["${aws_s3_bucket.raw.arn}/*", "${aws_s3_bucket.access_logs.arn}/*"]',
    )
    _only_new(
        before,
        _run(check_iam_policies, tree),
        r"glue_job: policy names aws_s3_bucket \['access_logs', 'artifacts', 'lake', 'raw'\]",
    )


def test_hardcoded_arn_is_reported(tree):
    before = _run(check_iam_policies, tree)
    _edit(
        tree / "terraform" / "iam.tf",
        "resources = [aws_secretsmanager_secret.hash_salt.arn]",
        'resources = ["arn:aws:secretsmanager:eu-west-2:111122223333:secret:other"]',
    )
    _only_new(before, _run(check_iam_policies, tree), r"names nothing this configuration creates")


def test_eventbridge_schedule_starting_a_job_is_reported(tree):
    before = _run(check_event_rules, tree)
    (tree / "terraform" / "sneaky.tf").write_text(
        'resource "aws_cloudwatch_event_rule" "nightly" {\n'
        '  schedule_expression = "cron(0 2 * * ? *)"\n'
        "}\n\n"
        'resource "aws_cloudwatch_event_target" "nightly" {\n'
        "  rule = aws_cloudwatch_event_rule.nightly.name\n"
        '  arn  = "arn:aws:glue:eu-west-2:111122223333:job/${aws_glue_job.nightly_batch.name}"\n'
        "}\n"
    )
    after = _run(check_event_rules, tree)
    _only_new(before, after, r"aws_cloudwatch_event_rule\.nightly: has a schedule_expression")
    _only_new(before, after, r"aws_cloudwatch_event_target\.nightly: targets Glue")


def test_job_without_security_configuration_is_reported(tree):
    before = _run(check_glue_settings, tree)
    _edit(
        tree / "terraform" / "catalog.tf",
        "  security_configuration = aws_glue_security_configuration.main.name\n",
        "",
    )
    _only_new(
        before,
        _run(check_glue_settings, tree),
        r"aws_glue_crawler\.raw: must use the Glue security configuration",
    )


def test_nightly_job_on_the_wrong_worker_is_reported(tree):
    before = _run(check_glue_settings, tree)
    _edit(
        tree / "terraform" / "glue_jobs.tf",
        'worker_type             = "G.1X"',
        'worker_type             = "G.2X"',
    )
    _only_new(
        before,
        _run(check_glue_settings, tree),
        r"aws_glue_job\.nightly_batch: worker_type is 'G.2X', expected 'G.1X'",
    )
