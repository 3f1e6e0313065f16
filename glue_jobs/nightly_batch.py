"""Nightly batch job (AWS Glue 5.1, glueetl): one day of raw till CSVs → lake → warehouse.

    python glue_jobs/nightly_batch.py --JOB_NAME NAME --raw_uri URI --lake_uri URI \
        --warehouse_url URL [--process_date YYYY-MM-DD|yesterday|all] \
        [--lookback_days N] [--today YYYY-MM-DD] [--reference_uri URI]

Runs unchanged on Glue (GlueContext, Job.init/commit) and locally (plain SparkSession).
The last stdout line is the run summary as JSON.
"""

import sys

from cafe_etl.jobs import check_nightly_args, run_job
from cafe_etl.pipeline import run_batch

REQUIRED_ARGS = ("JOB_NAME", "raw_uri", "lake_uri", "warehouse_url")
OPTIONAL_ARGS = {
    "process_date": "yesterday",
    "hash_salt_secret_id": None,
    "hash_salt": None,
    "redshift_copy_role_arn": None,
    "lookback_days": "7",
    "today": None,
    "reference_uri": None,
}


def main() -> int:
    return run_job(sys.argv, REQUIRED_ARGS, OPTIONAL_ARGS, run_batch, check_nightly_args)


if __name__ == "__main__":
    sys.exit(main())
