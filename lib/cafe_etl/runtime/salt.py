"""The secret salt of transaction ids and customer keys, and keeping it out of plans."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import boto3

from cafe_etl.errors import UsageError

log = logging.getLogger("cafe_etl")

LOCAL_DEV_SALT = "cafe-connect-local-development-salt"


def resolve_salt(args: Mapping[str, str | None], on_glue: bool) -> str:
    """The secret salt for transaction ids and customer keys.

    On AWS it must come from Secrets Manager (--hash_salt_secret_id); locally a literal
    --hash_salt or CAFE_HASH_SALT, else a development salt with a warning.
    """
    secret_id = args.get("hash_salt_secret_id")
    if secret_id:
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
