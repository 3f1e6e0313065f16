"""A class-data-sharing archive of the local Spark driver's classes (JDK 17 AppCDS).

A local job spends its first seconds loading and verifying Spark's classes. The JVM can
instead map them from an archive dumped by an earlier run (-XX:ArchiveClassesAtExit,
then -XX:SharedArchiveFile): about 2.5 s of a nightly-sized run. Local runs only; Glue
starts its own JVM.

`make setup` builds the archive once per environment by running the nightly job on a small
generated day (so the archive holds the classes a real run loads):

    python -m cafe_etl.class_archive

It lives in the virtualenv, named after the JDK and the pyspark install it was dumped
from; a different JDK or pyspark finds no archive and runs without one. The dump goes to
a temporary name and is renamed into place only when complete: the JVM does not survive
mapping a truncated archive.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger("cafe_etl.class_archive")

# Set for the run that dumps the archive: the path to dump it to.
DUMP_ENV = "CAFE_CLASS_ARCHIVE_DUMP"


def archive_path(java_home: str) -> Path:
    """Where this environment's archive is (whether or not it exists yet)."""
    import pyspark

    release = Path(java_home, "release")
    identity = "\n".join(
        [
            os.path.realpath(java_home),
            release.read_text(errors="replace") if release.is_file() else "",
            pyspark.__version__,
            os.path.realpath(os.path.dirname(pyspark.__file__)),
        ]
    )
    key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return Path(sys.prefix, "share", "cafe-etl", f"spark-classes-{key}.jsa")


def java_options(java_home: str) -> list[str]:
    """The driver JVM options for the archive: dump it, use it, or nothing."""
    dump_to = os.environ.get(DUMP_ENV)
    if dump_to:
        options = [f'-XX:ArchiveClassesAtExit="{dump_to}"']
    else:
        archive = archive_path(java_home)
        if not archive.is_file():
            return []
        options = [f'-XX:SharedArchiveFile="{archive}"']
    # The JVM's own warnings (an archive it cannot use, say) go to stderr: a job's stdout
    # is its JSON summary.
    return options + ["-Xlog:disable", "-Xlog:all=warning:stderr"]


def build() -> Path | None:
    """Dump the archive from a nightly run on a small generated day; None if it failed."""
    from cafe_etl import generate
    from cafe_etl.jobs import nightly_argv
    from cafe_etl.runtime import ensure_java

    target = archive_path(ensure_java())
    if target.is_file():
        print(f"class archive: present at {target}", file=sys.stderr)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    started = time.monotonic()
    print("class archive: dumping Spark's classes from a small nightly run", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="cafe-class-archive-") as tmp:
        raw, lake, warehouse = (Path(tmp, name) for name in ("raw", "lake", "warehouse"))
        # 30 files: the generator then plants an empty and an unreadable file too.
        generate.generate(raw, 30, 1, generate.dt.date(2026, 11, 2), 7, 20)
        argv = nightly_argv(
            str(raw), str(lake), f"embedded://{warehouse}", "class-archive", "class-archive"
        )
        done = subprocess.run(
            argv, env={**os.environ, DUMP_ENV: str(partial)}, capture_output=True, text=True
        )
    if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        print(
            f"class archive: not built (exit {done.returncode}); local jobs run without it, "
            f"a few seconds slower to start.\n{tail}",
            file=sys.stderr,
        )
        return None
    os.replace(partial, target)
    size_mb = target.stat().st_size / 2**20
    print(
        f"class archive: {target} ({size_mb:.0f} MB) in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    return target


if __name__ == "__main__":
    build()
