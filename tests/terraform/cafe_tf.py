"""Offline checks of the Terraform in terraform/: parsing, references and wiring.

Providers cannot be downloaded here, so `terraform validate`/`plan` cannot run. These
checks read the configuration itself (HCL parsed by the `hcl2` module that checkov
installs) and the job scripts' argument declarations (parsed with `ast`, never imported),
and compare the two. Every check is a function returning a list of problems: an empty
list means the check passes. The tests run them on the real tree (expecting []) and on
mutated copies (expecting a specific problem), which proves each check bites.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TF_DIR = REPO / "terraform"
GLUE_JOBS_DIR = REPO / "glue_jobs"

# Glue's own job parameters (not script arguments), from "Using job parameters in AWS Glue
# jobs" in the Glue developer guide. An explicit list, so a typo such as --enable-metric
# or a script argument spelt like a Glue one is reported rather than waved through.
GLUE_SPECIAL_ARGS = frozenset(
    {
        "--additional-python-modules",
        "--auto-scale-within-microbatch",
        "--class",
        "--conf",
        "--continuous-log-conversionPattern",
        "--continuous-log-logGroup",
        "--continuous-log-logStreamPrefix",
        "--custom-logGroup-prefix",
        "--custom-logStream-prefix",
        "--customer-driver-env-vars",
        "--customer-executor-env-vars",
        "--datalake-formats",
        "--disable-proxy-v2",
        "--enable-auto-scaling",
        "--enable-continuous-cloudwatch-log",
        "--enable-continuous-log-filter",
        "--enable-glue-datacatalog",
        "--enable-job-insights",
        "--enable-lakeformation-fine-grained-access",
        "--enable-metrics",
        "--enable-observability-metrics",
        "--enable-s3-parquet-optimized-committer",
        "--enable-spark-ui",
        "--executor-cores",
        "--extra-files",
        "--extra-jars",
        "--extra-py-files",
        "--job-bookmark-option",
        "--job-language",
        "--python-modules-installer-option",
        "--spark-event-logs-path",
        "--TempDir",
        "--user-jars-first",
    }
)
# Names Glue sets itself; a job must never pass them.
GLUE_INTERNAL_ARGS = frozenset({"--JOB_NAME", "--debug", "--mode", "--endpoint"})
# Script arguments that must never be set on AWS (the salt comes from Secrets Manager).
FORBIDDEN_SCRIPT_ARGS = {
    "hash_salt": "the salt is read from Secrets Manager (--hash_salt_secret_id)"
}


# ---------------------------------------------------------------------------------------
# HCL loading
# ---------------------------------------------------------------------------------------


def _hcl2():
    import hcl2

    return hcl2


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\")
    return value


def _from_v8_value(value: Any) -> Any:
    """An attribute value of python-hcl2 >= 7 (quoted strings) in the checkov format."""
    if isinstance(value, list):
        return [_from_v8_value(v) for v in value]
    if isinstance(value, dict):
        return {
            _unquote(k): _from_v8_value(v)
            for k, v in value.items()
            if not (k.startswith("__") and k.endswith("__"))
        }
    return _unquote(value)


def _from_v8_body(body: dict) -> dict:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("__") and key.endswith("__"):
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) for v in value)
            and any("__is_block__" in v or _is_label_level(v) for v in value)
        ):
            out[_unquote(key)] = [_from_v8_block(v) for v in value]
        else:
            out[_unquote(key)] = [_from_v8_value(value)]
    return out


def _is_label_level(value: dict) -> bool:
    return (
        bool(value)
        and all(isinstance(v, dict) for v in value.values())
        and all(isinstance(k, str) and k.startswith('"') for k in value)
    )


def _from_v8_block(block: dict) -> dict:
    if "__is_block__" in block:
        return _from_v8_body(block)
    return {_unquote(k): _from_v8_block(v) for k, v in block.items()}


@functools.cache
def _format_of_hcl2() -> str:
    probe = _hcl2().loads('a = "x"\nb {\n  c = 1\n}\n')
    if probe.get("a") == ["x"]:
        return "checkov"  # bc-python-hcl2 (checkov's fork) and python-hcl2 < 5
    if probe.get("a") == '"x"':
        return "v8"
    raise RuntimeError(f"unrecognised output of the hcl2 module: {probe!r}")


def load_hcl(path: Path) -> dict:
    """Parse one HCL file into checkov's shape: attributes wrapped in one-item lists."""
    with open(path, encoding="utf-8") as handle:
        parsed = _hcl2().load(handle)
    if _format_of_hcl2() == "v8":
        return _from_v8_body(parsed)
    return parsed


def attr(body: dict, name: str, default: Any = None) -> Any:
    """The value of attribute `name` of a parsed block."""
    value = body.get(name)
    if value is None:
        return default
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def blocks(body: dict, name: str) -> list[dict]:
    """The nested blocks called `name` of a parsed block."""
    value = body.get(name) or []
    return [b for b in value if isinstance(b, dict)]


@dataclass
class Config:
    """One Terraform module directory, parsed."""

    tf_dir: Path
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: dict[tuple[str, str], dict] = field(default_factory=dict)
    ephemeral: dict[tuple[str, str], dict] = field(default_factory=dict)
    variables: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def of_type(self, rtype: str) -> dict[str, dict]:
        return {name: body for (t, name), body in self.resources.items() if t == rtype}

    @property
    def text(self) -> str:
        return "\n".join(self.texts.values())


