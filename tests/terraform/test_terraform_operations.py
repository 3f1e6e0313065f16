"""Operating the deployment: least-privilege object reads, the warehouse bootstrap's
order, QuickSight's one apply, versioned releases, state, and alarms with a runbook.

Read from the HCL with cafe_tf, as the other wiring tests are.
"""

from __future__ import annotations

import re

import hcl2
import pytest
import tf_fixtures
from cafe_etl import schema
from cafe_etl.warehouse.model import SCHEMA
from cafe_etl.warehouse.redshift_s3 import MANIFEST_FOLDER
from cafe_tf import TF_DIR, load_config, one, terraform

# The shared Terraform fixtures (tf_fixtures.py), declared in this module for pytest.
offline_terraform = tf_fixtures.offline_terraform
variables_only = tf_fixtures.variables_only


REPO = TF_DIR.parent


@pytest.fixture(scope="module")
def cfg():
    return load_config(TF_DIR)


def policy_documents() -> dict[str, dict]:
    """Every aws_iam_policy_document in the root module, by name."""
    found: dict[str, dict] = {}
    for path in sorted(TF_DIR.glob("*.tf")):
        for entry in hcl2.load(path.open()).get("data", []):
            found.update(entry.get("aws_iam_policy_document", {}))
    return found


_FOR = re.compile(r'^\$\{\[for (\w+) in local\.(\w+) : "(.*)"\]\}$')


def expand(cfg, value) -> list[str]:
    """A statement's resources or values as strings: a list as it is, and a
    `[for x in local.list : "...${x}..."]` expression expanded over the local's items."""
    value = one(value)
    if isinstance(value, list):
        # hcl2 writes an interpolated string "a${b}c" as ${"a${b}c"}.
        return [re.sub(r'^\$\{"(.*)"\}$', r"\1", str(v)) for v in value]
    match = _FOR.match(str(value))
    if not match:
        return [str(value)]
    name, local, template = match.groups()
    template = template.replace('\\"', '"')
    return [template.replace("${" + name + "}", item) for item in cfg.locals[local]]


def statement(document: dict, sid: str) -> dict:
    [found] = [s for s in document["statement"] if one(s.get("sid")) == sid]
    return found


def object_reads(cfg, document: dict, bucket: str) -> set[str]:
    """The object ARNs of `bucket` that s3:GetObject statements of a policy allow."""
    arn = '${module.bucket["' + bucket + '"].arn}'
    reads = set()
    for s in document["statement"]:
        if "s3:GetObject" in one(s["actions"]):
            reads |= {r for r in expand(cfg, s["resources"]) if r.startswith(arn)}
    return {r[len(arn) :] for r in reads}


# ---------------------------------------------------------------------------------------
# Least privilege: what the COPY role and the Glue role may read
# ---------------------------------------------------------------------------------------


def test_the_copy_role_reads_only_the_loaded_tables_and_the_manifests(cfg):
    """Redshift's COPY reads transactions/ and basket_items/ through the manifests the
    loader writes under _redshift_manifests/ (warehouse.redshift_s3): nothing else of
    the lake, not the quarantine, the run summaries or the reference data."""
    copy_role = policy_documents()["redshift_copy"]
    wanted = {f"/{schema.LAKE_TRANSACTIONS}/*", f"/{schema.LAKE_BASKET_ITEMS}/*"}
    wanted.add(f"/{MANIFEST_FOLDER}/*")
    assert object_reads(cfg, copy_role, "lake") == wanted
    listing = statement(copy_role, "ListLoadedFolders")
    [condition] = listing["condition"]
    assert one(condition["variable"]) == "s3:prefix"
    assert set(expand(cfg, condition["values"])) == {p[1:] for p in wanted}
    for s in copy_role["statement"]:
        assert "s3:PutObject" not in one(s["actions"]) and "s3:*" not in one(s["actions"])


def test_the_glue_role_reads_only_its_own_folders_of_the_artifacts_bucket(cfg):
    glue = policy_documents()["glue_job"]
    reads = object_reads(cfg, glue, "artifacts")
    assert "/*" not in reads, "the whole artifacts bucket"
    assert not any(r.startswith("/athena-results") for r in reads)
    # Each folder read is one a job uses: its script, its wheel, its temp dir, its
    # checkpoints, its Spark UI logs.
    used = {"scripts/", "libs/"} | {
        cfg.locals[uri].split("}/", 1)[1].split("/", 1)[0] + "/"
        for uri in ("temp_dir_uri", "checkpoint_uri", "spark_ui_uri")
    }
    assert reads == {f"/{prefix}*" for prefix in used}
    script_key = one(cfg.of_type("aws_s3_object")["job_script"]["key"])
    assert script_key.startswith("scripts/")


