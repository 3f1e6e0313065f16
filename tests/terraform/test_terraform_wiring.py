"""The Terraform and the code it deploys agree: scripts, arguments, triggers, lake paths, IAM.

Each check in cafe_tf returns a list of problems; on the real tree every list is empty.
The job scripts are read from glue_jobs/ (their AST, never imported): if one is missing,
these tests fail.
"""

from __future__ import annotations

import pytest
from cafe_tf import (
    GLUE_JOBS_DIR,
    TF_DIR,
    attr,
    check_buckets,
    check_crawler_targets,
    check_event_rules,
    check_glue_settings,
    check_iam_policies,
    check_job_arguments,
    check_job_scripts,
    check_references,
    check_resources_present,
    check_triggers,
    lake_tables_from_schema,
    load_config,
    read_script_args,
)

JOB_SCRIPTS = ("nightly_batch.py", "kinesis_stream.py")


@pytest.fixture(scope="module")
def cfg():
    return load_config(TF_DIR)


@pytest.mark.parametrize("script", JOB_SCRIPTS)
def test_job_script_exists_and_declares_its_arguments(script):
    path = GLUE_JOBS_DIR / script
    assert path.is_file(), f"glue_jobs/{script} is missing; Terraform deploys it"
    args = read_script_args(path)
    assert args.required[:1] == ("JOB_NAME",), args.required


def test_both_scripts_are_deployed(cfg):
    sources = {str(attr(b, "source")) for b in cfg.of_type("aws_s3_object").values()}
    for script in JOB_SCRIPTS:
        assert any(s.endswith(f"/{script}") for s in sources), (script, sources)


def test_every_job_script_exists(cfg):
    assert check_job_scripts(cfg) == []


def test_every_job_passes_exactly_the_arguments_its_script_knows(cfg):
    assert check_job_arguments(cfg) == []


def test_triggers_point_at_jobs_and_crawlers_that_exist(cfg):
    assert check_triggers(cfg) == []


def test_lake_crawler_targets_are_the_tables_the_jobs_write(cfg):
    tables = lake_tables_from_schema()
    from cafe_etl import schema

    assert {tables["transactions"], tables["basket_items"], tables["quarantine"]} <= set(
        schema.LAKE_TABLES
    )
    assert check_crawler_targets(cfg, tables) == []


def test_iam_policies_name_exactly_the_resources_that_exist(cfg):
    assert check_iam_policies(cfg) == []


def test_no_eventbridge_schedule_starts_a_job(cfg):
    assert check_event_rules(cfg) == []


def test_job_settings_and_security_configuration(cfg):
    assert check_glue_settings(cfg) == []


def test_buckets_are_encrypted_versioned_private_and_expire(cfg):
    assert check_buckets(cfg) == []


def test_the_issue_resources_are_all_present(cfg):
    assert check_resources_present(cfg) == []


def test_every_reference_and_variable_is_declared_and_described(cfg):
    assert check_references(cfg, TF_DIR / "envs" / "dev.tfvars") == []


def test_every_variable_with_a_fixed_domain_is_validated(cfg):
    # Free-form values (tags, the optional wheel path) aside, every input is validated.
    unvalidated = {
        name
        for name, body in cfg.variables.items()
        if not body.get("validation") and name not in ("tags", "force_destroy_buckets")
    }
    assert unvalidated == set()


# ---------------------------------------------------------------------------------------
# The argument reader, on temporary copies of scripts shaped like the real ones
# ---------------------------------------------------------------------------------------

NIGHTLY = """
import sys
raise SystemExit("this script must never be imported by the tests")
REQUIRED_ARGS = ("JOB_NAME", "raw_uri", "lake_uri", "warehouse_url")
OPTIONAL_ARGS = {
    "process_date": "yesterday",
    "hash_salt_secret_id": None,
    "hash_salt": None,
    "redshift_copy_role_arn": None,
}
"""

STREAMING = """
REQUIRED_ARGS: tuple[str, ...] = ("JOB_NAME", "stream_name", "lake_uri", "warehouse_url", "checkpoint_uri")
OPTIONAL_ARGS: dict[str, str | None] = {
    "window_seconds": "30", "kinesis_endpoint_url": None, "stop_after_idle_seconds": None,
    "starting_position": "TRIM_HORIZON", "hash_salt_secret_id": None, "hash_salt": None,
    "redshift_copy_role_arn": None, "aws_region": None,
}
def main():
    REQUIRED_ARGS = ("shadowed",)
"""


def test_read_script_args_reads_literals_without_importing(tmp_path):
    (tmp_path / "nightly_batch.py").write_text(NIGHTLY)
    (tmp_path / "kinesis_stream.py").write_text(STREAMING)
    nightly = read_script_args(tmp_path / "nightly_batch.py")
    assert nightly.required == ("JOB_NAME", "raw_uri", "lake_uri", "warehouse_url")
    assert nightly.optional["process_date"] == "yesterday"
    streaming = read_script_args(tmp_path / "kinesis_stream.py")
    assert streaming.required[-1] == "checkpoint_uri"
    assert "aws_region" in streaming.known


def test_read_script_args_rejects_a_script_without_declarations(tmp_path):
    path = tmp_path / "job.py"
    path.write_text("ARGS = ('JOB_NAME',)\n")
    with pytest.raises(ValueError, match="REQUIRED_ARGS"):
        read_script_args(path)
    path.write_text("REQUIRED_ARGS = ['JOB_NAME']\nOPTIONAL_ARGS = {}\n")
    with pytest.raises(ValueError, match="tuple"):
        read_script_args(path)
