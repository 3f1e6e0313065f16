"""The Redshift loader's side of S3: which lake files a COPY reads, and its manifests.

A batch call takes at most 40 statements, so a load never sends a COPY per day: it lists
the days' Parquet files on S3 and writes one COPY manifest per lake table (and the run's
file-ledger rows as JSON lines) under `_redshift_manifests/RUN/` in the lake bucket.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

from cafe_etl.errors import RedshiftLoadError
from cafe_etl.lake import partition_paths
from cafe_etl.warehouse import sql

# Beside the lake's tables, never crawled (the lake crawler targets the table folders).
MANIFEST_FOLDER = "_redshift_manifests"


def write_ledger(s3, lake_uri: str, run_id: str, ledger: list[tuple]) -> str:
    """The run's ledger rows as JSON lines beside its manifests, for one COPY.

    COPY from JSON maps each object's field names to the table's column names
    ("Column mapping options", docs.aws.amazon.com/redshift/latest/dg/
    copy-parameters-column-mapping.html); a JSON null loads as NULL, and TIMEFORMAT
    'auto' reads the ISO timestamps with fractional seconds ("Data conversion
    parameters"). The contract tests check that the file exists where the COPY reads.
    """
    bucket, prefix = split_s3(lake_uri)
    key = f"{prefix}{MANIFEST_FOLDER}/{run_id}/{sql.STG_FILE}.json"
    lines = (
        json.dumps(dict(zip(sql.LEDGER_COLUMNS, row, strict=True)), default=str) for row in ledger
    )
    s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode("utf-8"))
    return f"s3://{bucket}/{key}"


def lake_objects(
    s3,
    lake_uri: str,
    table: str,
    sale_dates: list[str],
    files: dict[str, list[str]] | None,
) -> list[dict]:
    """Manifest entries of the Parquet files to load, as S3 lists them (with sizes).

    COPY of Parquet through a manifest needs each file's content_length ("Using a
    manifest to specify data files", Redshift Database Developer Guide).
    """
    found: dict[str, int] = {}
    for partition in partition_paths(lake_uri, table, sale_dates):
        bucket, prefix = split_s3(partition)
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".parquet"):
                    found[f"s3://{bucket}/{obj['Key']}"] = obj["Size"]
    if files is not None:
        wanted = {s3_uri(f) for f in files.get(table, [])}
        missing = wanted - set(found)
        if missing:
            raise RedshiftLoadError(f"lake files to load are not on S3: {sorted(missing)[:5]}")
        found = {uri: size for uri, size in found.items() if uri in wanted}
    return [
        {"url": uri, "mandatory": True, "meta": {"content_length": size}}
        for uri, size in sorted(found.items())
    ]


def write_manifest(s3, lake_uri: str, run_id: str, table: str, entries: list) -> str:
    bucket, prefix = split_s3(lake_uri)
    key = f"{prefix}{MANIFEST_FOLDER}/{run_id}/{table}.manifest"
    body = json.dumps({"entries": entries}, indent=1).encode("utf-8")
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


def split_s3(uri: str) -> tuple[str, str]:
    """s3://bucket/some/prefix/ -> (bucket, some/prefix/)."""
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def s3_uri(uri: str) -> str:
    """Hadoop's s3a:// and s3n:// spellings of a lake file, as s3://."""
    bucket, key = split_s3(uri)
    return f"s3://{bucket}/{key}"