# ---------------------------------------------------------------------------------------
# The warehouse bootstrap owns the schema, its tables and its views
# ---------------------------------------------------------------------------------------


def test_the_bootstrap_procedure_file_is_the_one_the_model_renders():
    from cafe_etl.warehouse import bootstrap

    path = REPO / bootstrap.BOOTSTRAP_FILE
    assert path.read_text() == bootstrap.bootstrap_procedure(), (
        f"{bootstrap.BOOTSTRAP_FILE} is stale: .venv/bin/python -c 'from cafe_etl.warehouse import"
        f' bootstrap; print(bootstrap.bootstrap_procedure(), end="")\' > {bootstrap.BOOTSTRAP_FILE}'
    )
    text = path.read_text()
    for name in bootstrap.warehouse_objects():
        assert re.search(rf"\b{SCHEMA}\.{name}\b", text), name


def test_the_warehouse_is_made_before_the_job_user_is_granted_its_tables(cfg):
    from test_terraform_wiring import bootstrap_chain

    chain = bootstrap_chain(cfg)
    statements = cfg.of_type("aws_redshiftdata_statement")
    procedure = one(statements["create_warehouse_procedure"]["sql"])
    assert "warehouse/create_warehouse.sql" in procedure
    assert one(statements["create_warehouse"]["sql"]) == "CALL cafe.create_warehouse()"
    # A changed procedure calls it again.
    lifecycle = statements["create_warehouse"]["lifecycle"][0]
    assert "aws_redshiftdata_statement.create_warehouse_procedure" in str(
        lifecycle["replace_triggered_by"]
    )
    order = [
        "create_schema",
        "create_warehouse_procedure",
        "create_warehouse",
        "grant_tables",
        "default_privileges",
    ]
    assert [chain.index(name) for name in order] == sorted(chain.index(name) for name in order)


# ---------------------------------------------------------------------------------------
# QuickSight: one apply makes a data source that can log in
# ---------------------------------------------------------------------------------------


def test_quicksight_logs_in_with_terraforms_password_after_everything_it_needs(cfg):
    from test_terraform_wiring import bootstrap_chain, statement_sql

    statements = cfg.of_type("aws_redshiftdata_statement")
    chain = bootstrap_chain(cfg)
    # The password: Terraform's, in the secret, and (as its MD5) set on the user that
    # ensure_quicksight_user created PASSWORD DISABLE, before the grants the source needs.
    result = "random_password.quicksight_reader[0].result"
    version = one(
        cfg.of_type("aws_secretsmanager_secret_version")["quicksight_reader"]["secret_string"]
    )
    assert f"'password': '${{{result}}}'" in version
    password = one(statements["quicksight_password"]["sql"])
    assert f'md5("${{{result}}}${{local.quicksight_user}}")' in password
    rendered = statement_sql(cfg, "quicksight_password")
    assert re.fullmatch(r"ALTER USER quicksight_reader PASSWORD 'md5[0-9a-f]{32}'", rendered)
    order = ["ensure_quicksight_user", "quicksight_password", "quicksight_grant_schema"]
    order += ["quicksight_default_privileges"]
    assert [chain.index(n) for n in order] == sorted(chain.index(n) for n in order)
    assert chain[-1] == "quicksight_default_privileges"
    # The data source comes after all of it: QuickSight connects when it creates one.
    source = cfg.of_type("aws_quicksight_data_source")["warehouse"]
    after = str(source["depends_on"])
    for needed in (
        "aws_redshiftdata_statement.quicksight_default_privileges",
        "aws_secretsmanager_secret_version.quicksight_reader",
        "aws_secretsmanager_secret_policy.quicksight_reader",
    ):
        assert needed in after, needed
    assert ("ephemeral.aws_secretsmanager_random_password", "quicksight_reader") not in cfg.data


