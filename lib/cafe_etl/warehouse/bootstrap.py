"""What the Redshift bootstrap owns: the schema's tables and views, made by a procedure
the namespace admin runs, and the catalog query with which a job checks they exist."""

from __future__ import annotations

from cafe_etl.warehouse.model import SCHEMA, TABLES
from cafe_etl.warehouse.sql import REDSHIFT, schema_ddl
from cafe_etl.warehouse.views import VIEWS

# The job's database user may not create them: CREATE SCHEMA needs superuser or CREATE on
# the database, CREATE TABLE and CREATE VIEW need CREATE on the schema (Redshift "CREATE
# SCHEMA", "CREATE TABLE", "CREATE VIEW"), and the bootstrap grants neither. Terraform runs
# this procedure as the namespace admin (terraform/warehouse_bootstrap.tf), from the file
# bootstrap_procedure() writes; a test holds the file equal to it.
BOOTSTRAP_PROCEDURE = f"{SCHEMA}.create_warehouse"
BOOTSTRAP_FILE = "terraform/warehouse/create_warehouse.sql"
BOOTSTRAP_STEP = "aws_redshiftdata_statement.create_warehouse (terraform/warehouse_bootstrap.tf)"


def warehouse_objects() -> list[str]:
    """The tables and views a load needs, without their schema."""
    return [t.name for t in TABLES] + list(VIEWS)


def bootstrap_procedure() -> str:
    """The procedure that creates every table and view, idempotently (Redshift)."""
    body = "".join(
        f"  {line}\n" if line else "\n"
        for ddl in schema_ddl(REDSHIFT)[1:]
        for line in f"{ddl};".splitlines()
    )
    return (
        f"CREATE OR REPLACE PROCEDURE {BOOTSTRAP_PROCEDURE}() AS $$\nBEGIN\n{body}END;\n"
        "$$ LANGUAGE plpgsql\n"
    )


def warehouse_objects_query() -> str:
    """The schema's tables and views, from the system catalog every user may read."""
    return (
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{SCHEMA}' AND c.relkind IN ('r', 'v')"
    )
