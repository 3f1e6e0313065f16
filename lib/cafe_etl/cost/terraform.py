"""The Terraform's variables and resources, as the cost model reads them."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TERRAFORM_DIR = Path(__file__).resolve().parents[3] / "terraform"


def _one(value: Any) -> Any:
    """The hcl2 parser checkov uses wraps attribute values in one-item lists."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _parse(path: Path) -> dict:
    return _parse_text(Path(path).read_text(encoding="utf-8"))


@functools.cache
def _parse_text(text: str) -> dict:
    # checkov's own HCL parser (bc-python-hcl2), not a hand-rolled one; only the laptop's
    # `cost` command needs it, so it is imported when the command runs. Its grammar is pure
    # Python and slow, so each text is parsed once (callers only read the result).
    import hcl2  # noqa: PLC0415 - laptop-only dependency (the `local` extra)

    return hcl2.loads(text)


def terraform_defaults(tf_dir: Path = TERRAFORM_DIR) -> dict[str, Any]:
    defaults = {}
    for entry in _parse(Path(tf_dir) / "variables.tf").get("variable", []):
        for name, body in entry.items():
            if "default" in body:
                defaults[name] = _one(body["default"])
    return defaults


def tfvars(path: Path) -> dict[str, Any]:
    return {name: _one(value) for name, value in _parse(path).items()}


def alarm_count(values: Mapping[str, Any], tf_dir: Path = TERRAFORM_DIR) -> int:
    """CloudWatch alarms the Terraform creates with these values: a `for_each` over a local
    map counts its keys, a `count` behind an enable_* switch counts 1 when it is on, any
    other one alarm."""
    resources, local_maps = [], {}
    for path in sorted(Path(tf_dir).glob("*.tf")):
        parsed = _parse(path)
        for entry in parsed.get("resource", []):
            resources += list(entry.get("aws_cloudwatch_metric_alarm", {}).values())
        for entry in parsed.get("locals", []):
            local_maps.update({k: _one(v) for k, v in entry.items() if isinstance(_one(v), dict)})
    total = 0
    for body in resources:
        for_each, count = str(_one(body.get("for_each", ""))), str(_one(body.get("count", "")))
        if for_each:
            name = re.search(r"local\.(\w+)", for_each)
            total += len(local_maps.get(name.group(1), {})) if name else 1
        elif count:
            switch = re.search(r"var\.(enable_\w+)", count)
            if switch:
                total += int(bool(values.get(switch.group(1))))
            else:
                # a literal count, or a condition this reader does not evaluate: priced as one
                total += int(count) if count.isdigit() else 1
        else:
            total += 1
    return total
