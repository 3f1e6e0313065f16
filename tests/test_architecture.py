"""The library's layers hold: import-linter's contracts, ruff's rules, sizes, one home each.

The contracts are declared in pyproject.toml ([tool.importlinter]); `make lint` runs the
same check.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import setuptools
from cafe_etl import jobs

REPO = Path(__file__).resolve().parent.parent
LIB = REPO / "lib" / "cafe_etl"
BIN = Path(sys.executable).parent


def test_import_linter_contracts_are_kept():
    done = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout[-1500:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_ruff_finds_no_private_access_and_no_hidden_import():
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "--select", "SLF001,PLC0415", "lib", "glue_jobs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_library_module_is_over_350_lines():
    sizes = {str(p.relative_to(LIB)): len(p.read_text().splitlines()) for p in LIB.rglob("*.py")}
    assert len(sizes) > 40  # the walk found the library
    assert {name: n for name, n in sizes.items() if n > 350} == {}


def _calls_to(attr: str, root: Path = LIB) -> list[str]:
    """Modules under `root` (the library's) that use `<something>.<attr>`, by name."""
    found = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == attr:
                found.append(str(path.relative_to(root)))
                break
    return sorted(found)


@pytest.mark.parametrize("attr", ["_jvm", "_jsc", "getFileSystem"])
def test_hadoop_file_system_calls_live_in_io_only(attr):
    assert _calls_to(attr) == ["io/hadoop.py"]


def test_local_rows_become_frames_in_the_jvm_not_through_python_workers():
    """createDataFrame over local rows starts Python worker processes (frames.py): the
    library and the tests build such frames with frames.local_frame (helpers.jvm_frame).
    test_raw keeps one, to show the difference in the plan."""
    assert _calls_to("createDataFrame") == []
    assert _calls_to("createDataFrame", REPO / "tests") == ["helpers.py", "test_raw.py"]


@pytest.mark.parametrize("spec", [jobs.NIGHTLY, jobs.STREAM], ids=lambda s: s.name)
def test_job_scripts_declare_no_argument_and_call_their_jobs_entry(spec):
    path = REPO / "glue_jobs" / f"{spec.name}.py"
    tree = ast.parse(path.read_text())
    imports = [
        (node.module, [a.name for a in node.names])
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
    ]
    entry = "nightly" if spec is jobs.NIGHTLY else "stream"
    assert imports == [("cafe_etl.jobs", [entry])]
    literals = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    declared = set(spec.required) | set(spec.optional)
    assert declared & literals == set(), "arguments belong in cafe_etl.jobs"
    assert not any(isinstance(n, ast.Assign) for n in tree.body)


def test_the_glue_wheel_leaves_the_devtools_out():
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = setuptools.find_packages(
        where=str(REPO / find["find"]["where"][0]), exclude=find["find"]["exclude"]
    )
    assert "cafe_etl.stream" in packages and "cafe_etl.io" in packages
    assert [p for p in packages if "devtools" in p] == []
    # What the wheel holds imports nothing of devtools: the layers contract above puts
    # devtools over everything but the command line, which imports it per subcommand.
