"""The warehouse: one schema definition, its SQL dialects and the loaders."""

from __future__ import annotations

from urllib.parse import urlparse

from cafe_etl.runtime import UsageError

SCHEMES = ("postgresql", "postgres", "embedded", "redshift")


def check_url(url: str) -> str:
    """The URL's scheme, or a UsageError naming what is accepted."""
    scheme = urlparse(url).scheme
    if scheme not in SCHEMES:
        raise UsageError(
            f"--warehouse_url {url!r}: expected postgresql://USER@HOST/DB, embedded://DIR "
            "or redshift://WORKGROUP/DATABASE"
        )
    return scheme


def open_warehouse(url: str, copy_role_arn: str | None = None, region: str | None = None):
    """The loader for a --warehouse_url: PostgreSQL (any, or embedded) or Redshift."""
    scheme = check_url(url)
    if scheme in ("postgresql", "postgres", "embedded"):
        from cafe_etl.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse(url)
    if scheme == "redshift":
        from cafe_etl.warehouse.redshift import RedshiftWarehouse

        return RedshiftWarehouse(url, copy_role_arn=copy_role_arn, region=region)
    raise AssertionError(scheme)  # check_url admits only the schemes above


def prestart(url: str | None) -> None:
    """Start an embedded warehouse in the background while the JVM starts (a second saved).

    Failures are left for the job's own first connection, which reports them properly.
    """
    if not url or urlparse(url).scheme != "embedded":
        return
    import threading

    def start() -> None:
        from cafe_etl.warehouse.postgres import conninfo_for

        try:
            conninfo_for(url)
        except Exception:  # reported by the job's first real connection
            pass

    threading.Thread(target=start, name="warehouse-prestart", daemon=True).start()
