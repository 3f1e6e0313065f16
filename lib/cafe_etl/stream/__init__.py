"""The streaming job: Kinesis records → the same transforms, lake and warehouse as the batch.

One micro-batch at a time (`MicroBatch.process`) into the lake; the warehouse loads the
lake's new files at most every `--load_interval_seconds` (loads.py), once more when the
job stops, and at its start whatever an earlier run left unloaded. On Glue, Glue's
Kinesis source and a foreachBatch query drive it (glue.py); locally `LocalKinesisDriver`
reads every shard with boto3 and forms a batch every `--window_seconds`. With
`--stop_at HH:MM` (Europe/London) the job ends by itself after closing (schedule.py).

Delivery: records are read at least once (a batch is re-read after a crash until its
shard positions are saved, which happens only after its lake write and the note that it
is unloaded), and every write is idempotent, so the effect is exactly once:
- a batch in the lake is loaded by the next load, or after a crash by the next run's
  first, from the notes in the lake and the warehouse's run log (loads.py);
- the warehouse merge is insert-only by transaction_id (source = 'stream');
- the lake files of a batch have names derived from the checkpoint's epoch and the
  batch id (a lost checkpoint starts a new epoch: batch 0 again gets new names); before
  a batch writes, files left by an earlier attempt of the same batch are removed, and its
  transactions already in the lake (from an earlier batch or the nightly job) are left
  out;
- the local driver writes its next batch's shard ranges ("pending") before processing
  it, so a restarted driver re-reads exactly the same records under the same batch id.

Modules: records.py (record → raw row), micro_batch.py (one batch into the lake),
loads.py (the warehouse loads), schedule.py (clock, cadence, closing time),
checkpoint.py, kinesis_local.py (the laptop's driver), glue.py (Glue's).
Sits beside pipeline (never imports it); both build on processing.
"""

from __future__ import annotations

import boto3

from cafe_etl.errors import UsageError
from cafe_etl.runtime import Runtime, redact_in_plans, resolve_salt
from cafe_etl.stream.checkpoint import Checkpoint
from cafe_etl.stream.glue import glue_records, glue_source_options, run_on_glue
from cafe_etl.stream.kinesis_local import LocalKinesisDriver
from cafe_etl.stream.micro_batch import MicroBatch
from cafe_etl.stream.records import RECORD_SCHEMA, records_to_raw_rows
from cafe_etl.stream.schedule import (
    Clock,
    parse_load_interval,
    parse_stop_at,
    stop_deadline,
)

__all__ = [
    "RECORD_SCHEMA",
    "Checkpoint",
    "Clock",
    "LocalKinesisDriver",
    "MicroBatch",
    "glue_records",
    "glue_source_options",
    "parse_load_interval",
    "parse_stop_at",
    "records_to_raw_rows",
    "run_stream",
    "stop_deadline",
]


def run_stream(runtime: Runtime, args: dict, clock: Clock | None = None) -> dict:
    spark = runtime.spark
    clock = clock or Clock()
    interval = parse_load_interval(args.get("load_interval_seconds"))
    deadline = stop_deadline(parse_stop_at(args.get("stop_at")), clock.time())
    salt = resolve_salt(args, runtime.on_glue)
    redact_in_plans(spark, salt)
    window = float(args.get("window_seconds") or 30)
    if window <= 0:
        raise UsageError("--window_seconds must be positive")
    batch = MicroBatch(
        spark,
        runtime.job_name,
        args["stream_name"],
        args["lake_uri"],
        args["warehouse_url"],
        salt,
        args.get("redshift_copy_role_arn"),
        args.get("aws_region"),
        reference_uri=args.get("reference_uri"),
        load_interval_seconds=interval,
        clock=clock,
    )
    if runtime.on_glue and not args.get("kinesis_endpoint_url"):
        # Spark's checkpoint keeps Glue's batch ids; a small file beside it names their
        # epoch, and goes (and comes back new) with the checkpoint folder.
        epoch = Checkpoint(spark, args["checkpoint_uri"].rstrip("/") + "/cafe_epoch")
        epoch.save()
        batch.epoch = epoch.epoch
        return run_on_glue(runtime, args, batch, window, deadline)
    client = boto3.client(
        "kinesis", endpoint_url=args.get("kinesis_endpoint_url"), region_name=args.get("aws_region")
    )
    idle = args.get("stop_after_idle_seconds")
    driver = LocalKinesisDriver(
        spark=spark,
        client=client,
        stream_name=args["stream_name"],
        batch=batch,
        checkpoint=Checkpoint(spark, args["checkpoint_uri"]),
        window_seconds=window,
        stop_after_idle_seconds=float(idle) if idle else None,
        starting_position=args.get("starting_position") or "TRIM_HORIZON",
        stop_deadline=deadline,
        clock=clock,
    )
    return driver.run()
