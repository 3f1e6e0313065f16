"""A few rows the driver holds (a run's files, their splits), as a DataFrame of the JVM's;
and Spark SQL string literals.

`spark.createDataFrame(rows)` ships local rows through an RDD whose pickled batches a
Python worker process re-reads (pyspark's `RDD._reserialize`): each such frame costs a
Python worker start and a task wave when a query first reads it, on Glue on the
executors. The same rows as one JSON text, parsed by Spark's `from_json` (one literal
to plan, however many rows), need no Python process.

Bottom layer: imports nothing of the project.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def local_frame(
    spark: SparkSession, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence]
) -> DataFrame:
    """`rows` as a DataFrame of `columns` ((name, Spark SQL type) pairs), in the JVM.

    Values are str, int, bool, date or None; dates travel as ISO text, which from_json
    reads back as dates.
    """
    names = [name for name, _ in columns]
    text = json.dumps(
        [dict(zip(names, map(_json_value, row), strict=True)) for row in rows],
        ensure_ascii=False,
    )
    schema = "array<struct<" + ", ".join(f"`{n}`: {kind}" for n, kind in columns) + ">>"
    return spark.range(1, numPartitions=1).select(F.inline(F.from_json(F.lit(text), schema)))


def _json_value(value):
    if isinstance(value, dt.datetime):
        raise TypeError("local_frame takes dates, not datetimes")
    return value.isoformat() if isinstance(value, dt.date) else value


def sql_string(text: str) -> str:
    """A Spark SQL string literal of `text` (backslash escapes, Spark's default parser)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