def load_config(tf_dir: Path = TF_DIR) -> Config:
    cfg = Config(tf_dir=Path(tf_dir))
    files = sorted(Path(tf_dir).glob("*.tf"))
    if not files:
        raise FileNotFoundError(f"no .tf files in {tf_dir}")
    for path in files:
        cfg.texts[path.name] = path.read_text(encoding="utf-8")
        parsed = load_hcl(path)
        for kind, target in (
            ("resource", cfg.resources),
            ("data", cfg.data),
            ("ephemeral", cfg.ephemeral),
        ):
            for entry in parsed.get(kind, []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        key = (rtype, name)
                        if key in target:
                            raise ValueError(f"{kind} {rtype}.{name} declared twice")
                        target[key] = body
        for entry in parsed.get("variable", []):
            cfg.variables.update(entry)
        for entry in parsed.get("output", []):
            cfg.outputs.update(entry)
        for entry in parsed.get("locals", []):
            for name, value in entry.items():
                if name.startswith("__"):
                    continue
                cfg.locals[name] = (
                    value[0] if isinstance(value, list) and len(value) == 1 else value
                )
    return cfg


# ---------------------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------------------

_RESOURCE_REF = re.compile(
    r"(?<![\w.])((?:aws|random|null|time|tls)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)"
)
_DATA_REF = re.compile(r"(?<![\w.])data\.([a-z0-9_]+)\.([A-Za-z_][\w-]*)")
_EPHEMERAL_REF = re.compile(r"(?<![\w.])ephemeral\.([a-z0-9_]+)\.([A-Za-z_][\w-]*)")
_VAR_REF = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)")
_LOCAL_REF = re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)")
_WHOLE_LOCAL = re.compile(r"\$\{local\.([A-Za-z_][\w-]*)\}")


def as_text(value: Any) -> str:
    """Flatten a parsed value into one string, for reference scanning."""
    if isinstance(value, dict):
        return " ".join(
            f"{k} {as_text(v)}" for k, v in value.items() if not str(k).startswith("__")
        )
    if isinstance(value, list):
        return " ".join(as_text(v) for v in value)
    return str(value)


def resource_refs(value: Any) -> set[tuple[str, str]]:
    return set(_RESOURCE_REF.findall(as_text(value)))


def resolve(cfg: Config, value: Any, depth: int = 0) -> str:
    """A string expression with `${local.x}` (string locals) and `${path.module}` expanded."""
    text = as_text(value) if not isinstance(value, str) else value
    if depth > 20:
        raise RecursionError(f"locals nest too deep in {text!r}")

    def expand(match: re.Match) -> str:
        name = match.group(1)
        if name not in cfg.locals:
            return match.group(0)
        inner = cfg.locals[name]
        if not isinstance(inner, str):
            return match.group(0)
        return resolve(cfg, inner, depth + 1)

    text = _WHOLE_LOCAL.sub(expand, text)
    return text.replace("${path.module}", str(cfg.tf_dir))


