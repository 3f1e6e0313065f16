locals {
  name_prefix = "${var.project}-${var.environment}"
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    # The budget's filter (cost.tf): activate it as a cost allocation tag.
    Deployment = "${var.project}-${var.environment}"
  })

  # Bucket names are global: the account id keeps them unique.
  raw_bucket_name         = "${local.name_prefix}-raw-${local.account_id}"
  lake_bucket_name        = "${local.name_prefix}-lake-${local.account_id}"
  artifacts_bucket_name   = "${local.name_prefix}-artifacts-${local.account_id}"
  access_logs_bucket_name = "${local.name_prefix}-access-logs-${local.account_id}"

  # The URIs the job scripts read (--raw_uri, --lake_uri, --checkpoint_uri). The lake
  # layout under lake_uri (transactions/, basket_items/, quarantine/, _runs/) is fixed by
  # lib/cafe_etl/schema.py; the lake crawler targets the same folders.
  raw_uri        = "s3://${module.bucket["raw"].bucket}/"
  lake_uri       = "s3://${module.bucket["lake"].bucket}/"
  checkpoint_uri = "s3://${module.bucket["artifacts"].bucket}/checkpoints/kinesis_stream/"
  temp_dir_uri   = "s3://${module.bucket["artifacts"].bucket}/tmp/"
  spark_ui_uri   = "s3://${module.bucket["artifacts"].bucket}/spark-ui/"
  # Athena query results (encrypted by the workgroup, expired by the bucket's lifecycle).
  athena_results_uri = "s3://${module.bucket["artifacts"].bucket}/athena-results/"

  # Redshift Serverless through the Redshift Data API: redshift://WORKGROUP/DATABASE.
  warehouse_url = "redshift://${aws_redshiftserverless_workgroup.main.workgroup_name}/${aws_redshiftserverless_namespace.main.db_name}"

  # Code shipped to Glue: the job scripts and the library wheel `make package` builds.
  # The version is the project's, read from pyproject.toml (the one place it is written);
  # the jobs run it, or the earlier release var.library_version names (a rollback).
  glue_jobs_dir      = "${path.module}/../glue_jobs"
  project_version    = regex("(?m)^version\\s*=\\s*\"([^\"]+)\"", file("${path.module}/../pyproject.toml"))[0]
  library_version    = coalesce(var.library_version, local.project_version)
  library_wheel_path = coalesce(var.library_wheel_path, "${path.module}/../dist/cafe_etl-${local.project_version}-py3-none-any.whl")
  library_wheel_key  = "libs/cafe_etl-${local.library_version}-py3-none-any.whl"
  library_wheel_uri  = terraform_data.library_release.output

  glue_database_name = replace(local.name_prefix, "-", "_")

  # Log groups Glue itself names (job error/output groups, crawler groups, and the
  # "-role/<role>" groups it uses when a security configuration encrypts logs).
  glue_jobs_log_arn_prefix     = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:/aws-glue/jobs/*"
  glue_crawlers_log_arn_prefix = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:/aws-glue/crawlers*"

  glue_catalog_arn  = "arn:${local.partition}:glue:${var.aws_region}:${local.account_id}:catalog"
  glue_database_arn = "arn:${local.partition}:glue:${var.aws_region}:${local.account_id}:database/${aws_glue_catalog_database.main.name}"
  glue_tables_arn   = "arn:${local.partition}:glue:${var.aws_region}:${local.account_id}:table/${aws_glue_catalog_database.main.name}/*"
}
