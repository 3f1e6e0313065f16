"""What a warehouse loader is, to the jobs: the one interface both loaders implement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cafe_etl.reference import Regions


@runtime_checkable
class Warehouse(Protocol):
    """A loader of the lake into the star schema (PostgreSQL locally, Redshift on AWS).

    A run: `start_run`, then `load` (one transaction: facts, dimensions, file ledger and
    the run's `succeeded` row commit together) or `finish_run(..., "failed", ...)`.
    """

    def ensure_schema(self) -> None:
        """Make sure the tables and views the loads need exist: PostgreSQL creates any
        that are absent (idempotent); on Redshift the bootstrap owns them and the loader
        only checks, naming what is missing."""

    def run_lock(self, job_name: str) -> AbstractContextManager[None]:
        """Held for a whole batch run; a second run started meanwhile refuses
        (errors.ConcurrentRunError). A loader whose platform already serialises runs
        may hold nothing."""

    def start_run(self, run_id: str, job_name: str, started_at: dt.datetime) -> None:
        """Record the run as running in the run log."""

    def finish_run(self, run_id: str, status: str, summary: dict) -> None:
        """Record how the run ended, with its summary."""

    def load(
        self,
        lake_uri: str,
        sale_dates: Sequence[str],
        source: str,
        run_id: str,
        summary: dict,
        files: dict[str, list[str]] | None = None,
        ledger: list[tuple] | None = None,
        regions: Regions | None = None,
    ) -> dict:
        """Load these days of the lake (or only `files`) and mark the run succeeded, in
        one transaction; returns the load's figures for the run summary."""

    def query(self, statement: str) -> tuple[list[str], list[tuple]]:
        """Run one read-only statement: (column names, rows)."""


def as_date(value) -> dt.date:
    """A DATE from `Warehouse.query`: a date from PostgreSQL, ISO text from Redshift's
    Data API (which gives dates, times and decimals as text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
