"""A few rows the driver holds (a run's files, their splits), as a DataFrame of the JVM's;
and Spark SQL literals of Python values.

`spark.createDataFrame(rows)` ships local rows through an RDD whose pickled batches a
Python worker process re-reads (pyspark's `RDD._reserialize`): each such frame costs a
Python worker start and a task wave when a query first reads it, on Glue on the
executors. The same rows written as SQL literals are planned by the JVM alone: one task,
no Python process. Worth it only for small tables: the literals are parsed on the driver.

Bottom layer: imports nothing of the project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def local_frame(
    spark: SparkSession, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence]
) -> DataFrame:
    """`rows` as a DataFrame of `columns` ((name, Spark SQL type) pairs), in the JVM."""
    structs = [
        "named_struct("
        + ", ".join(
            f"'{name}', CAST({sql_literal(value)} AS {kind})"
            for (name, kind), value in zip(columns, row, strict=True)
        )
        + ")"
        for row in rows
    ]
    if not structs:
        return spark.range(0).select(*[F.lit(None).cast(kind).alias(n) for n, kind in columns])
    table = F.expr("array(" + ", ".join(structs) + ")")
    return spark.range(1, numPartitions=1).select(F.inline(table))


def sql_literal(value) -> str:
    """A Spark SQL literal of a str, int, bool, date or None (Spark's default parser)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, str):
        return sql_string(value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def sql_string(text: str) -> str:
    """A Spark SQL string literal of `text` (backslash escapes, Spark's default parser)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
