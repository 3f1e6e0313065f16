"""AWS list prices the cost model uses (USD), each with its page, the Region it was read
for and the date.

AWS's pricing pages render their per-Region tables by script, so London (eu-west-2) figures
could not be read from them offline. Where a page's text gives a price, that figure is used
(the pages' worked examples quote US East (N. Virginia)); `region` says which Region each
constant is for. London list prices are equal or up to about 10 % higher, so the budget and
the usage limit keep a margin over the modelled figure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    page: str
    region: str
    read: str


_US_EAST = "us-east-1 (the page's text; its London table is rendered by script)"
# The Glue rate per Region as AWS's Price List API gives it (GoogleCloudPlatform/
# PerfKitBenchmarker's generated aws_dpb_glue_prices.py): eu-west-2 0.44, as us-east-1.
_LONDON_PRICE_LIST = "eu-west-2 (AWS Price List API, as generated in PerfKitBenchmarker)"
_READ = "2026-12-06"
_LONDON_TABLE = "eu-west-2 (the project's earlier cost table)"
_GLUE = "https://aws.amazon.com/glue/pricing/"
_REDSHIFT = "https://aws.amazon.com/redshift/pricing/"
_KINESIS = "https://aws.amazon.com/kinesis/data-streams/pricing/"
_S3 = "https://aws.amazon.com/s3/pricing/"
_KMS = "https://aws.amazon.com/kms/pricing/"
_SECRETS = "https://aws.amazon.com/secrets-manager/pricing/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_ATHENA = "https://aws.amazon.com/athena/pricing/"

GLUE_DPU_HOUR = Price(
    0.44,
    "DPU-hour (jobs and crawlers, per second; job 1-minute and crawler 10-minute minimum)",
    _GLUE,
    _LONDON_PRICE_LIST,
    _READ,
)
GLUE_FLEX_DPU_HOUR = Price(0.29, "DPU-hour, Flex execution class", _GLUE, _US_EAST, _READ)
REDSHIFT_RPU_HOUR = Price(
    0.375, "RPU-hour (per second, 60-second minimum)", _REDSHIFT, _US_EAST, _READ
)
REDSHIFT_STORAGE_GB_MONTH = Price(
    0.024, "GB-month of Redshift Managed Storage", _REDSHIFT, _US_EAST, _READ
)
KINESIS_SHARD_HOUR = Price(0.015, "shard-hour (provisioned)", _KINESIS, _US_EAST, _READ)
KINESIS_EXTENDED_RETENTION_SHARD_HOUR = Price(
    0.02, "shard-hour of retention beyond 24 h (up to 7 days)", _KINESIS, _US_EAST, _READ
)
KINESIS_PUT_MILLION = Price(
    0.014, "million PUT payload units (25 KB each)", _KINESIS, _US_EAST, _READ
)
KINESIS_ON_DEMAND_STREAM_HOUR = Price(0.04, "stream-hour (on-demand)", _KINESIS, _US_EAST, _READ)
KINESIS_ON_DEMAND_GB_IN = Price(0.08, "GB written (on-demand)", _KINESIS, _US_EAST, _READ)
KINESIS_ON_DEMAND_GB_OUT = Price(0.04, "GB read (on-demand)", _KINESIS, _US_EAST, _READ)
S3_STANDARD_GB_MONTH = Price(0.024, "GB-month, S3 Standard", _S3, _LONDON_TABLE, _READ)
S3_PUT_THOUSAND = Price(0.005, "1,000 PUT, COPY, POST or LIST requests", _S3, _US_EAST, _READ)
S3_GET_THOUSAND = Price(0.0004, "1,000 GET requests", _S3, _US_EAST, _READ)
KMS_KEY_MONTH = Price(1.0, "customer managed key-month", _KMS, _US_EAST, _READ)
KMS_REQUESTS_TEN_THOUSAND = Price(0.03, "10,000 requests", _KMS, _US_EAST, _READ)
SECRET_MONTH = Price(0.40, "secret-month", _SECRETS, _US_EAST, _READ)
CLOUDWATCH_ALARM_MONTH = Price(
    0.10, "standard-resolution alarm-month", _CLOUDWATCH, _US_EAST, _READ
)
CLOUDWATCH_METRIC_MONTH = Price(0.30, "custom metric-month", _CLOUDWATCH, _US_EAST, _READ)
CLOUDWATCH_LOGS_INGEST_GB = Price(0.50, "GB of logs ingested", _CLOUDWATCH, _US_EAST, _READ)
CLOUDWATCH_LOGS_STORE_GB_MONTH = Price(
    0.03, "GB-month of logs stored", _CLOUDWATCH, _US_EAST, _READ
)
ATHENA_TB_SCANNED = Price(5.0, "TB scanned (10 MB minimum a query)", _ATHENA, _US_EAST, _READ)

# The billing rules behind the units above, each used once by the model.
GLUE_JOB_MINIMUM_MINUTES = 1
GLUE_CRAWLER_MINIMUM_MINUTES = 10
GLUE_G025X_DPU = 0.25  # a G.025X worker is a quarter of a DPU (streaming jobs only)
REDSHIFT_MINIMUM_SECONDS = 60
KINESIS_PUT_UNIT_BYTES = 25 * 1024
KINESIS_ON_DEMAND_MINIMUM_RECORD_BYTES = 1024  # on-demand rounds each record up to 1 KB

# An assumed rate, not a quote: override with --usd-gbp.
USD_TO_GBP = 0.80
DAYS_PER_MONTH = 365 / 12
