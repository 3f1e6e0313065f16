"""Plain PySpark's floor for the lake stages: the bench's reference, run as its own process.

    python -m cafe_etl.devtools.spark_floor RAW_DIR OUT_DIR

What a plain Spark script needs for the same bytes as the nightly job's extract,
transform and lake write: Spark's CSV reader over the same raw files, then two
partitioned Parquet datasets (transactions by sale_date, de-duplicated by id; basket
items by sale_date), with no validation, no quarantine, no line numbers and no caching.
It is the DuckDB reference's work (bench.duckdb_time) written in Spark, on the same local
session settings as the job (cafe_etl.runtime.local_spark, CAFE_SPARK_MASTER for the
cores). The bench times the whole process, session start included; the last stdout line
is JSON with the time to a session and the time of the work after it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from cafe_etl.runtime import local_spark

FIELDS = ("ts", "branch", "name", "basket", "total", "payment", "card")
# The generator's two timestamp shapes, as in the DuckDB reference, whose `%d/%m/%Y %H:%M`
# also reads a spreadsheet's re-save (`2/11/2026 7:14`): Spark's `dd`, `MM` and `HH` need
# two digits, so `d`, `M` and `H`, as the job's own format (schema.TS_UK).
FORMATS = ("d/M/yyyy H:mm", "yyyy-MM-dd'T'HH:mm:ss")


def write_floor(spark, raw: Path, out: Path) -> None:
    schema = StructType([StructField(f, StringType()) for f in FIELDS])
    rows = spark.read.csv(str(raw.resolve() / "*" / "*" / "*" / "*.csv"), schema=schema)
    trimmed = {f: F.trim(F.col(f)) for f in FIELDS}
    sold_at = F.coalesce(*(F.try_to_timestamp(trimmed["ts"], F.lit(f)) for f in FORMATS))
    t = (
        rows.select(
            F.sha2(F.concat_ws("\x1f", F.lit("salt"), *trimmed.values()), 256).alias(
                "transaction_id"
            ),
            trimmed["branch"].alias("branch_name"),
            sold_at.alias("sold_at"),
            F.upper(trimmed["payment"]).alias("payment_method"),
            trimmed["total"].cast("decimal(10,2)").alias("total_amount"),
            trimmed["basket"].alias("basket"),
        )
        .where(F.col("sold_at").isNotNull())
        .withColumn("sale_date", F.to_date("sold_at"))
    )
    (
        t.drop("basket")
        .dropDuplicates(["transaction_id"])
        .write.mode("overwrite")
        .partitionBy("sale_date")
        .parquet(str(out.resolve() / "transactions"))
    )
    (
        t.select("transaction_id", "sale_date", F.explode(F.split("basket", ",")).alias("item"))
        .withColumn("item", F.trim("item"))
        .write.mode("overwrite")
        .partitionBy("sale_date")
        .parquet(str(out.resolve() / "basket_items"))
    )


def main(argv: list[str]) -> int:
    raw, out = Path(argv[1]), Path(argv[2])
    started = time.monotonic()
    spark = local_spark("cafe-spark-floor")
    session = time.monotonic() - started
    write_floor(spark, raw, out)
    work = time.monotonic() - started - session
    spark.stop()
    print(json.dumps({"session_seconds": round(session, 2), "work_seconds": round(work, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
