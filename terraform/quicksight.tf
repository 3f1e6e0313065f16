# Amazon QuickSight for the managers (enable_quicksight, off by default: it needs the
# account's QuickSight subscription). A Redshift data source reaches the private workgroup
# through a QuickSight VPC connection, and one DIRECT_QUERY data set per trend view in
# schema cafe (lib/cafe_etl/warehouse/views.py), so every visual reads the warehouse live.
# QuickSight signs in as quicksight_reader, a database user that may only read schema cafe.

locals {
  quicksight_count = var.enable_quicksight ? 1 : 0
  quicksight_user  = "quicksight_reader"

  # The columns of each trend view, with QuickSight's types (cafe_etl.warehouse.views).
  trend_view_columns = {
    v_daily_branch_sales = {
      sale_date        = "DATETIME"
      branch_name      = "STRING"
      region           = "STRING"
      transactions     = "INTEGER"
      revenue          = "DECIMAL"
      avg_basket_value = "DECIMAL"
    }
    v_region_product_sales = {
      region       = "STRING"
      product_name = "STRING"
      size         = "STRING"
      items_sold   = "INTEGER"
      revenue      = "DECIMAL"
    }
    v_hourly_sales = {
      branch_name  = "STRING"
      region       = "STRING"
      day_of_week  = "INTEGER"
      hour_of_day  = "INTEGER"
      transactions = "INTEGER"
      revenue      = "DECIMAL"
    }
    v_payment_mix = {
      sale_date      = "DATETIME"
      region         = "STRING"
      payment_method = "STRING"
      transactions   = "INTEGER"
      revenue        = "DECIMAL"
    }
    v_branch_weekly_growth = {
      branch_name           = "STRING"
      region                = "STRING"
      week_start            = "DATETIME"
      revenue               = "DECIMAL"
      previous_week_revenue = "DECIMAL"
      growth_pct            = "DECIMAL"
    }
  }
}

# ---------------------------------------------------------------------------------------
# Network: QuickSight's network interfaces in the workgroup's subnets, allowed to 5439
# ---------------------------------------------------------------------------------------

