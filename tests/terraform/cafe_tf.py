"""What the offline Terraform tests share, and the project's own wiring checks.

Providers cannot be downloaded here, so `terraform validate`/`plan` cannot run. Rules any
Terraform reviewer would state (encryption, the salt never passed, worker types, raw-data
expiry) are checkov custom checks in checks/; this module keeps only what is truly this
project's: the job arguments Terraform passes against the ones the scripts accept
(cafe_etl.jobs), the trigger graph, and rendering SQL the Terraform carries so the tests
can parse it. The HCL is read with the hcl2 module checkov itself uses.
"""

from __future__ import annotations

import copy
import functools
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

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
    scripts = one(cfg.of_type("aws_s3_object").get("job_script", {}).get("for_each"))
    uploaded = set(re.findall(r"['\"](\w+)['\"]", str(scripts)))
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
        # moved blocks name addresses of earlier versions on purpose.
        text = re.sub(r"(?ms)^moved \{.*?^\}", "", text)
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
