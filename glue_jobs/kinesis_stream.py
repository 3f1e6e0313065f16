"""Streaming job (AWS Glue 5.1, gluestreaming): Kinesis till records → lake → warehouse.

    python glue_jobs/kinesis_stream.py --JOB_NAME NAME --stream_name NAME --lake_uri URI \
        --warehouse_url URL --checkpoint_uri URI [--window_seconds N] \
        [--kinesis_endpoint_url http://127.0.0.1:PORT --stop_after_idle_seconds N] \
        [--stream_arn ARN (on Glue: the source's streamARN)]

On Glue: Glue's Kinesis source and forEachBatch. Locally (with --kinesis_endpoint_url):
boto3 reads every shard, a micro-batch every window. Each micro-batch goes through the
same transforms, lake writer and warehouse loader as the nightly job.

Its arguments are declared once, in cafe_etl.jobs (STREAM).
"""

import sys

from cafe_etl.jobs import stream

if __name__ == "__main__":
    sys.exit(stream(sys.argv))
