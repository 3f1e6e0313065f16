"""The Terraform tests' one checkov run."""

from __future__ import annotations

import pytest
from cafe_tf import CHECKOV_MUTATIONS, checkov_part, copy_tree, edit, run_checkov


@pytest.fixture(scope="session")
def checkov_reports(tmp_path_factory) -> tuple[dict[str, dict], float]:
    """checkov (every check) over two copies of terraform/ + glue_jobs/ in one run:
    `module`, as it is, and `mutated`, with every CHECKOV_MUTATIONS edit. Starting checkov
    and loading its checks is most of a run: alone on the machine, one run over both
    copies took 14.6 s against 10.0 s over one (2026-11-26), and the suite ran two."""
    root = tmp_path_factory.mktemp("checkov")
    copy_tree(root / "module")
    mutated = copy_tree(root / "mutated")
    for (file, old, new), _expected in CHECKOV_MUTATIONS.values():
        edit(mutated / file, old, new)
    report, elapsed = run_checkov(root)
    return {tree: checkov_part(report, tree) for tree in ("module", "mutated")}, elapsed
