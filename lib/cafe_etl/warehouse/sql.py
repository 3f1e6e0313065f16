"""SQL for the warehouse, rendered from the one model for PostgreSQL and Redshift.

Only the DDL differs between the two (Redshift's distribution and sort keys); the load
statements are plain SQL both run: MERGE, DELETE ... USING, INSERT ... SELECT.
"""

from __future__ import annotations

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
from cafe_etl.warehouse.views import view_ddl

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
        f"""INSERT INTO {DIM_PRODUCT.qualified} (product_id, product_name, size, flavour)
SELECT s.product_id, MIN(s.product_name), MIN(s.size), MIN(s.flavour) FROM {STG_BASKET_ITEM} s
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
