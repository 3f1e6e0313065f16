"""Streaming job (AWS Glue 5.1, gluestreaming): Kinesis till records → lake → warehouse.

    python glue_jobs/kinesis_stream.py --JOB_NAME NAME --stream_name NAME --lake_uri URI \
        --warehouse_url URL --checkpoint_uri URI [--window_seconds N] \
        [--kinesis_endpoint_url http://127.0.0.1:PORT --stop_after_idle_seconds N] \
        [--stream_arn ARN (on Glue: the source's streamARN)] \
        [--load_interval_seconds N (default 900; 0 = after every batch)] \
        [--stop_at HH:MM (Europe/London; absent = run until stopped)]

On Glue: Glue's Kinesis source and forEachBatch. Locally (with --kinesis_endpoint_url):
boto3 reads every shard, a micro-batch every window. Each micro-batch goes through the
same transforms and lake writer as the nightly job; the warehouse loads the lake's new
files at most every --load_interval_seconds and once more when the job ends, which it
does by itself after --stop_at (closing time in London, summer or winter).

Its arguments are declared once, in cafe_etl.jobs (STREAM).
"""

import sys

from cafe_etl.jobs import stream

if __name__ == "__main__":
    sys.exit(stream(sys.argv))
