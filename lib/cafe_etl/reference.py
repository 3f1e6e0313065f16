"""Reference data shipped with the package: UK towns → ONS regions."""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

from pyspark.sql import DataFrame, SparkSession


@functools.cache
def towns() -> tuple[tuple[str, str], ...]:
    """(town, region) pairs, one per town (case-insensitive), as shipped in data/uk_towns.csv."""
    text = resources.files("cafe_etl").joinpath("data/uk_towns.csv").read_text("utf-8")
    seen: dict[str, tuple[str, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        town, region = row["town"].strip(), row["region"].strip()
        if town and region:
            seen.setdefault(town.lower(), (town, region))
    return tuple(seen.values())


def region_of(town: str) -> str | None:
    lookup = {t.lower(): r for t, r in towns()}
    return lookup.get(town.strip().lower())


def towns_frame(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(list(towns()), "town string, region string")
