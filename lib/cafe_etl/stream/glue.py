"""The streaming job on AWS Glue: Glue's Kinesis source and forEachBatch."""

from __future__ import annotations

import time

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cafe_etl.errors import UsageError
from cafe_etl.runtime import Runtime
from cafe_etl.stream.micro_batch import MicroBatch


def glue_source_options(args: dict) -> dict:
    """Glue's Kinesis source options, as Glue's "Kinesis connections" reference has them.

    `streamARN` is the documented required option (it carries the region, so no
    endpointUrl). `inferSchema` "true" hands each micro-batch the record text untouched in
    a `$json$...` column: records are JSON arrays or objects, which no one `schema` fits,
    and `inferSchema` "false" would need one. `addRecordTimestamp` adds the arrival time
    as `__src_timestamp` (Glue 4.0 and later); it is never part of a record.
    """
    if not args.get("stream_arn"):
        raise UsageError("on Glue the Kinesis source needs --stream_arn (its streamARN option)")
    return {
        "streamARN": args["stream_arn"],
        "classification": "json",
        "startingPosition": (args.get("starting_position") or "TRIM_HORIZON").lower(),
        "inferSchema": "true",
        "addRecordTimestamp": "true",
    }


# Columns Glue's Kinesis source adds beside a record's own fields.
GLUE_RECORD_TIMESTAMP = "__src_timestamp"
GLUE_RAW_TEXT_PREFIX = "$json$"


def glue_records(frame: DataFrame) -> DataFrame:
    """A micro-batch from Glue's Kinesis source → records (RECORD_SCHEMA).

    The record text is the `$json$...` column when Glue gives it (inferSchema "true");
    otherwise the record is rebuilt as a JSON object from its own columns, leaving out
    every column Glue added (`__src_timestamp` and the like).
    """
    raw = next((c for c in frame.columns if c.startswith(GLUE_RAW_TEXT_PREFIX)), None)
    if raw is not None:
        data = F.col(f"`{raw}`").cast("string")
    else:
        own = [c for c in frame.columns if not c.startswith("__")]
        data = F.to_json(F.struct(*[F.col(f"`{c}`") for c in own]))
    if GLUE_RECORD_TIMESTAMP not in frame.columns:
        arrival = F.lit(int(time.time() * 1000))
    elif dict(frame.dtypes)[GLUE_RECORD_TIMESTAMP] == "timestamp":
        arrival = F.unix_millis(F.col(GLUE_RECORD_TIMESTAMP))
    else:  # epoch milliseconds
        arrival = F.col(GLUE_RECORD_TIMESTAMP)
    return frame.select(
        data.alias("data"),
        F.lit("glue").alias("shard_id"),
        F.monotonically_increasing_id().cast("string").alias("sequence_number"),
        arrival.cast("long").alias("arrival_ms"),
    )


def run_on_glue(runtime: Runtime, args: dict, batch: MicroBatch, window: float) -> dict:
    """Glue's Kinesis source and forEachBatch; each batch goes through MicroBatch.process."""
    source = runtime.glue_context.create_data_frame.from_options(
        connection_type="kinesis", connection_options=glue_source_options(args)
    )

    def each(frame: DataFrame, batch_id: int) -> None:
        if frame.isEmpty():
            return
        batch.process(glue_records(frame), batch_id)

    runtime.glue_context.forEachBatch(
        frame=source,
        batch_function=each,
        options={
            "windowSize": f"{int(window)} seconds",
            "checkpointLocation": args["checkpoint_uri"],
        },
    )
    return dict(batch.totals)
