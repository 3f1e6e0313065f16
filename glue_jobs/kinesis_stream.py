"""Streaming job (AWS Glue 5.1, gluestreaming): Kinesis till records → lake → warehouse.

    python glue_jobs/kinesis_stream.py --JOB_NAME NAME --stream_name NAME --lake_uri URI \
        --warehouse_url URL --checkpoint_uri URI [--window_seconds N] \
        [--kinesis_endpoint_url http://127.0.0.1:PORT --stop_after_idle_seconds N] \
        [--stream_arn ARN (on Glue: the source's streamARN)]

On Glue: Glue's Kinesis source and forEachBatch. Locally (with --kinesis_endpoint_url):
boto3 reads every shard, a micro-batch every window. Each micro-batch goes through the
same transforms, lake writer and warehouse loader as the nightly job.
"""

import sys

from cafe_etl.jobs import check_stream_args, run_job
from cafe_etl.stream import run_stream

REQUIRED_ARGS = ("JOB_NAME", "stream_name", "lake_uri", "warehouse_url", "checkpoint_uri")
OPTIONAL_ARGS = {
    "window_seconds": "30",
    "kinesis_endpoint_url": None,
    "stop_after_idle_seconds": None,
    "starting_position": "TRIM_HORIZON",
    "hash_salt_secret_id": None,
    "hash_salt": None,
    "redshift_copy_role_arn": None,
    "aws_region": None,
    "stream_arn": None,
    "reference_uri": None,
}


def main() -> int:
    return run_job(sys.argv, REQUIRED_ARGS, OPTIONAL_ARGS, run_stream, check_stream_args)


if __name__ == "__main__":
    sys.exit(main())
