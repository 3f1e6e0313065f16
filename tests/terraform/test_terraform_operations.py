"""Operating the deployment: least-privilege object reads, the warehouse bootstrap's
order, QuickSight's one apply, versioned releases, state, and alarms with a runbook.

Read from the HCL with cafe_tf, as the other wiring tests are.
"""

from __future__ import annotations

import re

import hcl2
import pytest
from cafe_etl import schema
from cafe_etl.warehouse.model import SCHEMA
from cafe_etl.warehouse.redshift_s3 import MANIFEST_FOLDER
from cafe_tf import TF_DIR, load_config, one

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
    from cafe_etl.warehouse import sql

    path = REPO / sql.BOOTSTRAP_FILE
    assert path.read_text() == sql.bootstrap_procedure(), (
        f"{sql.BOOTSTRAP_FILE} is stale: .venv/bin/python -c 'from cafe_etl.warehouse import"
        f' sql; print(sql.bootstrap_procedure(), end="")\' > {sql.BOOTSTRAP_FILE}'
    )
    text = path.read_text()
    for name in sql.warehouse_objects():
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
