"""The streaming job: Kinesis records → the same transforms, lake and warehouse as the batch.

One micro-batch at a time (`MicroBatch.process`). On Glue, Glue's Kinesis source and
`forEachBatch` drive it; locally `LocalKinesisDriver` reads every shard with boto3 and
forms a batch every `--window_seconds`.

Delivery: records are read at least once (a batch is re-read after a crash until its
shard positions are saved, which happens only after its warehouse load committed), and
every write is idempotent, so the effect is exactly once:
- the warehouse merge is insert-only by transaction_id (source = 'stream');
- the lake files of a batch have names derived from the checkpoint's epoch and the
  batch id (a lost checkpoint starts a new epoch: batch 0 again gets new names); before
  a batch writes, files left by an earlier attempt of the same batch are removed, and its
  transactions already in the lake (from an earlier batch or the nightly job) are left
  out;
- the local driver writes its next batch's shard ranges ("pending") before processing
  it, so a restarted driver re-reads exactly the same records under the same batch id.

Modules: records.py (record → raw row), micro_batch.py (one batch into lake and
warehouse), checkpoint.py, kinesis_local.py (the laptop's driver), glue.py (Glue's).
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

__all__ = [
    "RECORD_SCHEMA",
    "Checkpoint",
    "LocalKinesisDriver",
    "MicroBatch",
    "glue_records",
    "glue_source_options",
    "records_to_raw_rows",
    "run_stream",
]


def run_stream(runtime: Runtime, args: dict) -> dict:
    spark = runtime.spark
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
    )
    if runtime.on_glue and not args.get("kinesis_endpoint_url"):
        # Spark's checkpoint keeps Glue's batch ids; a small file beside it names their
        # epoch, and goes (and comes back new) with the checkpoint folder.
        epoch = Checkpoint(spark, args["checkpoint_uri"].rstrip("/") + "/cafe_epoch")
        epoch.save()
        batch.epoch = epoch.epoch
        return run_on_glue(runtime, args, batch, window)
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
    )
    return driver.run()