def test_quicksights_secrets_role_may_read_and_decrypt_the_readers_secret(cfg):
    role = cfg.locals["quicksight_secrets_role_arn"]
    assert role.endswith(":role/service-role/aws-quicksight-secretsmanager-role-v0")
    secret_policy = policy_documents()["quicksight_reader_secret"]
    [read] = secret_policy["statement"]
    assert "secretsmanager:GetSecretValue" in one(read["actions"])
    [principal] = read["condition"]
    assert one(principal["variable"]) == "aws:PrincipalArn"
    assert expand(cfg, principal["values"]) == ["${local.quicksight_secrets_role_arn}"]
    # The key policy: kms:Decrypt for that role, only through Secrets Manager, only for
    # the reader's secret, and only when QuickSight is on.
    key_policy = policy_documents()["kms_key"]
    [dynamic] = [d["statement"] for d in key_policy.get("dynamic", []) if "statement" in d]
    assert one(dynamic["for_each"]) == "${var.enable_quicksight ? [1] : []}"
    content = one(dynamic["content"])
    assert one(content["actions"]) == ["kms:Decrypt"]
    conditions = {one(c["variable"]): expand(cfg, c["values"]) for c in content["condition"]}
    assert conditions["aws:PrincipalArn"] == ["${local.quicksight_secrets_role_arn}"]
    assert conditions["kms:ViaService"] == ["secretsmanager.${var.aws_region}.amazonaws.com"]
    [secret] = conditions["kms:EncryptionContext:SecretARN"]
    assert secret.endswith(":secret:${local.name_prefix}/quicksight-reader-*")
    name = one(cfg.of_type("aws_secretsmanager_secret")["quicksight_reader"]["name"])
    assert name == "${local.name_prefix}/quicksight-reader"


# ---------------------------------------------------------------------------------------
# Alarms: each one links its runbook entry
# ---------------------------------------------------------------------------------------

RUNBOOK = REPO / "docs" / "operations.md"


def runbook_entries() -> dict[str, str]:
    """GitHub's anchor of each heading in docs/operations.md -> the section's text."""
    entries: dict[str, str] = {}
    anchor = None
    for line in RUNBOOK.read_text().splitlines():
        heading = re.match(r"^#{2,3} (.+)$", line)
        if heading:
            anchor = re.sub(r"[^a-z0-9 -]", "", heading.group(1).lower()).replace(" ", "-")
            entries[anchor] = ""
        elif anchor:
            entries[anchor] += line + "\n"
    return entries


def alerts(cfg) -> dict[str, str]:
    """Every alarm and alert rule, with its description."""
    found = {}
    for rtype, field in (
        ("aws_cloudwatch_metric_alarm", "alarm_description"),
        ("aws_cloudwatch_event_rule", "description"),
    ):
        for name, body in cfg.of_type(rtype).items():
            found[f"{rtype}.{name}"] = str(one(body.get(field, "")))
    return found


def test_every_alarm_links_its_runbook_entry_which_says_what_to_check_and_do(cfg):
    assert cfg.locals["runbook"] == "docs/operations.md"
    entries = runbook_entries()
    linked = {}
    for name, description in alerts(cfg).items():
        anchors = re.findall(
            r"Runbook: \$\{local\.runbook\}#(?:\$\{each\.value\.runbook\}|([a-z0-9-]+))",
            description,
        )
        if "${each.value.runbook}" in description:  # one alarm per completeness metric
            anchors = [m["runbook"] for m in cfg.locals["completeness_metrics"].values()]
        elif "${local.nightly_success.runbook}" in description:
            anchors = [cfg.locals["nightly_success"]["runbook"]]
        assert anchors and all(anchors), f"{name}: no runbook link in {description!r}"
        linked[name] = anchors
    for name, anchors in linked.items():
        for anchor in anchors:
            assert anchor in entries, f"{name}: docs/operations.md has no entry #{anchor}"
            text = entries[anchor]
            assert "**What it means.**" in text and "**Fix.**" in text, anchor
            checks = text.split("**First checks.**")[1].split("**Fix.**")[0]
            assert re.findall(r"^\d\. ", checks, re.M) == ["1. ", "2. ", "3. "], anchor
    assert sum(len(a) for a in linked.values()) >= 7  # every alarm and rule, one per metric
    for section in ("release", "rollback", "teardown", "state-switch-to-the-s3-backend"):
        assert section in entries, section
    for section in ("release", "rollback"):  # four lines each
        assert re.findall(r"^\d\. ", entries[section], re.M) == ["1. ", "2. ", "3. ", "4. "]


