"""SQL for the warehouse, rendered from the one model for PostgreSQL and Redshift.

Only the DDL differs between the two (Redshift's distribution and sort keys); the load
statements are plain SQL both run: MERGE, DELETE ... USING, INSERT ... SELECT.
"""

from __future__ import annotations

from cafe_etl.schema import UNKNOWN_REGION
from cafe_etl.warehouse.model import (
    DIM_BRANCH,
    DIM_PRODUCT,
    ETL_FILE,
    ETL_RUN,
    FACT_BASKET_ITEM,
    FACT_TRANSACTION,
    SCHEMA,
    STG_BASKET_ITEM_COLUMNS,
    STG_TRANSACTION_COLUMNS,
    TABLES,
    Table,
)
from cafe_etl.warehouse.views import VIEWS, view_ddl

POSTGRES = "postgres"
REDSHIFT = "redshift"
DIALECTS = (POSTGRES, REDSHIFT)

STG_TRANSACTION = "stg_transaction"
STG_BASKET_ITEM = "stg_basket_item"
STG_DAY = "stg_day"
STG_BRANCH = "stg_branch"
STG_FILE = "stg_file"
ETL_RUN_TABLE = ETL_RUN.qualified


def _column_types() -> dict[str, str]:
    types: dict[str, str] = {}
    for table in TABLES:
        for col in table.columns:
            types.setdefault(col.name, col.type)
    return types