def deep_refs(cfg: Config, value: Any, seen: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
    """Resource references of an expression, following locals it uses."""
    text = as_text(value)
    found = set(_RESOURCE_REF.findall(text))
    for name in _LOCAL_REF.findall(text):
        if name in cfg.locals and name not in seen:
            found |= deep_refs(cfg, cfg.locals[name], seen | {name})
    return found


# ---------------------------------------------------------------------------------------
# Job scripts
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptArgs:
    required: tuple[str, ...]
    optional: dict[str, Any]

    @property
    def known(self) -> set[str]:
        return set(self.required) | set(self.optional)


def read_script_args(path: Path) -> ScriptArgs:
    """REQUIRED_ARGS and OPTIONAL_ARGS of a job script, read from its AST (not imported)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    found: dict[str, Any] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("REQUIRED_ARGS", "OPTIONAL_ARGS"):
                found[target.id] = ast.literal_eval(value)
    missing = {"REQUIRED_ARGS", "OPTIONAL_ARGS"} - set(found)
    if missing:
        raise ValueError(f"{path.name} declares no module-level {', '.join(sorted(missing))}")
    required, optional = found["REQUIRED_ARGS"], found["OPTIONAL_ARGS"]
    if not isinstance(required, tuple) or not all(isinstance(n, str) for n in required):
        raise ValueError(f"{path.name}: REQUIRED_ARGS must be a tuple of names")
    if not isinstance(optional, dict):
        raise ValueError(f"{path.name}: OPTIONAL_ARGS must be a dict")
    return ScriptArgs(required=required, optional=optional)


def _same_expression_hashed(source: Any, source_hash: Any) -> bool:
    """source_hash is filemd5() of exactly the object's source expression."""

    def bare(value: Any) -> str:
        return re.sub(r'[\s"${}]', "", str(value))

    text = str(source_hash)
    return text.startswith("${filemd5(") and bare(text) == f"filemd5({bare(source)})"


def job_script_path(cfg: Config, job: str, body: dict) -> tuple[Path | None, list[str]]:
    """The local file uploaded as a job's script, via the aws_s3_object its location names."""
    problems: list[str] = []
    command = blocks(body, "command")
    if len(command) != 1:
        return None, [f"aws_glue_job.{job}: needs exactly one command block"]
    location = attr(command[0], "script_location", "")
    objects = [name for (rtype, name) in resource_refs(location) if rtype == "aws_s3_object"]
    if len(set(objects)) != 1:
        return None, [
            f"aws_glue_job.{job}: script_location {location!r} must point at one uploaded aws_s3_object"
        ]
    obj_name = objects[0]
    obj = cfg.resources.get(("aws_s3_object", obj_name))
    if obj is None:
        return None, [f"aws_glue_job.{job}: script object aws_s3_object.{obj_name} is not declared"]
    source = resolve(cfg, attr(obj, "source", ""))
    if "${" in source:
        return None, [f"aws_s3_object.{obj_name}: source {source!r} is not a plain path"]
    path = Path(os.path.normpath(source))
    if not _same_expression_hashed(attr(obj, "source", ""), attr(obj, "source_hash", "")):
        problems.append(
            f"aws_s3_object.{obj_name}: needs source_hash = filemd5(<its source>) so a changed script redeploys"
        )
    return path, problems


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------


def check_job_scripts(cfg: Config, glue_jobs_dir: Path = GLUE_JOBS_DIR) -> list[str]:
    """Every job's script is an uploaded object whose source is an existing glue_jobs/ file."""
    problems: list[str] = []
    jobs = cfg.of_type("aws_glue_job")
    if not jobs:
        problems.append("no aws_glue_job in the configuration")
    jobs_dir = Path(os.path.normpath(glue_jobs_dir)).resolve()
    for job, body in sorted(jobs.items()):
        path, found = job_script_path(cfg, job, body)
        problems += found
        if path is None:
            continue
        if path.resolve().parent != jobs_dir:
            problems.append(f"aws_glue_job.{job}: script {path} is not in {jobs_dir}")
        elif not path.is_file():
            problems.append(f"aws_glue_job.{job}: script glue_jobs/{path.name} does not exist")
    return problems


def check_job_arguments(cfg: Config, glue_jobs_dir: Path = GLUE_JOBS_DIR) -> list[str]:
    """Each job passes every argument its script requires and nothing the script doesn't know."""
    problems: list[str] = []
    jobs_dir = Path(os.path.normpath(glue_jobs_dir)).resolve()
    for job, body in sorted(cfg.of_type("aws_glue_job").items()):
        path, _ = job_script_path(cfg, job, body)
        if path is None or path.resolve().parent != jobs_dir or not path.is_file():
            problems.append(
                f"aws_glue_job.{job}: cannot read the script's arguments (script missing)"
            )
            continue
        try:
            script = read_script_args(path)
        except (SyntaxError, ValueError) as exc:
            problems.append(f"aws_glue_job.{job}: {exc}")
            continue
        arguments = attr(body, "default_arguments") or {}
        if not isinstance(arguments, dict):
            problems.append(f"aws_glue_job.{job}: default_arguments must be a literal map")
            continue
        passed = set()
        for key in arguments:
            if not key.startswith("--"):
                problems.append(f"aws_glue_job.{job}: argument {key!r} must start with --")
            elif key in GLUE_INTERNAL_ARGS:
                problems.append(
                    f"aws_glue_job.{job}: {key} is set by Glue itself and must not be passed"
                )
            elif key in GLUE_SPECIAL_ARGS:
                continue
            else:
                name = key[2:]
                passed.add(name)
                if name in FORBIDDEN_SCRIPT_ARGS:
                    problems.append(
                        f"aws_glue_job.{job}: {key} must not be passed on AWS: {FORBIDDEN_SCRIPT_ARGS[name]}"
                    )
                elif name not in script.known:
                    problems.append(
                        f"aws_glue_job.{job}: argument {key} is unknown to {path.name} "
                        "(not in its REQUIRED_ARGS or OPTIONAL_ARGS, and not a Glue parameter)"
                    )
        for name in script.required:
            if name != "JOB_NAME" and name not in passed:
                problems.append(
                    f"aws_glue_job.{job}: required argument --{name} of {path.name} is not passed"
                )
        if "hash_salt_secret_id" in script.known:
            secret = arguments.get("--hash_salt_secret_id")
            if secret is None:
                problems.append(
                    f"aws_glue_job.{job}: --hash_salt_secret_id must name the salt secret"
                )
            elif not any(t == "aws_secretsmanager_secret" for t, _ in resource_refs(secret)):
                problems.append(
                    f"aws_glue_job.{job}: --hash_salt_secret_id must reference an aws_secretsmanager_secret"
                )
    return problems


def check_triggers(cfg: Config) -> list[str]:
    """Triggers name jobs, crawlers and workflows that exist, and form the nightly schedule."""
    problems: list[str] = []
    jobs = cfg.of_type("aws_glue_job")
    crawlers = cfg.of_type("aws_glue_crawler")
    workflows = cfg.of_type("aws_glue_workflow")
    triggers = cfg.of_type("aws_glue_trigger")
    if not triggers:
        return ["no aws_glue_trigger in the configuration"]

    def target(kind: str, value: Any, where: str) -> str | None:
        refs = resource_refs(value)
        wanted = {
            "job": ("aws_glue_job", jobs),
            "crawler": ("aws_glue_crawler", crawlers),
            "workflow": ("aws_glue_workflow", workflows),
        }[kind]
        names = [n for t, n in refs if t == wanted[0]]
        if len(names) != 1:
            problems.append(f"{where}: {kind} {value!r} is not a reference to an {wanted[0]}")
            return None
        if names[0] not in wanted[1]:
            problems.append(f"{where}: {wanted[0]}.{names[0]} does not exist")
            return None
        return names[0]

    shape = []
    for name, body in sorted(triggers.items()):
        where = f"aws_glue_trigger.{name}"
        workflow = None
        if attr(body, "workflow_name") is not None:
            workflow = target("workflow", attr(body, "workflow_name"), where)
        actions = []
        for action in blocks(body, "actions"):
            if attr(action, "job_name") is not None:
                actions.append(("job", target("job", attr(action, "job_name"), where)))
            elif attr(action, "crawler_name") is not None:
                actions.append(("crawler", target("crawler", attr(action, "crawler_name"), where)))
            else:
                problems.append(f"{where}: an action names neither a job nor a crawler")
        if not actions:
            problems.append(f"{where}: has no actions")
        conditions = []
        for predicate in blocks(body, "predicate"):
            for condition in blocks(predicate, "conditions"):
                if attr(condition, "job_name") is not None:
                    conditions.append(
                        (
                            "job",
                            target("job", attr(condition, "job_name"), where),
                            attr(condition, "state"),
                        )
                    )
                elif attr(condition, "crawler_name") is not None:
                    conditions.append(
                        (
                            "crawler",
                            target("crawler", attr(condition, "crawler_name"), where),
                            attr(condition, "crawl_state"),
                        )
                    )
        trigger_type = attr(body, "type")
        if trigger_type == "CONDITIONAL" and not conditions:
            problems.append(f"{where}: a CONDITIONAL trigger needs predicate conditions")
        if trigger_type == "SCHEDULED" and not str(attr(body, "schedule", "")).strip():
            problems.append(f"{where}: a SCHEDULED trigger needs a schedule")
        shape.append((name, trigger_type, workflow, actions, conditions))

    by_command = {
        attr(blocks(b, "command")[0], "name", "glueetl") if blocks(b, "command") else None: n
        for n, b in jobs.items()
    }
    nightly, streaming = by_command.get("glueetl"), by_command.get("gluestreaming")
    lake = _lake_crawler_name(cfg)
    if nightly and not any(
        t == "SCHEDULED" and w and ("job", nightly) in a for _, t, w, a, _ in shape
    ):
        problems.append(f"no SCHEDULED trigger in a workflow starts aws_glue_job.{nightly}")
    if (
        nightly
        and lake
        and not any(
            t == "CONDITIONAL" and ("crawler", lake) in a and ("job", nightly, "SUCCEEDED") in c
            for _, t, _w, a, c in shape
        )
    ):
        problems.append(
            f"no CONDITIONAL trigger starts aws_glue_crawler.{lake} when aws_glue_job.{nightly} SUCCEEDED"
        )
    if streaming and not any(
        t == "SCHEDULED" and ("job", streaming) in a for _, t, _w, a, _ in shape
    ):
        problems.append(f"no SCHEDULED trigger restarts aws_glue_job.{streaming}")
    return problems


def _job_arguments(cfg: Config) -> dict[str, dict]:
    return {
        name: (attr(body, "default_arguments") or {})
        for name, body in cfg.of_type("aws_glue_job").items()
    }


def _lake_uri(cfg: Config) -> tuple[str | None, list[str]]:
    uris = {
        resolve(cfg, args["--lake_uri"])
        for args in _job_arguments(cfg).values()
        if "--lake_uri" in args
    }
    if len(uris) != 1:
        return None, [f"the jobs must share one --lake_uri, found {sorted(uris)}"]
    uri = uris.pop()
    if not re.fullmatch(r"s3://\$\{aws_s3_bucket\.[\w-]+\.(bucket|id)\}/", uri):
        return None, [f"--lake_uri {uri!r} must be s3://<lake bucket>/"]
    return uri, []


def _lake_crawler_name(cfg: Config) -> str | None:
    uri, _ = _lake_uri(cfg)
    if uri is None:
        return None
    for name, body in cfg.of_type("aws_glue_crawler").items():
        if any(
            resolve(cfg, attr(t, "path", "")).startswith(uri) for t in blocks(body, "s3_target")
        ):
            return name
    return None


def check_crawler_targets(cfg: Config, lake_tables: dict[str, str]) -> list[str]:
    """The lake crawler crawls exactly the lake tables the jobs write; the raw crawler the raw zone.

    lake_tables maps the role ("transactions", "basket_items", optional "quarantine") to the
    folder name defined in cafe_etl.schema.
    """
    uri, problems = _lake_uri(cfg)
    if uri is None:
        return problems
    lake = _lake_crawler_name(cfg)
    if lake is None:
        return [f"no aws_glue_crawler has an s3_target under the jobs' --lake_uri {uri}"]
    targets = {
        resolve(cfg, attr(t, "path", ""))
        for t in blocks(cfg.resources[("aws_glue_crawler", lake)], "s3_target")
    }
    required = {f"{uri}{lake_tables['transactions']}/", f"{uri}{lake_tables['basket_items']}/"}
    allowed = required | (
        {f"{uri}{lake_tables['quarantine']}/"} if "quarantine" in lake_tables else set()
    )
    for path in sorted(required - targets):
        problems.append(f"aws_glue_crawler.{lake}: does not crawl {path}, a table the jobs write")
    for path in sorted(targets - allowed):
        problems.append(
            f"aws_glue_crawler.{lake}: crawls {path}, which is not a lake table the jobs write"
        )

    raw_uris = {
        resolve(cfg, a["--raw_uri"]) for a in _job_arguments(cfg).values() if "--raw_uri" in a
    }
    raw_crawled = {
        resolve(cfg, attr(t, "path", ""))
        for name, body in cfg.of_type("aws_glue_crawler").items()
        if name != lake
        for t in blocks(body, "s3_target")
    }
    for raw_uri in sorted(raw_uris - raw_crawled):
        problems.append(f"no crawler crawls the raw zone {raw_uri} the nightly job reads")
    for name, body in cfg.of_type("aws_glue_crawler").items():
        if (
            name != lake
            and raw_uris
            and not any("aws_glue_classifier" in as_text(c) for c in [attr(body, "classifiers")])
        ):
            problems.append(f"aws_glue_crawler.{name}: the raw crawler must use the CSV classifier")
    return problems


# What each role's policy must name, by resource type. Derived from the design: the jobs
# read raw, write lake and artifacts, read the stream and the salt, load the one
# workgroup; the crawlers read raw and lake; Redshift's COPY role reads the lake.
EXPECTED_POLICY_TARGETS: dict[str, dict[str, set[str]]] = {
    "glue_job": {
        "aws_s3_bucket": {"raw", "lake", "artifacts"},
        "aws_kinesis_stream": {"transactions"},
        "aws_kms_key": {"main"},
        "aws_secretsmanager_secret": {"hash_salt"},
        "aws_redshiftserverless_workgroup": {"main"},
        "aws_cloudwatch_log_group": {"glue_jobs"},
    },
    "glue_crawler": {
        "aws_s3_bucket": {"raw", "lake"},
        "aws_kms_key": {"main"},
        "aws_glue_catalog_database": {"main"},
    },
    "redshift_copy": {
        "aws_s3_bucket": {"lake"},
        "aws_kms_key": {"main"},
    },
}
# Statements allowed Resource "*", because AWS supports no resource-level permission for
# their actions. The .tf must say so in a comment above the statement as well.
STAR_RESOURCE_STATEMENTS = {
    "ReadOwnStatementResults": "redshift-data Describe/GetStatementResult/Cancel have no resource types",
    "PublishGlueMetrics": "cloudwatch:PutMetricData has no resource types",
}
# ARNs that name no resource of this configuration but are still exact: Glue chooses the
# names of its log groups, and catalog API calls are authorised on the catalog itself.
GLUE_NAMED_ARN = re.compile(
    r":logs:[^:*]+:[^:*]+:log-group:/aws-glue/(jobs/|crawlers)[^:]*(:\*)?$"
    r"|:glue:[^:*]+:[^:*]+:catalog$"
)


def _role_policies(cfg: Config) -> dict[str, list[tuple[str, dict]]]:
    """role name -> [(policy document name, document body)] for inline and attached policies."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for body in cfg.of_type("aws_iam_role_policy").values():
        roles = [n for t, n in resource_refs(attr(body, "role")) if t == "aws_iam_role"]
        docs = _DATA_REF.findall(as_text(attr(body, "policy")))
        for role in roles:
            for dtype, dname in docs:
                if (
                    dtype == "aws_iam_policy_document"
                    and ("aws_iam_policy_document", dname) in cfg.data
                ):
                    out.setdefault(role, []).append(
                        (dname, cfg.data[("aws_iam_policy_document", dname)])
                    )
    for body in cfg.of_type("aws_iam_role_policy_attachment").values():
        roles = [n for t, n in resource_refs(attr(body, "role")) if t == "aws_iam_role"]
        if "arn:aws:iam::aws:policy" in as_text(attr(body, "policy_arn")):
            for role in roles:
                out.setdefault(role, []).append((f"managed {attr(body, 'policy_arn')}", {}))
    return out


def check_iam_policies(cfg: Config) -> list[str]:
    """Role policies name exactly the expected, existing resources; "*" only where AWS requires it."""
    problems: list[str] = []
    policies = _role_policies(cfg)
    for role in sorted(set(policies) | set(EXPECTED_POLICY_TARGETS)):
        if ("aws_iam_role", role) not in cfg.resources:
            problems.append(f"aws_iam_role.{role} does not exist")
            continue
        named: dict[str, set[str]] = {}
        for doc_name, doc in policies.get(role, []):
            if doc_name.startswith("managed "):
                problems.append(
                    f"aws_iam_role.{role}: AWS managed policy {doc_name[8:]} is broader than least privilege"
                )
                continue
            for statement in blocks(doc, "statement"):
                sid = attr(statement, "sid", "<no sid>")
                where = f"data.aws_iam_policy_document.{doc_name} statement {sid}"
                if attr(statement, "effect", "Allow") != "Allow":
                    continue
                actions = attr(statement, "actions") or []
                actions = actions if isinstance(actions, list) else [actions]
                for action in actions:
                    if action == "*" or action.endswith(":*"):
                        problems.append(f"{where}: action {action} grants a whole service")
                resources = attr(statement, "resources") or []
                resources = resources if isinstance(resources, list) else [resources]
                if not resources:
                    problems.append(f"{where}: names no resources")
                for resource in resources:
                    if resource == "*":
                        if sid not in STAR_RESOURCE_STATEMENTS:
                            problems.append(f'{where}: Resource "*" is not one AWS requires')
                        elif not _star_comment_present(cfg, sid):
                            problems.append(
                                f'{where}: Resource "*" needs a comment saying why AWS requires it'
                            )
                        continue
                    refs = deep_refs(cfg, resource)
                    if not refs:
                        if not GLUE_NAMED_ARN.search(resolve(cfg, resource)):
                            problems.append(
                                f"{where}: resource {resource!r} names nothing this configuration creates"
                            )
                        continue
                    for rtype, rname in refs:
                        if (rtype, rname) not in cfg.resources:
                            problems.append(f"{where}: {rtype}.{rname} does not exist")
                        named.setdefault(rtype, set()).add(rname)
        expected = EXPECTED_POLICY_TARGETS.get(role)
        if expected is None:
            continue
        for rtype in sorted(set(expected) | set(named)):
            want, got = expected.get(rtype, set()), named.get(rtype, set())
            if want != got:
                problems.append(
                    f"aws_iam_role.{role}: policy names {rtype} {sorted(got)}, expected exactly {sorted(want)}"
                )
    return problems


def _star_comment_present(cfg: Config, sid: str) -> bool:
    for text in cfg.texts.values():
        match = re.search(r'sid\s*=\s*"' + re.escape(sid) + '"', text)
        if match:
            before = text[: match.start()].rsplit("statement", 1)[0][-600:]
            return 'AWS requires "*"' in before
    return False


def check_event_rules(cfg: Config) -> list[str]:
    """No EventBridge/CloudWatch schedule starts anything; the failure rule exists."""
    problems: list[str] = []
    for rtype in ("aws_scheduler_schedule", "aws_scheduler_schedule_group"):
        for name in cfg.of_type(rtype):
            problems.append(
                f"{rtype}.{name}: EventBridge Scheduler must not schedule anything; Glue triggers are the schedule"
            )
    rules = cfg.of_type("aws_cloudwatch_event_rule")
    for name, body in sorted(rules.items()):
        if attr(body, "schedule_expression") is not None:
            problems.append(
                f"aws_cloudwatch_event_rule.{name}: has a schedule_expression; Glue triggers are the schedule"
            )
    for name, body in sorted(cfg.of_type("aws_cloudwatch_event_target").items()):
        arn = as_text(attr(body, "arn"))
        refs = resource_refs(arn)
        if any(
            t in ("aws_glue_job", "aws_glue_workflow", "aws_glue_trigger", "aws_glue_crawler")
            for t, _ in refs
        ) or re.search(r":glue:.*:(job|workflow|trigger|crawler)/", arn):
            problems.append(
                f"aws_cloudwatch_event_target.{name}: targets Glue ({arn}); no rule may start a job"
            )
    failure_rules = [
        n
        for n, b in rules.items()
        if "Glue Job State Change" in as_text(attr(b, "event_pattern"))
        and all(s in as_text(attr(b, "event_pattern")) for s in ("FAILED", "TIMEOUT", "ERROR"))
    ]
    if not failure_rules:
        problems.append(
            "no aws_cloudwatch_event_rule matches Glue Job State Change FAILED/TIMEOUT/ERROR"
        )
    targets = cfg.of_type("aws_cloudwatch_event_target")
    for rule in failure_rules:
        if not any(
            ("aws_cloudwatch_event_rule", rule) in resource_refs(attr(t, "rule"))
            and any(rt == "aws_sns_topic" for rt, _ in resource_refs(attr(t, "arn")))
            for t in targets.values()
        ):
            problems.append(f"aws_cloudwatch_event_rule.{rule}: has no SNS topic target")
    return problems


def _security_configuration_ok(cfg: Config, value: Any, where: str) -> list[str]:
    names = [n for t, n in resource_refs(value) if t == "aws_glue_security_configuration"]
    if len(names) != 1:
        return [
            f"{where}: must use the Glue security configuration (security_configuration = aws_glue_security_configuration.X.name)"
        ]
    if ("aws_glue_security_configuration", names[0]) not in cfg.resources:
        return [f"{where}: aws_glue_security_configuration.{names[0]} does not exist"]
    return []


def _with_variable_default(cfg: Config, value: Any) -> Any:
    """A literal, or the default of the variable an expression consists of."""
    match = re.fullmatch(r"\$\{var\.([A-Za-z_][\w-]*)\}", str(value))
    if match and match.group(1) in cfg.variables:
        return attr(cfg.variables[match.group(1)], "default")
    return value


def check_glue_settings(cfg: Config) -> list[str]:
    """The two jobs' runtime settings, and the security configuration on every job and crawler."""
    problems: list[str] = []
    jobs = cfg.of_type("aws_glue_job")
    by_command: dict[str, list[str]] = {}
    for name, body in jobs.items():
        command = blocks(body, "command")
        by_command.setdefault(attr(command[0], "name", "glueetl") if command else "?", []).append(
            name
        )
    expected = {
        "glueetl": {
            "glue_version": "5.1",
            "worker_type": "G.1X",
            "number_of_workers": 2,
            "max_retries": 1,
        },
        "gluestreaming": {"worker_type": "G.025X", "number_of_workers": 2},
    }
    for command, settings in expected.items():
        names = by_command.get(command, [])
        if len(names) != 1:
            problems.append(f"expected exactly one {command} job, found {sorted(names)}")
            continue
        body = jobs[names[0]]
        where = f"aws_glue_job.{names[0]}"
        for key, value in settings.items():
            if attr(body, key) != value:
                problems.append(f"{where}: {key} is {attr(body, key)!r}, expected {value!r}")
        if command == "glueetl":
            if attr(body, "timeout") is None:
                problems.append(f"{where}: needs a timeout")
            args = attr(body, "default_arguments") or {}
            for flag in ("--enable-metrics", "--enable-observability-metrics"):
                if str(args.get(flag, "")).lower() != "true":
                    problems.append(f'{where}: {flag} must be "true"')
            # Glue 5 logs in real time; the group is chosen by this prefix.
            if not args.get("--custom-logGroup-prefix"):
                problems.append(f"{where}: --custom-logGroup-prefix must name the log groups")
        if command == "gluestreaming":
            version = _with_variable_default(cfg, attr(body, "glue_version"))
            if version != "5.1":
                problems.append(
                    f"{where}: glue_version {version!r}: use the newest Glue that runs "
                    "streaming jobs (5.1, see terraform/README.md)"
                )
        for flag in ("--additional-python-modules",):
            args = attr(body, "default_arguments") or {}
            modules = resolve(cfg, args.get(flag, ""))
            if "aws_s3_object" not in modules:
                problems.append(
                    f"{where}: {flag} must load the uploaded cafe_etl wheel (an aws_s3_object)"
                )
    for rtype in ("aws_glue_job", "aws_glue_crawler"):
        for name, body in sorted(cfg.of_type(rtype).items()):
            problems += _security_configuration_ok(
                cfg, attr(body, "security_configuration"), f"{rtype}.{name}"
            )
    for name, body in cfg.of_type("aws_glue_security_configuration").items():
        enc = blocks(body, "encryption_configuration")
        enc = enc[0] if enc else {}
        modes = {
            "cloudwatch_encryption": ("cloudwatch_encryption_mode", "SSE-KMS"),
            "job_bookmarks_encryption": ("job_bookmarks_encryption_mode", "CSE-KMS"),
            "s3_encryption": ("s3_encryption_mode", "SSE-KMS"),
        }
        for block, (key, mode) in modes.items():
            sub = blocks(enc, block)
            if (
                not sub
                or attr(sub[0], key) != mode
                or not any(
                    t == "aws_kms_key" for t, _ in resource_refs(attr(sub[0], "kms_key_arn"))
                )
            ):
                problems.append(
                    f"aws_glue_security_configuration.{name}: {block} must be {mode} with the customer key"
                )
    return problems


def _attached(cfg: Config, rtype: str, bucket: str) -> list[tuple[str, dict]]:
    return [
        (name, body)
        for name, body in cfg.of_type(rtype).items()
        if ("aws_s3_bucket", bucket) in resource_refs(attr(body, "bucket"))
    ]


# Buckets that may not use the customer key, and why. S3 server access log delivery
# supports only SSE-S3 on its target bucket.
SSE_S3_BUCKETS = {
    "access_logs": "S3 server access log delivery supports only SSE-S3 on the target bucket"
}


def check_buckets(cfg: Config) -> list[str]:
    """Every bucket: encrypted (SSE-KMS with the customer key), versioned, private, TLS-only, with lifecycle rules."""
    problems: list[str] = []
    buckets = cfg.of_type("aws_s3_bucket")
    if not buckets:
        return ["no aws_s3_bucket in the configuration"]
    for bucket in sorted(buckets):
        where = f"aws_s3_bucket.{bucket}"
        sse = _attached(cfg, "aws_s3_bucket_server_side_encryption_configuration", bucket)
        if len(sse) != 1:
            problems.append(
                f"{where}: has {len(sse)} server-side encryption configurations, needs exactly one"
            )
        else:
            rules = blocks(sse[0][1], "rule")
            default = blocks(rules[0], "apply_server_side_encryption_by_default") if rules else []
            algorithm = attr(default[0], "sse_algorithm") if default else None
            key = attr(default[0], "kms_master_key_id") if default else None
            if bucket in SSE_S3_BUCKETS:
                if algorithm != "AES256":
                    problems.append(f"{where}: must use SSE-S3 (AES256): {SSE_S3_BUCKETS[bucket]}")
            elif algorithm != "aws:kms" or not any(
                t == "aws_kms_key" for t, _ in resource_refs(key)
            ):
                problems.append(
                    f"{where}: must be encrypted with SSE-KMS and the customer-managed key"
                )
        versioning = _attached(cfg, "aws_s3_bucket_versioning", bucket)
        if (
            len(versioning) != 1
            or attr(blocks(versioning[0][1], "versioning_configuration")[0], "status") != "Enabled"
        ):
            problems.append(f"{where}: versioning must be Enabled")
        pab = _attached(cfg, "aws_s3_bucket_public_access_block", bucket)
        flags = (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
        if len(pab) != 1 or not all(attr(pab[0][1], f) is True for f in flags):
            problems.append(f"{where}: public access must be blocked (all four flags true)")
        policies = _attached(cfg, "aws_s3_bucket_policy", bucket)
        docs = [
            d
            for _, p in policies
            for t, d in _DATA_REF.findall(as_text(attr(p, "policy")))
            if t == "aws_iam_policy_document"
        ]
        if not any(
            "aws:SecureTransport" in as_text(cfg.data.get(("aws_iam_policy_document", d), {}))
            for d in docs
        ):
            problems.append(
                f"{where}: the bucket policy must deny requests without TLS (aws:SecureTransport)"
            )
        lifecycle = _attached(cfg, "aws_s3_bucket_lifecycle_configuration", bucket)
        if len(lifecycle) != 1:
            problems.append(f"{where}: needs a lifecycle configuration")
        else:
            rules = blocks(lifecycle[0][1], "rule")
            if not any(blocks(r, "noncurrent_version_expiration") for r in rules):
                problems.append(f"{where}: lifecycle must expire old versions")
            if bucket == "raw" and not any(
                "var.raw_retention_days" in as_text(attr(e, "days"))
                for r in rules
                for e in blocks(r, "expiration")
            ):
                problems.append(
                    f"{where}: raw files hold personal data; they must expire after var.raw_retention_days"
                )
    return problems


def check_resources_present(cfg: Config) -> list[str]:
    """The resources issue 3 asks for are all declared."""
    problems: list[str] = []
    wanted = {
        "aws_kms_key": 1,
        "aws_s3_bucket": 3,
        "aws_glue_catalog_database": 1,
        "aws_glue_classifier": 1,
        "aws_glue_crawler": 2,
        "aws_glue_security_configuration": 1,
        "aws_glue_job": 2,
        "aws_glue_workflow": 1,
        "aws_glue_trigger": 3,
        "aws_kinesis_stream": 1,
        "aws_redshiftserverless_namespace": 1,
        "aws_redshiftserverless_workgroup": 1,
        "aws_sns_topic": 1,
        "aws_cloudwatch_event_rule": 1,
        "aws_cloudwatch_metric_alarm": 1,
        "aws_secretsmanager_secret": 1,
        "aws_iam_role": 3,
        "aws_s3_object": 3,
    }
    for rtype, minimum in wanted.items():
        if len(cfg.of_type(rtype)) < minimum:
            problems.append(f"expected at least {minimum} {rtype}, found {len(cfg.of_type(rtype))}")
    for name, body in cfg.of_type("aws_kms_key").items():
        if attr(body, "enable_key_rotation") is not True:
            problems.append(f"aws_kms_key.{name}: key rotation must be on")
    for name, body in cfg.of_type("aws_kinesis_stream").items():
        if attr(body, "encryption_type") != "KMS" or not any(
            t == "aws_kms_key" for t, _ in resource_refs(attr(body, "kms_key_id"))
        ):
            problems.append(
                f"aws_kinesis_stream.{name}: must be KMS-encrypted with the customer key"
            )
        if attr(body, "retention_period") is None:
            problems.append(f"aws_kinesis_stream.{name}: must set retention_period")
    for name, body in cfg.of_type("aws_redshiftserverless_namespace").items():
        if attr(body, "manage_admin_password") is not True:
            problems.append(
                f"aws_redshiftserverless_namespace.{name}: the admin password must be managed by Redshift"
            )
        if not any(t == "aws_iam_role" for t, _ in resource_refs(attr(body, "iam_roles"))):
            problems.append(
                f"aws_redshiftserverless_namespace.{name}: needs the COPY role in iam_roles"
            )
    for name, body in cfg.of_type("aws_redshiftserverless_workgroup").items():
        if attr(body, "publicly_accessible") is not False:
            problems.append(
                f"aws_redshiftserverless_workgroup.{name}: must not be publicly accessible"
            )
        if "var." not in as_text(attr(body, "subnet_ids")):
            problems.append(
                f"aws_redshiftserverless_workgroup.{name}: subnets must come from a variable"
            )
    for name, body in cfg.of_type("aws_s3_object").items():
        if not _same_expression_hashed(attr(body, "source", ""), attr(body, "source_hash", "")):
            problems.append(
                f"aws_s3_object.{name}: needs source_hash = filemd5(<its source>) so changes redeploy"
            )
    for name, body in cfg.of_type("aws_secretsmanager_secret_version").items():
        if attr(body, "secret_string") is not None:
            problems.append(
                f"aws_secretsmanager_secret_version.{name}: use secret_string_wo so the value stays out of state"
            )
    return problems


def check_references(cfg: Config, tfvars: Path | None = None) -> list[str]:
    """Every var./local./resource/data/ephemeral reference names something declared; variables are described."""
    problems: list[str] = []
    text = "\n".join(re.sub(r"(?m)^\s*#.*$", "", t) for t in cfg.texts.values())
    for name in sorted(set(_VAR_REF.findall(text)) - set(cfg.variables)):
        problems.append(f"var.{name} is used but not declared")
    for name in sorted(set(_LOCAL_REF.findall(text)) - set(cfg.locals)):
        problems.append(f"local.{name} is used but not declared")
    for rtype, name in sorted(set(_RESOURCE_REF.findall(text))):
        if (rtype, name) not in cfg.resources:
            problems.append(f"{rtype}.{name} is referenced but not declared")
    for dtype, name in sorted(set(_DATA_REF.findall(text))):
        if (dtype, name) not in cfg.data:
            problems.append(f"data.{dtype}.{name} is referenced but not declared")
    for etype, name in sorted(set(_EPHEMERAL_REF.findall(text))):
        if (etype, name) not in cfg.ephemeral:
            problems.append(f"ephemeral.{etype}.{name} is referenced but not declared")
    for name, body in sorted(cfg.variables.items()):
        if not str(attr(body, "description", "")).strip():
            problems.append(f"variable {name} has no description")
        if attr(body, "type") is None:
            problems.append(f"variable {name} has no type")
    for name, body in sorted(cfg.outputs.items()):
        if not str(attr(body, "description", "")).strip():
            problems.append(f"output {name} has no description")
    if tfvars is not None:
        values = load_hcl(tfvars)
        for key in sorted(set(values) - set(cfg.variables)):
            problems.append(f"{tfvars.name}: {key} is not a declared variable")
        for name, body in sorted(cfg.variables.items()):
            if "default" not in body and name not in values:
                problems.append(f"{tfvars.name}: required variable {name} has no value")
    return problems


def lake_tables_from_schema() -> dict[str, str]:
    """The lake folder names defined once in lib/cafe_etl/schema.py."""
    from cafe_etl import schema

    return {
        "transactions": schema.LAKE_TRANSACTIONS,
        "basket_items": schema.LAKE_BASKET_ITEMS,
        "quarantine": schema.LAKE_QUARANTINE,
    }


def copy_module(source: Path, target: Path) -> Path:
    """Copy a directory for a mutation test, leaving out terraform init's downloads and state."""
    import shutil

    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*.tfplan", "__pycache__"),
    )
    return target


def checkov_command() -> list[str]:
    """checkov from the same environment as this interpreter."""
    return [sys.executable, "-m", "checkov.main"]
