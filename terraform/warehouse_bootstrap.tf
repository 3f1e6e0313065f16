# Redshift bootstrap: everything the jobs need before they can load, made as the namespace
# admin. The jobs reach Redshift through the Data API with temporary credentials, as the
# database user of their IAM role, "IAMR:<role name>" on Serverless (ExecuteStatement,
# Redshift Data API Reference). That user creates nothing that lasts: the schema, its
# tables and its views are the bootstrap's (CREATE SCHEMA needs superuser or CREATE on the
# database; CREATE TABLE and CREATE VIEW need CREATE on the schema: Redshift "CREATE
# SCHEMA", "CREATE TABLE", "CREATE VIEW"), and the job only checks that they exist. It
# gets USAGE on the schema, TEMP on the database (its staging tables), and SELECT,
# INSERT, UPDATE and DELETE on the tables (MERGE, DELETE ... USING, INSERT ... SELECT,
# COPY: Redshift "GRANT"). tests/test_aws_contracts.py holds every statement a job sends
# against these grants.
#
# One statement per resource, chained with depends_on, run as the namespace admin through
# the Redshift-managed admin secret. An aws_redshiftdata_statement runs once, when it is
# created (every argument forces a new one), and each statement is idempotent, so a
# re-apply or a replaced statement changes nothing that is already in place.

locals {
  # The user the Data API maps the Glue job role to (redshift://WORKGROUP/DATABASE).
  glue_job_db_user = "IAMR:${aws_iam_role.glue_job.name}"
  # Quoted: the user name contains a colon.
  glue_job_grantee = "\"${local.glue_job_db_user}\""

  bootstrap_target = {
    workgroup_name = aws_redshiftserverless_workgroup.main.workgroup_name
    database       = aws_redshiftserverless_namespace.main.db_name
    secret_arn     = aws_redshiftserverless_namespace.main.admin_password_secret_arn
  }
}

resource "aws_redshiftdata_statement" "create_schema" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-create-schema"
  sql            = "CREATE SCHEMA IF NOT EXISTS cafe"
}

# Redshift has no CREATE USER IF NOT EXISTS, and the Data API creates the IAMR: user only
# at the job's first connection, so grants made before that need the user to exist. The
# procedure creates a password-less user only when it is missing.
resource "aws_redshiftdata_statement" "ensure_user_procedure" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-ensure-user-procedure"
  sql            = <<-SQL
    CREATE OR REPLACE PROCEDURE cafe.ensure_user(user_name VARCHAR) AS $$
    DECLARE
      user_count INTEGER;
    BEGIN
      SELECT INTO user_count COUNT(*) FROM pg_user WHERE usename = user_name;
      IF user_count = 0 THEN
        EXECUTE 'CREATE USER ' || QUOTE_IDENT(user_name) || ' PASSWORD DISABLE';
      END IF;
    END;
    $$ LANGUAGE plpgsql
  SQL

  depends_on = [aws_redshiftdata_statement.create_schema]
}

# The tables and views, created by one procedure (a Data API statement is one SQL
# statement; a procedure runs them in order, tables before the views over them). Its text
# is rendered from the warehouse model (cafe_etl.warehouse.sql.bootstrap_procedure); a
# test holds the file equal to it. A changed model replaces the procedure, and with it
# the call: new tables and views appear, existing ones keep their rows.
resource "aws_redshiftdata_statement" "create_warehouse_procedure" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-create-warehouse-procedure"
  sql            = file("${path.module}/warehouse/create_warehouse.sql")

  depends_on = [aws_redshiftdata_statement.ensure_user_procedure]
}

resource "aws_redshiftdata_statement" "create_warehouse" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-create-warehouse"
  sql            = "CALL cafe.create_warehouse()"

  depends_on = [aws_redshiftdata_statement.create_warehouse_procedure]

  lifecycle {
    replace_triggered_by = [aws_redshiftdata_statement.create_warehouse_procedure]
  }
}

resource "aws_redshiftdata_statement" "ensure_job_user" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-ensure-job-user"
  sql            = "CALL cafe.ensure_user('${local.glue_job_db_user}')"

  depends_on = [aws_redshiftdata_statement.create_warehouse]
}

resource "aws_redshiftdata_statement" "grant_schema" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-grant-schema"
  sql            = "GRANT USAGE ON SCHEMA cafe TO ${local.glue_job_grantee}"

  depends_on = [aws_redshiftdata_statement.ensure_job_user]
}

# The loads stage in temporary tables. PUBLIC has TEMP on a new database, but an
# administrator may revoke that; the job's own grant does not depend on it.
resource "aws_redshiftdata_statement" "grant_temp" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-grant-temp"
  sql            = "GRANT TEMP ON DATABASE ${local.bootstrap_target.database} TO ${local.glue_job_grantee}"

  depends_on = [aws_redshiftdata_statement.grant_schema]
}

# The tables and views create_warehouse made (GRANT ... ON ALL TABLES covers the tables
# that exist when it runs, hence its place after the call).
resource "aws_redshiftdata_statement" "grant_tables" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-grant-tables"
  sql            = "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA cafe TO ${local.glue_job_grantee}"

  depends_on = [aws_redshiftdata_statement.grant_temp]
}

# Tables the admin creates later (a new table in the model, made by the next apply's call).
resource "aws_redshiftdata_statement" "default_privileges" {
  workgroup_name = local.bootstrap_target.workgroup_name
  database       = local.bootstrap_target.database
  secret_arn     = local.bootstrap_target.secret_arn
  statement_name = "cafe-bootstrap-default-privileges"
  sql            = "ALTER DEFAULT PRIVILEGES FOR USER ${var.redshift_admin_username} IN SCHEMA cafe GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${local.glue_job_grantee}"

  depends_on = [aws_redshiftdata_statement.grant_tables]
}
