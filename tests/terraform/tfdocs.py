"""The Inputs and Outputs tables of terraform/README.md, in terraform-docs' markdown format.

terraform-docs is a Go binary that no package registry reachable here ships (not PyPI,
npm or Debian), so this renders the same two tables from variables.tf and outputs.tf with
the hcl2 parser checkov uses, and writes them between terraform-docs' own markers, so
running terraform-docs later (`terraform-docs markdown table --output-file README.md
--show inputs,outputs .`) replaces them in place. `make tf-docs` regenerates;
`tests/terraform/test_terraform_docs.py` fails when the README's tables are stale.

    python tests/terraform/tfdocs.py           # rewrite the tables in terraform/README.md
    python tests/terraform/tfdocs.py --check   # exit 1 if they differ from the .tf files
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

TF_DIR = Path(__file__).resolve().parents[2] / "terraform"
README = TF_DIR / "README.md"
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def _one(value: Any) -> Any:
    # hcl2 wraps every attribute value in a one-item list.
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _cell(text: str) -> str:
    """A table cell: pipes escaped, line breaks as <br/>, and outside code spans angle
    brackets as entities, so `<branch>` in a description shows rather than vanishing
    as an unknown HTML tag."""
    parts = text.strip().split("`")
    for i in range(0, len(parts), 2):  # the even parts are outside backticks
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|").replace("\n", "<br/>")


def _code(text: str) -> str:
    """One line in backticks; several in <pre>, as terraform-docs prints object types."""
    lines = text.rstrip().split("\n")
    if len(lines) == 1:
        return f"`{lines[0]}`"
    return "<pre>" + "<br/>".join(line.replace("|", "\\|") for line in lines) + "</pre>"


def _type_source(block_lines: list[str]) -> str | None:
    """The `type = ...` expression as written (hcl2 re-renders it as a Python dict).

    terraform-docs prints the type's source text, so a multi-line object type keeps its
    layout; the expression ends where its brackets balance.
    """
    for i, line in enumerate(block_lines):
        match = re.match(r"\s*type\s*=\s*(.*)$", line)
        if not match:
            continue
        text = match.group(1)
        depth = text.count("(") + text.count("{") - text.count(")") - text.count("}")
        for more in block_lines[i + 1 :]:
            if depth <= 0:
                break
            text += "\n" + more
            depth += more.count("(") + more.count("{") - more.count(")") - more.count("}")
        return text
    return None


def _default(value: Any) -> str:
    if isinstance(value, (dict, list)) and value:
        return _code(json.dumps(value, indent=2))
    return f"`{json.dumps(value)}`"


def _name(kind: str, name: str) -> str:
    escaped = name.replace("_", "\\_")
    return f'<a name="{kind}_{name}"></a> [{escaped}](#{kind}\\_{escaped})'


def inputs(variables_tf: str) -> list[dict[str, str]]:
    lines = variables_tf.split("\n")
    rows = []
    for entry in hcl2.loads(variables_tf).get("variable", []):
        for name, body in entry.items():
            block = lines[body["__start_line__"] - 1 : body["__end_line__"]]
            type_text = _type_source(block)
            rows.append(
                {
                    "name": name,
                    "description": _cell(_one(body.get("description", "n/a"))),
                    "type": _code(type_text) if type_text else "`any`",
                    "default": _default(_one(body["default"])) if "default" in body else "n/a",
                    "required": "no" if "default" in body else "yes",
                }
            )
    return sorted(rows, key=lambda row: row["name"])


def outputs(outputs_tf: str) -> list[dict[str, str]]:
    rows = []
    for entry in hcl2.loads(outputs_tf).get("output", []):
        for name, body in entry.items():
            rows.append({"name": name, "description": _cell(_one(body.get("description", "n/a")))})
    return sorted(rows, key=lambda row: row["name"])


def render(tf_dir: Path = TF_DIR) -> str:
    """The text terraform-docs puts between its markers, for `--show inputs,outputs`."""
    out = ["## Inputs", ""]
    rows = inputs((tf_dir / "variables.tf").read_text(encoding="utf-8"))
    if rows:
        out += [
            "| Name | Description | Type | Default | Required |",
            "| ---- | ----------- | ---- | ------- | :------: |",
        ]
        out += [
            f"| {_name('input', r['name'])} | {r['description']} | {r['type']} "
            f"| {r['default']} | {r['required']} |"
            for r in rows
        ]
    else:
        out.append("No inputs.")
    out += ["", "## Outputs", ""]
    rows = outputs((tf_dir / "outputs.tf").read_text(encoding="utf-8"))
    if rows:
        out += ["| Name | Description |", "| ---- | ----------- |"]
        out += [f"| {_name('output', r['name'])} | {r['description']} |" for r in rows]
    else:
        out.append("No outputs.")
    return "\n".join(out)


def current(readme_text: str) -> str:
    """What the README holds between the markers now."""
    if BEGIN not in readme_text or END not in readme_text:
        raise ValueError(f"{README.name} has no {BEGIN} ... {END} section")
    return readme_text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def inject(readme_text: str, tables: str) -> str:
    head, rest = readme_text.split(BEGIN, 1)
    return f"{head}{BEGIN}\n{tables}\n{END}{rest.split(END, 1)[1]}"


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    tables = render()
    if current(text) == tables:
        return 0
    if "--check" in argv:
        print(f"{README} is stale: run `make tf-docs`", file=sys.stderr)
        return 1
    README.write_text(inject(text, tables), encoding="utf-8")
    print(f"rewrote the Inputs and Outputs tables of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
