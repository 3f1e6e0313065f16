"""The user docs stay short, findable and true to the repository.

README.md fits on a few screens with what a newcomer needs first; no page carries an issue
number; every relative link, anchor, `make` target and `cafe-etl` subcommand a page names
exists. Text only: no Spark, no server.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from cafe_etl.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PAGES = sorted([README, REPO / "terraform" / "README.md", *(REPO / "docs").glob("*.md")])

# Linked from here, written on other branches (operations, testing) or registered by
# other modules (cost, status); empty these once they are merged.
WRITTEN_ELSEWHERE: set[str] = set()
SUBCOMMANDS_ELSEWHERE: set[str] = set()

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_URL = re.compile(r"https?://\S+")
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
_ISSUE = re.compile(r"(?<![\w&])#\d+\b")


def _id(path: Path) -> str:
    return str(path.relative_to(REPO))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6} (.+)$", text, re.M)
    return {_slug(h) for h in headings} | set(re.findall(r'<a name="([^"]+)"', text))


def test_readme_fits_on_a_few_screens_with_the_first_screen_first():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300, f"README.md is {len(lines)} lines: move reference text to docs/"
    first = "\n".join(lines[:60])
    for piece in ("```mermaid", "make run", "make test", "## What it costs", "](docs/"):
        assert piece in first, f"{piece!r} is not in README.md's first 60 lines"


def test_readme_states_the_daily_cost_in_its_cost_section():
    text = README.read_text(encoding="utf-8")
    section = text.split("## What it costs", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"\*\*£\d+\.\d{2} a day\*\*", section), section


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_no_issue_numbers(page):
    text = page.read_text(encoding="utf-8")
    text = _LINK_TARGET.sub("]()", _URL.sub("", text))
    found = [m.group(0) for m in _ISSUE.finditer(text)]
    assert not found, f"{_id(page)} refers to issues {found}: history lives in git"


def test_the_issue_pattern_sees_references_and_not_links():
    # What the check above must catch and must let pass.
    assert _ISSUE.findall("fixed in #12, see (#3)") == ["#12", "#3"]
    kept = _LINK_TARGET.sub("]()", _URL.sub("", "[a](#input\\_x) https://x.org/i#12 &#39;"))
    assert not _ISSUE.findall(kept)


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_relative_links_and_anchors_resolve(page):
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    broken = []
    for target in _LINK_TARGET.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        anchor = anchor.replace("\\", "")  # terraform-docs escapes the anchors' underscores
        linked = (page.parent / file_part).resolve() if file_part else page
        if _id(linked) in WRITTEN_ELSEWHERE:
            continue
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(target)
    assert not broken, f"{_id(page)}: broken links {broken}"


def test_make_targets_and_subcommands_named_exist():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    subcommands = set(sub.choices) | SUBCOMMANDS_ELSEWHERE
    missing = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        missing += [
            f"{_id(page)}: make {t}"
            # as a command: in code, or at the start of a line of a code block
            for t in re.findall(r"(?:^|`)make ([a-z][\w-]*)", text, re.M)
            if t not in targets
        ]
        missing += [
            f"{_id(page)}: cafe-etl {c}"
            for c in re.findall(r"\bcafe-etl ([a-z][\w-]*)", text)
            if c not in subcommands
        ]
    assert not missing, missing


def test_tests_named_as_proof_exist():
    # `test_file::test_name…` (a name's start, as the guarantees table cites them)
    missing = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for module, name in re.findall(r"`(test_\w+)::(test_\w+)", text):
            path = REPO / "tests" / f"{module}.py"
            source = path.read_text(encoding="utf-8") if path.exists() else ""
            if f"def {name}" not in source:
                missing.append(f"{_id(page)}: {module}::{name}")
    assert not missing, missing
