"""terraform/README.md's Inputs and Outputs tables are current and in terraform-docs' format.

Cheap: hcl2 only, no Terraform, no Spark.
"""

from __future__ import annotations

import shutil

import tf_fixtures
import tfdocs
from cafe_tf import TF_DIR

# The shared Terraform fixtures (tf_fixtures.py), declared in this module for pytest.
offline_terraform = tf_fixtures.offline_terraform


def test_readme_tables_match_variables_and_outputs():
    readme = (TF_DIR / "README.md").read_text(encoding="utf-8")
    assert tfdocs.current(readme) == tfdocs.render(), "stale tables: run `make tf-docs`"


def test_a_changed_variable_or_output_makes_the_tables_stale(tmp_path):
    for name in ("variables.tf", "outputs.tf", "README.md"):
        shutil.copy(TF_DIR / name, tmp_path / name)
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert tfdocs.current(readme) == tfdocs.render(tmp_path)

    variables = (tmp_path / "variables.tf").read_text(encoding="utf-8")
    (tmp_path / "variables.tf").write_text(
        variables + '\nvariable "new_knob" {\n  type    = number\n  default = 3\n}\n'
    )
    assert tfdocs.current(readme) != tfdocs.render(tmp_path)
    (tmp_path / "variables.tf").write_text(variables)

    outputs = (tmp_path / "outputs.tf").read_text(encoding="utf-8")
    (tmp_path / "outputs.tf").write_text(outputs.replace("Bucket of the Parquet lake.", "Lake."))
    assert tfdocs.current(readme) != tfdocs.render(tmp_path)


def test_tables_are_in_terraform_docs_format(tmp_path):
    # Rows as terraform-docs v0.19 prints them for these declarations (see the Inputs
    # tables of terraform-aws-modules/terraform-aws-s3-bucket's README): sorted by name,
    # anchored names with escaped underscores, the type's source text (multi-line in
    # <pre>), defaults as JSON, required inputs' default n/a.
    (tmp_path / "variables.tf").write_text(
        """variable "zone_ids" {
  description = "Zones | in order"
  type = list(object({
    id   = string
    size = optional(number, 2)
  }))
  default = []
}

variable "env" {
  description = <<-EOT
    Where it runs:
    dev or prod.
  EOT
  type = string
}

variable "name_prefix" {
  description = "Prefix of `<project>-<env>` names."
  type        = string
  default     = null
}
"""
    )
    (tmp_path / "outputs.tf").write_text(
        'output "bucket_arn" {\n  description = "ARN of <bucket>."\n  value = 1\n}\n'
    )
    assert tfdocs.render(tmp_path) == "\n".join(
        [
            "## Inputs",
            "",
            "| Name | Description | Type | Default | Required |",
            "| ---- | ----------- | ---- | ------- | :------: |",
            '| <a name="input_env"></a> [env](#input\\_env) | Where it runs:<br/>dev or prod. '
            "| `string` | n/a | yes |",
            '| <a name="input_name_prefix"></a> [name\\_prefix](#input\\_name\\_prefix) '
            "| Prefix of `<project>-<env>` names. | `string` | `null` | no |",
            '| <a name="input_zone_ids"></a> [zone\\_ids](#input\\_zone\\_ids) | Zones \\| in order '
            "| <pre>list(object({<br/>    id   = string<br/>    size = optional(number, 2)<br/>"
            "  }))</pre> | `[]` | no |",
            "",
            "## Outputs",
            "",
            "| Name | Description |",
            "| ---- | ----------- |",
            '| <a name="output_bucket_arn"></a> [bucket\\_arn](#output\\_bucket\\_arn) '
            "| ARN of &lt;bucket&gt;. |",
        ]
    )


def test_regeneration_rewrites_only_the_marked_section():
    readme = (TF_DIR / "README.md").read_text(encoding="utf-8")
    stale = tfdocs.inject(readme, "## Inputs\n\nold")
    assert tfdocs.current(stale) == "## Inputs\n\nold"
    assert tfdocs.inject(stale, tfdocs.render()) == readme