def create_table(table: Table, dialect: str) -> str:
    lines = [f"    {c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in table.columns]
    lines.append(f"    PRIMARY KEY ({', '.join(table.primary_key)})")
    if dialect == REDSHIFT:
        # Informational in Redshift (not enforced, used by the planner). PostgreSQL would
        # check them row by row on every load, which is most of a big load's time; the
        # loader guarantees them instead (dimensions merge first, in the same transaction).
        for col, ref_table, ref_col in table.foreign_keys:
            lines.append(f"    FOREIGN KEY ({col}) REFERENCES {SCHEMA}.{ref_table} ({ref_col})")
    ddl = f"CREATE TABLE IF NOT EXISTS {table.qualified} (\n" + ",\n".join(lines) + "\n)"
    if dialect == REDSHIFT:
        ddl += f"\nDISTSTYLE {table.diststyle}"
        if table.distkey:
            ddl += f"\nDISTKEY ({table.distkey})"
        if table.sortkey:
            ddl += f"\nSORTKEY ({', '.join(table.sortkey)})"
    return ddl


def schema_ddl(dialect: str) -> list[str]:
    """Idempotent DDL for the whole warehouse, in dependency order."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"]
    statements += [create_table(t, dialect) for t in TABLES]
    statements += view_ddl()
    if dialect == POSTGRES:
        statements.append(_sale_date_index("IF NOT EXISTS "))
    return statements


# --- Redshift: the bootstrap owns the schema, its tables and its views --------------------
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


# The batch replace and the trend views filter facts by day (PostgreSQL only).
SALE_DATE_INDEX = "fact_transaction_sale_date"
BULK_TABLES = (FACT_TRANSACTION, FACT_BASKET_ITEM)


def _sale_date_index(if_not_exists: str = "") -> str:
    return (
        f"CREATE INDEX {if_not_exists}{SALE_DATE_INDEX} ON {FACT_TRANSACTION.qualified} (sale_date)"
    )


def bulk_load_indexes() -> tuple[list[str], list[str]]:
    """PostgreSQL: statements that drop the fact tables' indexes, and that rebuild them.

    When a load at least doubles the facts, inserting row by row into the primary-key
    B-trees costs more than building them again from sorted data afterwards. The keys
    are still checked: rebuilding a primary key fails on a duplicate and the load's
    transaction rolls back.
    """
    drops = [f"DROP INDEX {SCHEMA}.{SALE_DATE_INDEX}"]
    creates = [_sale_date_index()]
    for table in BULK_TABLES:
        drops.append(f"ALTER TABLE {table.qualified} DROP CONSTRAINT {table.name}_pkey")
        creates.append(
            f"ALTER TABLE {table.qualified} ADD CONSTRAINT {table.name}_pkey "
            f"PRIMARY KEY ({', '.join(table.primary_key)})"
        )
    return drops, creates


def staging_ddl(dialect: str) -> list[str]:
    """Session-local staging tables, gone at the end of the load transaction."""
    types = _column_types()
    types.update({"branch_name": "VARCHAR(100)", "region": "VARCHAR(40)"})

    def temp(name: str, columns: tuple[str, ...]) -> str:
        cols = ", ".join(f"{c} {types[c]}" for c in columns)
        tail = " ON COMMIT DROP" if dialect == POSTGRES else ""
        return f"CREATE TEMP TABLE {name} ({cols}){tail}"

    return [
        temp(STG_TRANSACTION, STG_TRANSACTION_COLUMNS),
        temp(STG_BASKET_ITEM, STG_BASKET_ITEM_COLUMNS),
        temp(STG_DAY, ("sale_date",)),
    ]


def merge_statements(source: str) -> list[str]:
    """Staging → star schema. Run inside the load's one transaction.

    A batch load is the system of record for its days: its transactions replace the
    batch-loaded ones of those days (a re-run after a fix drops rows no longer there);
    stream-loaded rows stay. A stream load only adds transactions not yet present.
    """
    t, b = FACT_TRANSACTION.qualified, FACT_BASKET_ITEM.qualified
    statements = [
        # Redshift's MERGE takes a table as its source, never a subquery (r_MERGE).
        f"CREATE TEMP TABLE {STG_BRANCH} AS "
        f"SELECT DISTINCT branch_id, branch_name, region FROM {STG_TRANSACTION}",
        f"""MERGE INTO {DIM_BRANCH.qualified} USING {STG_BRANCH} AS s
ON {DIM_BRANCH.qualified}.branch_id = s.branch_id
WHEN MATCHED THEN UPDATE SET branch_name = s.branch_name, region = s.region
WHEN NOT MATCHED THEN INSERT (branch_id, branch_name, region)
    VALUES (s.branch_id, s.branch_name, s.region)""",
        # Insert-only steps are INSERT … WHERE NOT EXISTS: Redshift's MERGE needs both a
        # MATCHED and a NOT MATCHED clause.
        # The staged products (product_convergence_statements made them, a few rows).
        f"""INSERT INTO {DIM_PRODUCT.qualified} (product_id, product_name, size, flavour)
SELECT s.product_id, MIN(s.product_name), MIN(s.size), MIN(s.flavour) FROM {STG_PRODUCT} s
WHERE NOT EXISTS (SELECT 1 FROM {DIM_PRODUCT.qualified} p WHERE p.product_id = s.product_id)
GROUP BY s.product_id""",
    ]
    if source == "batch":
        gone = f"""SELECT f.transaction_id FROM {t} f
    JOIN {STG_DAY} d ON f.sale_date = d.sale_date
    WHERE f.source = 'batch' AND NOT EXISTS (
        SELECT 1 FROM {STG_TRANSACTION} s WHERE s.transaction_id = f.transaction_id)"""
        statements += [
            f"DELETE FROM {b} WHERE transaction_id IN ({gone})",
            f"DELETE FROM {t} WHERE transaction_id IN ({gone})",
        ]
    cols = [c.name for c in FACT_TRANSACTION.columns]
    if source == "batch":
        update = ", ".join(f"{c} = s.{c}" for c in cols if c != "transaction_id")
        statements.append(
            f"""MERGE INTO {t} USING {STG_TRANSACTION} AS s ON {t}.transaction_id = s.transaction_id
WHEN MATCHED THEN UPDATE SET {update}
WHEN NOT MATCHED THEN INSERT ({", ".join(cols)})
    VALUES ({", ".join("s." + c for c in cols)})"""
        )
    else:  # insert-only: Redshift's MERGE cannot have a NOT MATCHED clause alone
        statements.append(
            f"""INSERT INTO {t} ({", ".join(cols)})
SELECT {", ".join("s." + c for c in cols)} FROM {STG_TRANSACTION} s
WHERE NOT EXISTS (SELECT 1 FROM {t} f WHERE f.transaction_id = s.transaction_id)"""
        )
    item_cols = [c.name for c in FACT_BASKET_ITEM.columns]
    if source == "batch":
        statements.append(
            f"DELETE FROM {b} WHERE transaction_id IN "
            f"(SELECT transaction_id FROM {STG_TRANSACTION})"
        )
        new_items = f"SELECT {', '.join('i.' + c for c in item_cols)} FROM {STG_BASKET_ITEM} i"
    else:
        new_items = f"""SELECT {", ".join("i." + c for c in item_cols)} FROM {STG_BASKET_ITEM} i
WHERE NOT EXISTS (SELECT 1 FROM {b} x
    WHERE x.transaction_id = i.transaction_id AND x.line_number = i.line_number)"""
    statements.append(f"INSERT INTO {b} ({', '.join(item_cols)})\n{new_items}")
    return statements


# --- Reference data: branch regions and product spellings (issue #20) -------------------
STG_REGION = "stg_region"
STG_BRANCH_REGION = "stg_branch_region"
STG_PRODUCT_MERGE = "stg_product_merge"
STG_PRODUCT = "stg_product"


def _temp_as(name: str, dialect: str) -> str:
    """`CREATE TEMP TABLE name AS` (PostgreSQL's dropped at commit, as the staging tables)."""
    return f"CREATE TEMP TABLE {name}{' ON COMMIT DROP' if dialect == POSTGRES else ''} AS"


def _binary(expr: str, dialect: str) -> str:
    """Order text by its UTF-8 bytes, as Spark does: Redshift always orders so ("ORDER BY
    expressions and functions such as MIN, MAX and RANK return results based on binary
    UTF8 ordering", AWS docs "Collation sequences"); PostgreSQL only with COLLATE "C"."""
    return f'{expr} COLLATE "C"' if dialect == POSTGRES else expr


def region_staging_ddl(dialect: str) -> str:
    """The load's copy of the branch → region table (reference.read_regions), lower-cased."""
    tail = " ON COMMIT DROP" if dialect == POSTGRES else ""
    return f"CREATE TEMP TABLE {STG_REGION} (town_key VARCHAR(100), region VARCHAR(40)){tail}"


def region_rows(regions) -> list[tuple[str, str]]:
    """The rows of stg_region: one per lower-cased name (the first region of a name wins)."""
    rows: dict[str, str] = {}
    for town, region in regions:
        rows.setdefault(town.strip().lower(), region.strip())
    return sorted(rows.items())


def region_refresh_statements(dialect: str) -> list[str]:
    """Every branch's region from stg_region, the rule of reference.region_of in SQL.

    A name matches when it is the branch's whole lower-cased name or is followed in it by
    a space (`london` in `london soho`); the longest match wins. Only dim_branch changes:
    facts refer to branches by id, so a branch the table gains moves to its region
    without reloading a fact. Redshift rejects outer joins in UPDATE … FROM (AWS docs
    "UPDATE": "Target table must be part of an equijoin predicate"), hence the temp table.
    """
    d = DIM_BRANCH.qualified
    return [
        f"""{_temp_as(STG_BRANCH_REGION, dialect)}
SELECT b.branch_id, COALESCE(m.region, '{UNKNOWN_REGION}') AS region
FROM {d} b LEFT JOIN (
    SELECT branch_id, region FROM (
        SELECT x.branch_id, r.region, ROW_NUMBER() OVER (
            PARTITION BY x.branch_id ORDER BY LENGTH(r.town_key) DESC) AS match_rank
        FROM {d} x JOIN {STG_REGION} r
            ON LOWER(x.branch_name) = r.town_key
            OR LEFT(LOWER(x.branch_name), LENGTH(r.town_key) + 1) = r.town_key || ' '
    ) ranked WHERE match_rank = 1
) m ON m.branch_id = b.branch_id""",
        f"""UPDATE {d} AS t SET region = s.region FROM {STG_BRANCH_REGION} s
WHERE t.branch_id = s.branch_id AND t.region <> s.region""",
    ]


def product_convergence_statements(dialect: str) -> list[str]:
    """One product per product: staged and existing products grouped by identity.

    Identity is transform.product_key (product and flavour without case or surrounding
    spaces, and size). Each group keeps the product whose trimmed (name, flavour) comes
    first in binary order (transform.product_spellings' rule, over every spelling the
    warehouse holds plus this load's); the others are merged into it: staged items and
    loaded basket items re-pointed, the merged products deleted. Runs before
    merge_statements, in the load's transaction. In a converged warehouse a load merges
    at most its own new spellings, which have no loaded items yet; with no loaded item to
    re-point, PostgreSQL's hash join finds the merge table empty and reads one fact row,
    not the table (EXPLAIN ANALYZE on `make run`'s warehouse: 0.2 ms for 387,727 items).
    """
    p, b = DIM_PRODUCT.qualified, FACT_BASKET_ITEM.qualified
    group = "PARTITION BY LOWER(TRIM(product_name)), size, LOWER(TRIM(flavour))"
    order = (
        f"ORDER BY {_binary('TRIM(product_name)', dialect)}, "
        f"{_binary('TRIM(flavour)', dialect)}, product_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    )
    first = f"OVER ({group} {order})"
    return [
        # The staged items' products, read once: every later product step reads these few
        # rows instead of every staged item (2.1M at 1M transactions: two scans of them
        # took 2.7 and 1.5 s of a load, 2026-11-26).
        f"""{_temp_as(STG_PRODUCT, dialect)}
SELECT product_id, product_name, size, flavour FROM {STG_BASKET_ITEM}
GROUP BY product_id, product_name, size, flavour""",
        f"""{_temp_as(STG_PRODUCT_MERGE, dialect)}
SELECT product_id AS old_id, new_id, new_name, new_flavour, existing FROM (
    SELECT product_id, existing,
           FIRST_VALUE(product_id) {first} AS new_id,
           FIRST_VALUE(product_name) {first} AS new_name,
           FIRST_VALUE(flavour) {first} AS new_flavour
    FROM (
        SELECT product_id, product_name, size, flavour, 1 AS existing FROM {p}
        UNION ALL
        SELECT s.product_id, s.product_name, s.size, s.flavour, 0 AS existing
        FROM {STG_PRODUCT} s
        WHERE NOT EXISTS (SELECT 1 FROM {p} e WHERE e.product_id = s.product_id)
    ) spellings
) grouped WHERE product_id <> new_id""",
        f"""UPDATE {STG_BASKET_ITEM} AS i
SET product_id = m.new_id, product_name = m.new_name, flavour = m.new_flavour
FROM {STG_PRODUCT_MERGE} m WHERE i.product_id = m.old_id""",
        f"""UPDATE {STG_PRODUCT} AS i
SET product_id = m.new_id, product_name = m.new_name, flavour = m.new_flavour
FROM {STG_PRODUCT_MERGE} m WHERE i.product_id = m.old_id""",
        f"""UPDATE {b} AS i SET product_id = m.new_id
FROM {STG_PRODUCT_MERGE} m WHERE i.product_id = m.old_id AND m.existing = 1""",
        f"DELETE FROM {p} WHERE product_id IN "
        f"(SELECT old_id FROM {STG_PRODUCT_MERGE} WHERE existing = 1)",
    ]


def run_started(dialect: str) -> str:
    return (
        f"INSERT INTO {ETL_RUN.qualified} (run_id, job_name, started_at, status) "
        "VALUES (%s, %s, %s, 'running')"
    )


def run_finished() -> str:
    return (
        f"UPDATE {ETL_RUN.qualified} SET status = %s, finished_at = %s, summary = %s "
        "WHERE run_id = %s"
    )


# --- the file ledger (cafe.etl_file) ----------------------------------------------------

LEDGER_COLUMNS = ETL_FILE.column_names


def ledger_staging_ddl(dialect: str) -> str:
    cols = ", ".join(f"{c.name} {c.type}" for c in ETL_FILE.columns)
    tail = " ON COMMIT DROP" if dialect == POSTGRES else ""
    return f"CREATE TEMP TABLE {STG_FILE} ({cols}){tail}"


def ledger_statements() -> list[str]:
    """Staged ledger rows replace the ledger's rows of the same keys (a re-sent file)."""
    cols = ", ".join(LEDGER_COLUMNS)
    return [
        f"DELETE FROM {ETL_FILE.qualified} WHERE file_key IN (SELECT file_key FROM {STG_FILE})",
        f"INSERT INTO {ETL_FILE.qualified} ({cols}) SELECT {cols} FROM {STG_FILE}",
    ]


def ledger_query(first_day: str, last_day: str) -> str:
    """The loaded files of a span of days (both dialects; dates are ISO literals)."""
    return (
        f"SELECT file_key, file_day, branch_name, size_bytes, version, late "
        f"FROM {ETL_FILE.qualified} "
        f"WHERE file_day BETWEEN '{first_day}' AND '{last_day}'"
    )