def test_the_nightly_job_pages_when_it_has_not_succeeded(cfg):
    """The absence of the success metric the nightly run publishes: missing hours filled
    with 0 and missing data breaching, over a window the variable sets."""
    from cafe_etl import completeness

    alarm = cfg.of_type("aws_cloudwatch_metric_alarm")["nightly_not_succeeded"]
    assert one(alarm["treat_missing_data"]) == "breaching"
    assert one(alarm["comparison_operator"]) == "LessThanThreshold" and one(alarm["threshold"]) == 1
    hours = "${var.nightly_success_alarm_hours}"
    assert one(alarm["evaluation_periods"]) == hours == one(alarm["datapoints_to_alarm"])
    queries = {one(q["id"]): q for q in alarm["metric_query"]}
    assert one(queries["succeeded"]["expression"]) == "FILL(runs, 0)"
    [metric] = queries["runs"]["metric"]
    assert one(metric["period"]) == 3600 and one(metric["stat"]) == "Sum"
    assert one(metric["metric_name"]) == "${local.nightly_success.metric}"
    assert cfg.locals["nightly_success"]["metric"] in completeness.METRICS
    assert one(metric["namespace"]) == "${local.completeness_namespace}"
    assert cfg.locals["completeness_namespace"] == completeness.METRIC_NAMESPACE
    # Period x EvaluationPeriods at most 604,800 s (PutMetricAlarm): 168 hours.
    validation = one(cfg.variables["nightly_success_alarm_hours"]["validation"])
    assert "<= 168" in one(validation["condition"])
    # It may publish to the alert topic.
    topic_policy = policy_documents()["alerts_topic"]
    assert "aws_cloudwatch_metric_alarm.nightly_not_succeeded.arn" in str(topic_policy)


# ---------------------------------------------------------------------------------------
# Releases: versioned wheel keys, the version from pyproject.toml, rollback by variable
# ---------------------------------------------------------------------------------------


def test_the_wheel_key_carries_pyprojects_version_and_old_releases_stay(cfg):
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    expression = cfg.locals["project_version"]
    literal = re.search(r'regex\("(.+?)",\s*file\(', expression).group(1)
    pattern = re.sub(r"\\(.)", r"\1", literal)  # the HCL string's escapes
    assert 'file("${path.module}/../pyproject.toml")' in expression.replace('\\"', '"')
    # RE2 and Python read this pattern alike.
    assert re.search(pattern, (REPO / "pyproject.toml").read_text()).group(1) == version
    assert cfg.locals["library_version"].replace(" ", "") == (
        "${coalesce(var.library_version,local.project_version)}"
    )
    assert (
        cfg.locals["library_wheel_key"] == "libs/cafe_etl-${local.library_version}-py3-none-any.whl"
    )
    assert one(cfg.variables["library_version"]["default"]) is None
    # The jobs run the key of library_version, after the upload (the resource's output).
    assert cfg.locals["library_wheel_uri"] == "${terraform_data.library_release.output}"
    assert (
        cfg.locals["glue_common_arguments"]["--additional-python-modules"]
        == "${local.library_wheel_uri}"
    )
    release = cfg.of_type("terraform_data")["library_release"]
    assert "local.library_wheel_key" in one(release["input"])
    triggers = str(one(release["triggers_replace"]))
    assert "local.project_version" in triggers and "filemd5(local.library_wheel_path)" in triggers
    command = one(one(release["provisioner"])["local-exec"]["command"])
    assert "libs/cafe_etl-${local.project_version}-py3-none-any.whl" in command
    # Encrypted with the customer key, as every other object (checkov's CKV_CAFE_4 sees
    # aws_s3_object, not this command).
    assert "--sse aws:kms --sse-kms-key-id '${aws_kms_key.main.arn}'" in command
    # No aws_s3_object for the wheel: a changed key would delete the previous release.
    assert "library_wheel" not in cfg.of_type("aws_s3_object")
    text = (TF_DIR / "s3.tf").read_text()
    assert re.search(
        r"removed \{\s+from = aws_s3_object\.library_wheel\s+lifecycle \{\s+destroy = false", text
    )


def test_make_package_builds_the_wheel_without_the_local_stand_ins():
    makefile = (REPO / "Makefile").read_text()
    [target] = re.findall(r"^package:(.*)\n((?:\t.*\n)+)", makefile, re.M)
    prerequisites, recipe = target
    assert "$(STAMP)" not in prerequisites, "package would build the whole local venv"
    assert "$(PYTHON) -m pip wheel" in recipe and "--no-deps" in recipe
    assert "$(PY)" not in recipe.replace("$(PYTHON)", "")


