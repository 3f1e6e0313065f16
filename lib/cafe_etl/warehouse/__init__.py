"""The warehouse: one star schema (model.py), its SQL dialects (sql.py, views.py) and the
two loaders behind one interface (base.Warehouse): PostgreSQL, embedded or not, for a
laptop (postgres.py), and Redshift through the Data API on AWS (redshift.py).

Middle layer: may import lake, reference, io, schema and errors; never the jobs.
"""

from __future__ import annotations

import threading
from urllib.parse import urlparse

from cafe_etl.errors import UsageError
from cafe_etl.warehouse.base import Warehouse

SCHEMES = ("postgresql", "postgres", "embedded", "redshift")

__all__ = ["SCHEMES", "Warehouse", "check_url", "open_warehouse", "prestart"]


def check_url(url: str) -> str:
    """The URL's scheme, or a UsageError naming what is accepted."""
    scheme = urlparse(url).scheme
    if scheme not in SCHEMES:
        raise UsageError(
            f"--warehouse_url {url!r}: expected postgresql://USER@HOST/DB, embedded://DIR "
            "or redshift://WORKGROUP/DATABASE"
        )
    return scheme


# Each loader is imported when its URL is used: the Glue wheel has no PostgreSQL driver
# (psycopg and pgserver are [local] packages), and a laptop needs no Redshift client.


def open_warehouse(
    url: str, copy_role_arn: str | None = None, region: str | None = None
) -> Warehouse:
    """The loader for a --warehouse_url: PostgreSQL (any, or embedded) or Redshift."""
    scheme = check_url(url)
    if scheme in ("postgresql", "postgres", "embedded"):
        from cafe_etl.warehouse.postgres import PostgresWarehouse  # noqa: PLC0415 - see above

        return PostgresWarehouse(url)
    if scheme == "redshift":
        from cafe_etl.warehouse.redshift import RedshiftWarehouse  # noqa: PLC0415 - see above

        return RedshiftWarehouse(url, copy_role_arn=copy_role_arn, region=region)
    raise AssertionError(scheme)  # check_url admits only the schemes above


def prestart(url: str | None) -> None:
    """Start an embedded warehouse in the background while the JVM starts (a second saved).

    Failures are left for the job's own first connection, which reports them properly.
    """
    if not url or urlparse(url).scheme != "embedded":
        return

    def start() -> None:
        from cafe_etl.warehouse.postgres import conninfo_for  # noqa: PLC0415 - see above

        try:
            conninfo_for(url)
        except Exception:  # reported by the job's first real connection
            pass

    threading.Thread(target=start, name="warehouse-prestart", daemon=True).start()
