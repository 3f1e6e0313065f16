"""Hadoop's FileSystem through Spark's JVM: one wrapper for listing, moving and small files.

Spark reads and writes the lake itself; this is for what Spark's DataFrame API does not
do: list raw files with their sizes and versions, probe that the lake is writable, move a
stream batch's staged files into place, write a run summary, read a checkpoint. Through
Hadoop's FileSystem these calls are the same on S3 (S3A, on Glue) and on a local disk.

py4j's `_jvm` and `_jsc` are the only door from Python to Hadoop's classes; this module is
the one place that opens it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from py4j.java_gateway import java_import
from pyspark.sql import SparkSession

# Classes PySpark reaches by their short name through py4j's JVM view, on every call:
# `functions` for each pyspark.sql.functions call (hundreds while a run builds its query),
# PythonUtils for each list of columns, Column. py4j resolves a short name by trying it
# bare, then under each of PySpark's eight star imports in turn, and every miss is a
# Class.forName that searches all ~250 jars of Spark's class path: `functions` came after
# six misses, ~0.3 ms each time. Imported by full name, py4j finds them at once (py4j's
# java_import, as PySpark itself imports SparkConf). A run of the test corpus makes 878
# such lookups; warm in-process runs (five each, without and with, twice in one sitting)
# took 6.7 -> 6.3 s and 6.4 -> 4.9 s on average.
SHORT_NAMES = (
    "org.apache.spark.sql.functions",
    "org.apache.spark.api.python.PythonUtils",
    "org.apache.spark.sql.Column",
)


def import_short_names(spark: SparkSession) -> None:
    """Let py4j find the classes PySpark names on every call without a class path search."""
    view = spark.sparkContext._jvm  # noqa: SLF001 - py4j's JVM view, PySpark's own
    for name in SHORT_NAMES:
        java_import(view, name)


@dataclass(frozen=True)
class FileInfo:
    """What a listing tells of one file or folder; only names and sizes reach the driver."""

    path: str
    name: str
    size: int
    is_file: bool
    version: str  # "etag:<ETag>" on S3A, "mtime:<ISO time>" elsewhere


def java_cause(exc: Exception) -> str:
    """The Java exception's own message, not py4j's "An error occurred while calling"."""
    java = getattr(exc, "java_exception", None)
    text = str(java.toString()) if java is not None else str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:300]


class HadoopFs:
    """Hadoop FileSystem calls by URI (s3://…, file:…, or a local path)."""

    def __init__(self, spark: SparkSession):
        context = spark.sparkContext
        self._jvm = context._jvm  # noqa: SLF001 - py4j's only way to Hadoop's classes
        self._conf = context._jsc.hadoopConfiguration()  # noqa: SLF001 - same door

    def _resolve(self, uri: str):
        path = self._jvm.org.apache.hadoop.fs.Path(uri)
        return path, path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        path, fs = self._resolve(uri)
        return bool(fs.exists(path))

    def delete(self, uri: str, recursive: bool = True) -> bool:
        """Delete a file or folder; False if there was nothing there."""
        path, fs = self._resolve(uri)
        return bool(fs.exists(path) and fs.delete(path, recursive))

    def glob(self, pattern: str) -> list[FileInfo]:
        """Files and folders matching a glob pattern, sorted by path."""
        path, fs = self._resolve(pattern)
        return sorted((_info(s) for s in fs.globStatus(path) or []), key=lambda f: f.path)

    def children(self, uri: str) -> list[FileInfo]:
        """The entries right under a folder (none if it does not exist)."""
        path, fs = self._resolve(uri)
        if not fs.exists(path):
            return []
        return [_info(s) for s in fs.listStatus(path)]

    def files(self, uri: str) -> list[str]:
        """Every file under a folder, at any depth, as URIs (none if it does not exist)."""
        path, fs = self._resolve(uri)
        if not fs.exists(path):
            return []
        found = []
        it = fs.listFiles(path, True)
        while it.hasNext():
            found.append(it.next().getPath().toString())
        return found

    def delete_named(self, uri: str, prefix: str) -> int:
        """Delete the files under a folder whose names start with prefix; how many."""
        doomed = [f for f in self.files(uri) if f.rsplit("/", 1)[-1].startswith(prefix)]
        for f in doomed:
            self.delete(f, recursive=False)
        return len(doomed)

    def move_parquet(self, source: str, target: str, prefix: str) -> list[str]:
        """Move the Parquet files under source into target, keeping each file's partition
        folder and naming them `<prefix><n>.parquet`; returns the new URIs."""
        moved = []
        parquet = sorted(f for f in self.files(source) if f.endswith(".parquet"))
        for i, uri in enumerate(parquet):
            partition = uri.rsplit("/", 2)[-2]
            src, fs = self._resolve(uri)
            dest = self._jvm.org.apache.hadoop.fs.Path(
                f"{target}{partition}/{prefix}{i:05d}.parquet"
            )
            fs.mkdirs(dest.getParent())
            if fs.exists(dest):
                fs.delete(dest, False)
            if not fs.rename(src, dest):
                raise OSError(f"could not move {uri} to {dest}")
            moved.append(dest.toString())
        return moved

    def write_text(self, uri: str, text: str) -> None:
        """Create or replace a small text object (one PUT on S3: never seen half-written)."""
        path, fs = self._resolve(uri)
        stream = fs.create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def read_text(self, uri: str) -> str | None:
        """A small text object's content, or None if it does not exist."""
        path, fs = self._resolve(uri)
        if not fs.exists(path):
            return None
        stream = fs.open(path)
        try:
            io = self._jvm.java.io
            reader = io.BufferedReader(io.InputStreamReader(stream, "UTF-8"))
            return "\n".join(iter(reader.readLine, None))
        finally:
            stream.close()


def _info(status) -> FileInfo:
    return FileInfo(
        path=status.getPath().toString(),
        name=status.getPath().getName(),
        size=int(status.getLen()),
        is_file=bool(status.isFile()),
        version=_version(status),
    )


def _version(status) -> str:
    """S3A's FileStatus carries the object's ETag (Hadoop's EtagSource); others do not."""
    try:
        etag = status.getEtag()
    except Exception:  # py4j: no such method on this FileStatus class
        etag = None
    if etag:
        return f"etag:{etag}"
    # ISO, not epoch milliseconds: a 13-digit number in the warehouse reads as a card
    # number to the personal-data scan (scanner.py), and people read this column too.
    modified = dt.datetime.fromtimestamp(status.getModificationTime() / 1000, dt.UTC)
    return "mtime:" + modified.isoformat(timespec="milliseconds")
