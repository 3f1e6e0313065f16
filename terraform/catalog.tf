# Glue Data Catalog: one database, a CSV classifier for the raw exports, a crawler over
# the raw zone and one over the lake. Both crawlers (and both jobs) use the security
# configuration in glue_jobs.tf.

resource "aws_glue_catalog_database" "main" {
  name        = local.glue_database_name
  description = "Cafe Connect: raw till exports (raw_ tables) and the Parquet lake."
}

# The seven fields every till export writes, in order. 2021 exports have no header row,
# so the classifier names the columns; the field separator is a comma and baskets are
# quoted (they contain ", ").
resource "aws_glue_classifier" "raw_csv" {
  name = "${local.name_prefix}-raw-till-csv"

  csv_classifier {
    allow_single_column    = false
    contains_header        = "UNKNOWN"
    delimiter              = ","
    quote_symbol           = "\""
    disable_value_trimming = false
    header                 = ["timestamp", "branch", "customer_name", "basket", "total", "payment_method", "card_number"]
    serde                  = "OpenCSVSerDe"
  }
}

resource "aws_glue_crawler" "raw" {
  name                   = "${local.name_prefix}-raw"
  description            = "Catalogues the raw till exports (YYYY/MM/DD/<branch>_DD-MM-YYYY_HH-MM-SS.csv)."
  role                   = aws_iam_role.glue_crawler.arn
  database_name          = aws_glue_catalog_database.main.name
  table_prefix           = "raw_"
  classifiers            = [aws_glue_classifier.raw_csv.name]
  security_configuration = aws_glue_security_configuration.main.name
  # Its log group exists first, with its retention (cost.tf).
  depends_on = [aws_cloudwatch_log_group.service]

  s3_target {
    path = local.raw_uri
  }

  # Crawling only new folders (one per day) requires LOG for both behaviours; the
  # classifier fixes the schema anyway.
  schema_change_policy {
    update_behavior = "LOG"
    delete_behavior = "LOG"
  }

  recrawl_policy {
    recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY"
  }

  configuration = jsonencode({
    Version = 1.0
    Grouping = {
      TableGroupingPolicy = "CombineCompatibleSchemas"
    }
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
    }
  })
}

# One target per lake table, so each becomes one table partitioned by its Hive
# partition folder (sale_date=... or file_date=...). Run summaries (_runs/) are not
# crawled. The folder names come from lib/cafe_etl/schema.py (LAKE_TABLES); the wiring
# tests check the two agree.
resource "aws_glue_crawler" "lake" {
  name                   = "${local.name_prefix}-lake"
  description            = "Catalogues the partitioned Parquet lake tables written by the jobs."
  role                   = aws_iam_role.glue_crawler.arn
  database_name          = aws_glue_catalog_database.main.name
  security_configuration = aws_glue_security_configuration.main.name
  # Its log group exists first, with its retention (cost.tf).
  depends_on = [aws_cloudwatch_log_group.service]

  s3_target {
    path       = "${local.lake_uri}transactions/"
    exclusions = ["**/_SUCCESS", "**/_temporary/**"]
  }

  s3_target {
    path       = "${local.lake_uri}basket_items/"
    exclusions = ["**/_SUCCESS", "**/_temporary/**"]
  }

  s3_target {
    path       = "${local.lake_uri}quarantine/"
    exclusions = ["**/_SUCCESS", "**/_temporary/**"]
  }

  schema_change_policy {
    update_behavior = "UPDATE_IN_DATABASE"
    delete_behavior = "LOG"
  }

  configuration = jsonencode({
    Version = 1.0
    Grouping = {
      TableGroupingPolicy = "CombineCompatibleSchemas"
    }
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
      Tables     = { AddOrUpdateBehavior = "MergeNewColumns" }
    }
    CreatePartitionIndex = true
  })
}