# ---------------------------------------------------------------------------------------
# State and examples
# ---------------------------------------------------------------------------------------


def test_the_lock_file_is_committed_and_pins_what_versions_tf_allows():
    import subprocess

    lock = TF_DIR / ".terraform.lock.hcl"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(lock)], cwd=REPO, check=False
    ).returncode
    assert ignored == 1, ".terraform.lock.hcl is ignored"
    for plan in ("terraform/tfplan", "tfplan"):
        assert (
            subprocess.run(["git", "check-ignore", "-q", plan], cwd=REPO, check=False).returncode
            == 0
        )
    locked = {}
    for entry in hcl2.load(lock.open())["provider"]:
        for address, body in entry.items():
            locked[address.rsplit("/", 1)[1]] = body
    required = hcl2.load((TF_DIR / "versions.tf").open())["terraform"][0]["required_providers"]
    required = {k: one(v) for block in required for k, v in block.items()}
    assert set(locked) == set(required)
    for name, want in required.items():
        major, minor = re.fullmatch(r"~> (\d+)\.(\d+)", want["version"]).groups()
        got = tuple(int(x) for x in one(locked[name]["version"]).split("."))
        assert got[0] == int(major) and got[1] >= int(minor), (name, got, want)
        hashes = one(locked[name]["hashes"])
        assert any(h.startswith("h1:") for h in hashes) and any(h.startswith("zh:") for h in hashes)


def test_the_backend_example_is_s3_with_its_own_lock_file():
    text = (TF_DIR / "backend.tf.example").read_text()
    [backend] = hcl2.loads(text)["terraform"][0]["backend"]
    s3 = backend["s3"]
    assert one(s3["use_lockfile"]) is True and one(s3["encrypt"]) is True
    assert "dynamodb_table" not in s3  # deprecated ("S3" backend, Terraform docs)
    assert re.search(r'required_version = ">= 1\.1[0-9]', (TF_DIR / "versions.tf").read_text())


PROD_EXAMPLE = TF_DIR / "envs" / "prod.tfvars.example"
FILLED = {
    "<vpc-id>": "vpc-0123456789abcdef0",
    "<subnet-id-a>": "subnet-0123456789abcdef0",
    "<subnet-id-b>": "subnet-0123456789abcdef1",
    "<subnet-id-c>": "subnet-0123456789abcdef2",
    "<on-call e-mail address>": "data-alerts@cafe.example",
    "<cost centre>": "data-platform",
}


def _plan(directory, tfvars) -> tuple[int, str]:
    code, stdout, stderr = terraform(
        "plan", directory, input=False, lock=False, var_file=str(tfvars)
    )
    return code, stdout + stderr


def test_the_prod_example_fails_until_its_placeholders_are_filled(variables_only, tmp_path):
    text = PROD_EXAMPLE.read_text()
    assert re.search(r"^force_destroy_buckets = false$", text, re.M)
    placeholders = set(re.findall(r'"(<[^">]+>)"', re.sub(r"(?m)^#.*$", "", text)))
    assert placeholders == set(FILLED), placeholders
    code, output = _plan(variables_only, PROD_EXAMPLE)
    assert code != 0
    for variable in ("vpc_id", "redshift_subnet_ids", "alert_email", "tags"):
        assert f"var.{variable}" in output, f"{variable}'s placeholder passes validation"
    filled = tmp_path / "prod.tfvars"
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    filled.write_text(text)
    code, output = _plan(variables_only, filled)
    assert code == 0, output


# ---------------------------------------------------------------------------------------
# A batch-only deployment: the Glue role reads the stream only when there is one
# ---------------------------------------------------------------------------------------


def test_the_glue_role_reads_the_stream_only_when_streaming_is_on():
    glue = policy_documents()["glue_job"]
    assert not [s for s in glue["statement"] if one(s.get("sid")) == "ReadTillStream"]
    [dynamic] = [d["statement"] for d in glue.get("dynamic", []) if "statement" in d]
    assert one(dynamic["for_each"]) == "${var.enable_streaming ? [1] : []}"
    content = one(dynamic["content"])
    assert one(content["sid"]) == "ReadTillStream"
    assert all(a.startswith("kinesis:") for a in one(content["actions"]))
