"""The streaming job on AWS Glue: Glue's Kinesis source and a foreachBatch query."""

from __future__ import annotations

import logging
import threading
import time

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cafe_etl.errors import UsageError
from cafe_etl.runtime import Runtime
from cafe_etl.stream.micro_batch import MicroBatch
from cafe_etl.stream.schedule import describe

log = logging.getLogger("cafe_etl.stream")


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


def glue_batch_function(batch: MicroBatch, lock: threading.Lock):
    """The foreachBatch function: a micro-batch from Glue's source into the lake, then
    the warehouse load if one is due."""

    def each(frame: DataFrame, batch_id: int) -> None:
        with lock:
            if not frame.isEmpty():
                batch.process(glue_records(frame), batch_id)
            batch.loads.load_if_due()

    return each


# How often the driver's main thread looks at the clock while the query runs: the stop
# comes at most this late after closing, and a due load after a quiet spell.
POLL_SECONDS = 5.0
# Restarts of a failed query before the job fails, as GlueContext.forEachBatch's default
# `batchMaxRetries` (3).
QUERY_RETRIES = 3


def run_on_glue(
    runtime: Runtime,
    args: dict,
    batch: MicroBatch,
    window: float,
    stop_deadline: float | None = None,
) -> dict:
    """Glue's Kinesis source, each micro-batch through MicroBatch.process, until closing.

    The query is started here rather than by GlueContext.forEachBatch, which cannot end:
    it runs `query.start().awaitTermination()` in a `while True` loop that starts the query
    again whenever it terminates (awsglue/context.py, awsgluedataplanepython 5.1.0, the
    library Glue 5.1 runs). Here the driver's main thread waits on
    `awaitTermination(timeout)`, which "returns whether the query has terminated or not
    within the timeout seconds" (pyspark StreamingQuery.awaitTermination), and between
    waits loads the warehouse when due and, past `stop_deadline`, stops the query with
    `query.stop()` once no batch is half done: stop interrupts the query's own thread and
    waits for it to end, so it is called from the main thread, never from inside the batch
    function (which runs for that thread). The script then returns normally and the Glue
    run ends SUCCEEDED (FAILED is for a run that "terminated with an unknown exit code",
    "AWS Glue job run statuses").

    Left out with GlueContext.forEachBatch: its updates of Glue's streaming metrics
    (StreamingSource.updateNumRecords and the batch time), which nothing here alarms on;
    Spark's own query progress still goes to the log.

    A batch that starts in the instant between the last check and the stop may be cut
    short by it: Spark then never commits it, and the next run reads and writes it again
    (lake writes are idempotent by batch key, loads by transaction id).
    """
    source = runtime.glue_context.create_data_frame.from_options(
        connection_type="kinesis", connection_options=glue_source_options(args)
    )
    lock = threading.Lock()  # one at a time: a batch, a load between batches, the stop
    each = glue_batch_function(batch, lock)
    batch.loads.recover()  # what an earlier run wrote to the lake and never loaded
    if stop_deadline is not None:
        log.info("stops after %s", describe(stop_deadline))
    for attempt in range(QUERY_RETRIES + 1):
        query = (
            source.writeStream.foreachBatch(each)
            .trigger(processingTime=f"{int(window)} seconds")
            .option("checkpointLocation", args["checkpoint_uri"])
            .start()
        )
        try:
            while not query.awaitTermination(POLL_SECONDS):
                with lock:
                    batch.loads.load_if_due()
                    closing = stop_deadline is not None and batch.clock.time() >= stop_deadline
                if closing:
                    log.info("closing time: stopping the stream after its last batch")
                    query.stop()
            break
        except Exception:
            if attempt == QUERY_RETRIES:
                raise
            log.warning("the stream's query failed: restart %d of %d", attempt + 1, QUERY_RETRIES)
            batch.clock.sleep(min(attempt + 1, 5))
    with lock:
        batch.loads.load("stop")
    return {**batch.totals, **batch.loads.figures(), "status": "succeeded"}
