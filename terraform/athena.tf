# Athena over the crawled lake: one workgroup that enforces its settings (results
# encrypted with the customer key in the artifacts bucket, a bytes-scanned cutoff per
# query), and one saved query per trend question. The queries (athena/*.sql) ask what the
# warehouse views in lib/cafe_etl/warehouse/views.py ask, in Athena's (Trino) SQL, over
# the lake tables the lake crawler creates (transactions, basket_items).

resource "aws_athena_workgroup" "lake" {
  name          = "${local.name_prefix}-lake"
  description   = "Analyst queries over the Cafe Connect lake (personal-data-free Parquet)."
  state         = "ENABLED"
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = local.athena_results_uri
      expected_bucket_owner = local.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.main.arn
      }
    }
  }
}

resource "aws_athena_named_query" "trend" {
  for_each = local.athena_trend_queries

  name        = each.key
  description = "Trend question ${each.key}, answered from the lake (same question as the warehouse view cafe.${each.key})."
  workgroup   = aws_athena_workgroup.lake.id
  database    = aws_glue_catalog_database.main.name
  query       = templatefile("${path.module}/athena/${each.value}", { database = aws_glue_catalog_database.main.name })
}

locals {
  # One saved query per file, named after the warehouse view it mirrors.
  athena_trend_queries = { for f in fileset("${path.module}/athena", "*.sql") : trimsuffix(f, ".sql") => f }
}
