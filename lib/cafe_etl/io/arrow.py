"""pyarrow's file systems for the lake's Parquet, read without Spark (loader, scanner)."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pyarrow.fs as pafs


def arrow_filesystem(uri: str):
    """pyarrow's (filesystem, path) for a lake URI or a local path.

    Local URIs are taken as they are written: Hadoop's paths and lake.normalise_uri leave
    them unencoded, so a space or a '%' in a folder name is itself, which pyarrow's URI
    parser would refuse or decode. Other schemes (s3://) go through that parser.
    """
    if uri.startswith("file:"):
        path = uri[len("file:") :]
        return pafs.LocalFileSystem(), path[2:] if path.startswith("//") else path
    if urlparse(uri).scheme == "":
        return pafs.LocalFileSystem(), os.path.abspath(uri)
    return pafs.FileSystem.from_uri(uri)
