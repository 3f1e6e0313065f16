"""Nightly batch job (AWS Glue 5.1, glueetl): one day of raw till CSVs → lake → warehouse.

    python glue_jobs/nightly_batch.py --JOB_NAME NAME --raw_uri URI --lake_uri URI \
        --warehouse_url URL [--process_date YYYY-MM-DD|FIRST..LAST|yesterday|all] \
        [--lookback_days N] [--today YYYY-MM-DD] [--reference_uri URI] [--dry_run true]
    python glue_jobs/nightly_batch.py --help

Runs unchanged on Glue (GlueContext, Job.init/commit) and locally (plain SparkSession).
The last stdout line is the run summary as JSON.

Its arguments, their defaults and help text are declared once, in cafe_etl.job_args
(NIGHTLY).
"""

import sys

from cafe_etl.jobs import nightly

if __name__ == "__main__":
    sys.exit(nightly(sys.argv))
