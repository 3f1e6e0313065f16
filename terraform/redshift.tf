# Redshift Serverless: the warehouse the jobs load through the Redshift Data API
# (--warehouse_url redshift://WORKGROUP/DATABASE). It sits in private subnets and is not
# publicly accessible. The admin password is generated and kept by Redshift in Secrets
# Manager. COPY reads the lake with the redshift_copy role (iam.tf).

locals {
  redshift_namespace_name = "${local.name_prefix}-warehouse"
  redshift_log_exports    = ["userlog", "connectionlog", "useractivitylog"]
}

resource "aws_redshiftserverless_namespace" "main" {
  namespace_name                   = local.redshift_namespace_name
  db_name                          = var.redshift_database_name
  admin_username                   = var.redshift_admin_username
  manage_admin_password            = true
  admin_password_secret_kms_key_id = aws_kms_key.main.arn
  kms_key_id                       = aws_kms_key.main.arn
  iam_roles                        = [aws_iam_role.redshift_copy.arn]
  default_iam_role_arn             = aws_iam_role.redshift_copy.arn
  log_exports                      = local.redshift_log_exports

  # The export log groups exist first, with their retention (cost.tf).
  depends_on = [aws_cloudwatch_log_group.service]
}

resource "aws_redshiftserverless_workgroup" "main" {
  namespace_name       = aws_redshiftserverless_namespace.main.namespace_name
  workgroup_name       = "${local.name_prefix}-warehouse"
  base_capacity        = var.redshift_base_capacity
  max_capacity         = var.redshift_max_capacity
  subnet_ids           = var.redshift_subnet_ids
  security_group_ids   = [aws_security_group.redshift.id]
  publicly_accessible  = false
  enhanced_vpc_routing = true

  config_parameter {
    parameter_key   = "require_ssl"
    parameter_value = "true"
  }

  config_parameter {
    parameter_key   = "enable_user_activity_logging"
    parameter_value = "true"
  }
}

resource "aws_security_group" "redshift" {
  name        = "${local.name_prefix}-redshift"
  description = "Redshift Serverless workgroup of ${local.name_prefix}"
  vpc_id      = var.vpc_id
}

# BI clients inside the VPC (none by default: the jobs use the Data API, not the network).
resource "aws_vpc_security_group_ingress_rule" "redshift_clients" {
  for_each = toset(var.redshift_client_cidr_blocks)

  security_group_id = aws_security_group.redshift.id
  description       = "Redshift clients from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 5439
  to_port           = 5439
  cidr_ipv4         = each.value
}

# With enhanced VPC routing, COPY reads S3 through the VPC (an S3 gateway endpoint or a
# NAT route must exist, see terraform/README.md).
resource "aws_vpc_security_group_egress_rule" "redshift_https" {
  security_group_id = aws_security_group.redshift.id
  description       = "HTTPS to S3 for COPY from the lake"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
