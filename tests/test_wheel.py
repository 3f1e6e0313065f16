"""The Glue wheel's own command line: built, installed into a fresh virtualenv with only
the wheel's declared dependencies, every command it lists answers --help, and what it
cannot run there says so in one line (exit status 2), never with a traceback."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.own_venv

UV = Path(sys.executable).with_name("uv")  # make's set-up installs uv into the virtualenv


def run(*argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.fixture(scope="module")
def wheel_cli(tmp_path_factory) -> Path:
    """`cafe-etl` of a virtualenv holding the wheel and its declared dependencies only."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy: the build's build/ and egg-info stay out of the repo
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "lib", source / "lib", ignore=ignore)
    # The project's own setuptools builds it (no build environment to download).
    built = run(
        UV,
        "build",
        "--wheel",
        "--no-build-isolation",
        "--python",
        sys.executable,
        "--out-dir",
        root / "dist",
        source,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("cafe_etl-*.whl")
    venv = root / "venv"
    made = run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    assert made.returncode == 0, made.stderr
    installed = run(UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel)
    assert installed.returncode == 0, installed.stderr
    return venv / "bin" / "cafe-etl"


def test_the_wheel_installs_its_declared_dependencies_only(wheel_cli):
    frozen = run(UV, "pip", "freeze", "--python", wheel_cli.with_name("python")).stdout
    names = {re.split(r"[=@ ]", line)[0].lower() for line in frozen.splitlines() if line}
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {"boto3", "pyarrow", "cafe-etl"} <= names
    assert not names & {"pyspark", "psycopg", "psycopg-binary", "pgserver", "moto", "duckdb"}
    assert {re.split(r"[<>=]", d)[0] for d in declared} == {"boto3", "pyarrow"}


def test_every_command_the_wheel_lists_answers_help(wheel_cli):
    top = run(wheel_cli, "--help")
    assert top.returncode == 0, top.stderr
    commands = re.findall(r"^    (\S+)", top.stdout.split("COMMAND", 2)[2], re.M)
    assert {"batch", "stream", "query", "trends", "status", "report"} <= set(commands)
    # The laptop's tools are not in the wheel, so it does not offer them.
    assert not {"generate", "replay", "stream-demo", "bench", "scan-pii"} & set(commands)
    for command in commands:
        shown = run(wheel_cli, command, "--help")
        assert shown.returncode == 0, (command, shown.stderr)
        assert shown.stdout.startswith(f"usage: cafe-etl {command}"), command
    version = run(wheel_cli, "--version")
    assert (
        version.returncode == 0
        and version.stdout.strip()
        == "cafe-etl " + tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    )


@pytest.mark.parametrize(
    ("argv", "needs"),
    [
        (
            ["batch", "--raw_uri", "r", "--lake_uri", "l", "--warehouse_url", "embedded://w"],
            "PySpark",
        ),
        (["query", "--warehouse-url", "postgresql://u@localhost/db", "SELECT 1"], "psycopg"),
        (["status", "--warehouse-url", "embedded://w"], "psycopg"),
    ],
)
def test_what_the_wheel_cannot_run_is_one_clear_line(wheel_cli, argv, needs):
    done = run(wheel_cli, *argv)
    assert done.returncode == 2, done.stderr
    assert needs in done.stderr and "Traceback" not in done.stderr
