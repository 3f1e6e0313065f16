"""Put a folder's files under a URI: S3 (boto3) or another folder, keys kept as they are.

`cafe-etl generate --out s3://bucket/raw/` writes its sample into a local folder first and
puts it here, so the generator knows files only and a fresh deployment's raw zone can be
filled from a laptop.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse


def put_folder(folder: str | Path, uri: str, client=None) -> list[str]:
    """Every file under `folder` to `uri` + its relative path; returns the keys written.

    S3 object keys are any UTF-8 text of at most 1,024 bytes ("Naming Amazon S3 objects",
    Amazon S3 User Guide): the raw layout's keys (branch names with spaces included) go as
    they are. boto3's upload_file switches to a multipart upload for large files.
    """
    root = Path(folder)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    parsed = urlparse(uri)
    if parsed.scheme != "s3":
        target = Path(uri[len("file:") :] if parsed.scheme == "file" else uri)
        shutil.copytree(root, target, dirs_exist_ok=True)
        return [str(p.relative_to(root)) for p in files]
    if not parsed.netloc:
        raise ValueError(f"{uri!r}: expected s3://bucket/prefix/")
    prefix = parsed.path.lstrip("/")
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    if client is None:
        # Imported for an s3:// target only: cafe_etl.io is imported by every warehouse
        # command (query, status, report), which must not wait for boto3.
        import boto3  # noqa: PLC0415

        client = boto3.client("s3")
    keys = []
    for path in files:
        key = prefix + path.relative_to(root).as_posix()
        client.upload_file(str(path), parsed.netloc, key)
        keys.append(key)
    return keys