resource "aws_security_group" "quicksight" {
  count = local.quicksight_count

  name        = "${local.name_prefix}-quicksight"
  description = "QuickSight VPC connection of ${local.name_prefix} (to Redshift only)"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "quicksight_to_redshift" {
  count = local.quicksight_count

  security_group_id            = aws_security_group.quicksight[0].id
  description                  = "QuickSight to the Redshift workgroup"
  ip_protocol                  = "tcp"
  from_port                    = 5439
  to_port                      = 5439
  referenced_security_group_id = aws_security_group.redshift.id
}

resource "aws_vpc_security_group_ingress_rule" "redshift_from_quicksight" {
  count = local.quicksight_count

  security_group_id            = aws_security_group.redshift.id
  description                  = "Redshift from the QuickSight VPC connection"
  ip_protocol                  = "tcp"
  from_port                    = 5439
  to_port                      = 5439
  referenced_security_group_id = aws_security_group.quicksight[0].id
}

data "aws_iam_policy_document" "quicksight_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["quicksight.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "quicksight_vpc" {
  count = local.quicksight_count

  name               = "${local.name_prefix}-quicksight-vpc"
  description        = "Lets QuickSight place its network interfaces for the VPC connection."
  assume_role_policy = data.aws_iam_policy_document.quicksight_assume.json
}

resource "aws_iam_role_policy" "quicksight_vpc" {
  count = local.quicksight_count

  name   = "network-interfaces"
  role   = aws_iam_role.quicksight_vpc[0].id
  policy = data.aws_iam_policy_document.quicksight_vpc.json
}

data "aws_iam_policy_document" "quicksight_vpc" {
  # AWS requires "*": ec2:DescribeSubnets and ec2:DescribeSecurityGroups support no
  # resource-level permissions.
  statement {
    sid       = "DescribeNetwork"
    actions   = ["ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]
    resources = ["*"]
  }

  statement {
    sid     = "ManageConnectionInterfaces"
    actions = ["ec2:CreateNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:DeleteNetworkInterface"]
    resources = concat(
      ["arn:${local.partition}:ec2:${var.aws_region}:${local.account_id}:network-interface/*"],
      [for id in var.redshift_subnet_ids : "arn:${local.partition}:ec2:${var.aws_region}:${local.account_id}:subnet/${id}"],
      [for sg in aws_security_group.quicksight : sg.arn],
    )
  }
}

resource "aws_quicksight_vpc_connection" "warehouse" {
  count = local.quicksight_count

  vpc_connection_id  = "${local.name_prefix}-warehouse"
  name               = "${local.name_prefix} warehouse"
  role_arn           = aws_iam_role.quicksight_vpc[0].arn
  subnet_ids         = var.redshift_subnet_ids
  security_group_ids = [aws_security_group.quicksight[0].id]
}

# ---------------------------------------------------------------------------------------
# The reader: a database user that can only read schema cafe, its password in a secret
# ---------------------------------------------------------------------------------------

# One apply makes a data source that can log in: the password is Terraform's, set on the
# database user by a bootstrap statement, and kept in the secret QuickSight reads; the
# data source is created only after both (depends_on below). QuickSight checks the
# connection when it creates a data source, so none of these may come after it.
#
# The password is in the state (random_password; the state is encrypted: see
# backend.tf.example). The statement that sets it carries only its MD5 hash, the form
# Redshift accepts in place of the clear text ("CREATE USER", PASSWORD 'md5hash': 'md5'
# followed by the MD5 of password and user name concatenated), so the clear text is in
# neither the statement history nor the Data API's records.
resource "random_password" "quicksight_reader" {
  count = local.quicksight_count

  length      = 40
  special     = false
  min_upper   = 1
  min_lower   = 1
  min_numeric = 1
}

resource "aws_secretsmanager_secret" "quicksight_reader" {
  #checkov:skip=CKV2_AWS_57:The password is also set in Redshift by the bootstrap statement; a rotation Lambda would have to do both, and the user can only read the trend views. Rotate by replacing random_password.quicksight_reader (terraform apply -replace).
  count = local.quicksight_count

  name                    = "${local.name_prefix}/quicksight-reader"
  description             = "Redshift user quicksight_reader (read-only on schema cafe), used by the QuickSight data source."
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "quicksight_reader" {
  count = local.quicksight_count

  secret_id = aws_secretsmanager_secret.quicksight_reader[0].id
  secret_string = jsonencode({
    username = local.quicksight_user
    password = random_password.quicksight_reader[0].result
  })
}

# QuickSight reads a data source's secret as its Secrets Manager role,
# aws-quicksight-secretsmanager-role-v0, which the account's QuickSight administrator
# creates once ("Using AWS Secrets Manager secrets instead of database credentials in
# Amazon QuickSight"). That role may read this secret (this policy) and decrypt it with
# the customer key (kms.tf). Principal is the account with the role named in a condition:
# a policy naming the role itself would be refused while the role does not exist yet.
locals {
  quicksight_secrets_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/service-role/aws-quicksight-secretsmanager-role-v0"
}

resource "aws_secretsmanager_secret_policy" "quicksight_reader" {
  count = local.quicksight_count

  secret_arn = aws_secretsmanager_secret.quicksight_reader[0].arn
  policy     = data.aws_iam_policy_document.quicksight_reader_secret.json
}

data "aws_iam_policy_document" "quicksight_reader_secret" {
  statement {
    sid       = "QuickSightReadsReaderSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [local.quicksight_secrets_role_arn]
    }
  }
}

resource "aws_redshiftdata_statement" "ensure_quicksight_user" {
  count = local.quicksight_count

  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-ensure-quicksight-user"
  sql            = "CALL cafe.ensure_user('${local.quicksight_user}')"

  depends_on = [aws_redshiftdata_statement.default_privileges]
}

# The user is created PASSWORD DISABLE; this gives it the secret's password.
resource "aws_redshiftdata_statement" "quicksight_password" {
  count = local.quicksight_count

  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-quicksight-password"
  sql            = "ALTER USER ${local.quicksight_user} PASSWORD 'md5${md5("${random_password.quicksight_reader[0].result}${local.quicksight_user}")}'"

  depends_on = [aws_redshiftdata_statement.ensure_quicksight_user]
}

resource "aws_redshiftdata_statement" "quicksight_grant_schema" {
  count = local.quicksight_count

  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-quicksight-grant-schema"
  sql            = "GRANT USAGE ON SCHEMA cafe TO ${local.quicksight_user}"

  depends_on = [aws_redshiftdata_statement.quicksight_password]
}

# Views and tables that exist already (QuickSight switched on after the first runs).
resource "aws_redshiftdata_statement" "quicksight_grant_tables" {
  count = local.quicksight_count

  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-quicksight-grant-tables"
  sql            = "GRANT SELECT ON ALL TABLES IN SCHEMA cafe TO ${local.quicksight_user}"

  depends_on = [aws_redshiftdata_statement.quicksight_grant_schema]
}

# The bootstrap's admin creates the views: its default privileges give the reader SELECT
# on every view (and table) a later apply creates.
resource "aws_redshiftdata_statement" "quicksight_default_privileges" {
  count = local.quicksight_count

  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-quicksight-default-privileges"
  sql            = "ALTER DEFAULT PRIVILEGES FOR USER ${var.redshift_admin_username} IN SCHEMA cafe GRANT SELECT ON TABLES TO ${local.quicksight_user}"

  depends_on = [aws_redshiftdata_statement.quicksight_grant_tables]
}

# ---------------------------------------------------------------------------------------
# Data source and one DIRECT_QUERY data set per trend view
# ---------------------------------------------------------------------------------------

resource "aws_quicksight_data_source" "warehouse" {
  count = local.quicksight_count

  data_source_id = "${local.name_prefix}-warehouse"
  name           = "Cafe Connect warehouse (${var.environment})"
  type           = "REDSHIFT"

  parameters {
    redshift {
      host     = aws_redshiftserverless_workgroup.main.endpoint[0].address
      port     = aws_redshiftserverless_workgroup.main.endpoint[0].port
      database = aws_redshiftserverless_namespace.main.db_name
    }
  }

  credentials {
    secret_arn = aws_secretsmanager_secret.quicksight_reader[0].arn
  }

  vpc_connection_properties {
    vpc_connection_arn = aws_quicksight_vpc_connection.warehouse[0].arn
  }

  ssl_properties {
    disable_ssl = false
  }

  permission {
    principal = var.quicksight_principal_arn
    actions = [
      "quicksight:DescribeDataSource",
      "quicksight:DescribeDataSourcePermissions",
      "quicksight:PassDataSource",
    ]
  }

  # QuickSight logs in when it creates the data source: the user, its password, its
  # grants, the secret and QuickSight's right to read and decrypt it come first.
  depends_on = [
    aws_redshiftdata_statement.quicksight_default_privileges,
    aws_secretsmanager_secret_version.quicksight_reader,
    aws_secretsmanager_secret_policy.quicksight_reader,
  ]
}

resource "aws_quicksight_data_set" "trend" {
  for_each = var.enable_quicksight ? local.trend_view_columns : {}

  data_set_id = "${local.name_prefix}-${replace(each.key, "_", "-")}"
  name        = each.key
  import_mode = "DIRECT_QUERY"

  physical_table_map {
    physical_table_map_id = each.key

    relational_table {
      data_source_arn = aws_quicksight_data_source.warehouse[0].arn
      schema          = "cafe"
      name            = each.key

      dynamic "input_columns" {
        for_each = each.value
        content {
          name = input_columns.key
          type = input_columns.value
        }
      }
    }
  }

  permissions {
    principal = var.quicksight_principal_arn
    actions = [
      "quicksight:DescribeDataSet",
      "quicksight:DescribeDataSetPermissions",
      "quicksight:PassDataSet",
      "quicksight:DescribeIngestion",
      "quicksight:ListIngestions",
    ]
  }
}
