"""Where a job runs: AWS Glue or a laptop. The one package that makes that choice.

On Glue a job gets a GlueContext and `Job.init`/`commit` (glue.py); locally the Glue JVM
classes are absent (`GlueContext(sc)` fails with "'JavaPackage' object is not callable"),
so it falls back to a local SparkSession with the same session settings (spark.py), on a
Java 17 (java.py). Also here: the job's command line as Glue reads it (args.py) and the
secret salt (salt.py).

Middle layer: imports only io, schema and errors of the project.
"""

from cafe_etl.runtime.args import parse_job_args, setup_logging, spark_conf_args
from cafe_etl.runtime.glue import Runtime, build_runtime
from cafe_etl.runtime.java import ensure_java
from cafe_etl.runtime.salt import LOCAL_DEV_SALT, redact_in_plans, resolve_salt
from cafe_etl.runtime.spark import SESSION_CONF, local_spark

__all__ = [
    "LOCAL_DEV_SALT",
    "SESSION_CONF",
    "Runtime",
    "build_runtime",
    "ensure_java",
    "local_spark",
    "parse_job_args",
    "redact_in_plans",
    "resolve_salt",
    "setup_logging",
    "spark_conf_args",
]
