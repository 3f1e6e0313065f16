"""The star schema, defined once. Each SQL dialect renders its DDL from this."""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA = "cafe"


@dataclass(frozen=True)
class Col:
    name: str
    type: str  # portable SQL type: the same text in PostgreSQL and Redshift
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Col, ...]
    primary_key: tuple[str, ...]
    # Redshift physical design (ignored by PostgreSQL).
    diststyle: str = "AUTO"  # ALL, KEY, EVEN or AUTO
    distkey: str | None = None
    sortkey: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (col, table, col)

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


DIM_BRANCH = Table(
    "dim_branch",
    (
        Col("branch_id", "BIGINT"),
        Col("branch_name", "VARCHAR(100)"),
        Col("region", "VARCHAR(40)"),
    ),
    primary_key=("branch_id",),
    diststyle="ALL",
    sortkey=("branch_id",),
)
DIM_PRODUCT = Table(
    "dim_product",
    (
        Col("product_id", "BIGINT"),
        Col("product_name", "VARCHAR(100)"),
        Col("size", "VARCHAR(10)", nullable=True),
        Col("flavour", "VARCHAR(60)", nullable=True),
    ),
    primary_key=("product_id",),
    diststyle="ALL",
    sortkey=("product_id",),
)
FACT_TRANSACTION = Table(
    "fact_transaction",
    (
        Col("transaction_id", "CHAR(64)"),
        Col("branch_id", "BIGINT"),
        Col("sold_at", "TIMESTAMP"),
        Col("sale_date", "DATE"),
        Col("payment_method", "VARCHAR(4)"),
        Col("total_amount", "DECIMAL(10,2)"),
        Col("item_count", "SMALLINT"),
        Col("customer_key", "CHAR(64)", nullable=True),
        Col("source", "VARCHAR(10)"),
    ),
    primary_key=("transaction_id",),
    # Facts join each other on transaction_id: co-locate the two fact tables by it.
    diststyle="KEY",
    distkey="transaction_id",
    sortkey=("sale_date",),
    foreign_keys=(("branch_id", "dim_branch", "branch_id"),),
)
FACT_BASKET_ITEM = Table(
    "fact_basket_item",
    (
        Col("transaction_id", "CHAR(64)"),
        Col("line_number", "SMALLINT"),
        Col("product_id", "BIGINT"),
        Col("unit_price", "DECIMAL(10,2)"),
    ),
    primary_key=("transaction_id", "line_number"),
    diststyle="KEY",
    distkey="transaction_id",
    sortkey=("transaction_id",),
    foreign_keys=(
        ("transaction_id", "fact_transaction", "transaction_id"),
        ("product_id", "dim_product", "product_id"),
    ),
)
ETL_RUN = Table(
    "etl_run",
    (
        Col("run_id", "VARCHAR(64)"),
        Col("job_name", "VARCHAR(200)"),
        Col("started_at", "TIMESTAMP"),
        Col("finished_at", "TIMESTAMP", nullable=True),
        Col("status", "VARCHAR(16)"),
        Col("summary", "VARCHAR(65535)", nullable=True),
    ),
    primary_key=("run_id",),
    diststyle="ALL",
    sortkey=("started_at",),
)

# The file ledger: one row per raw file loaded, written in the same transaction as the
# facts it brought, so the ledger never names a file whose rows did not commit.
ETL_FILE = Table(
    "etl_file",
    (
        Col("file_key", "VARCHAR(1024)"),
        Col("file_day", "DATE", nullable=True),
        Col("branch_name", "VARCHAR(200)"),
        Col("size_bytes", "BIGINT"),
        Col("version", "VARCHAR(300)"),  # `etag:…` (S3) or `mtime:<ISO UTC>` (other stores)
        Col("run_id", "VARCHAR(64)"),
        Col("loaded_at", "TIMESTAMP"),
        Col("late", "BOOLEAN"),  # arrived after its day had first been loaded
    ),
    primary_key=("file_key",),
    diststyle="ALL",
    sortkey=("file_day",),
)

TABLES: tuple[Table, ...] = (
    DIM_BRANCH,
    DIM_PRODUCT,
    FACT_TRANSACTION,
    FACT_BASKET_ITEM,
    ETL_RUN,
    ETL_FILE,
)

# Staging tables carry what the lake carries, so dimensions come from the same COPY.
STG_TRANSACTION_COLUMNS = (
    "transaction_id",
    "branch_id",
    "branch_name",
    "region",
    "sold_at",
    "sale_date",
    "payment_method",
    "total_amount",
    "item_count",
    "customer_key",
    "source",
)
STG_BASKET_ITEM_COLUMNS = (
    "transaction_id",
    "line_number",
    "product_id",
    "product_name",
    "size",
    "flavour",
    "unit_price",
)
