"""The streaming job against moto's Kinesis server on loopback."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys

import psycopg
import pytest
from cafe_etl import generate, jobs, replay, stream
from cafe_etl.runtime import UsageError
from cafe_etl.schema import HEADER_ALIASES
from conftest import REPO, TEST_SALT, new_database
from corpus import write_corpus
from helpers import lake_rows, run_nightly, warehouse_dump
from test_crash import run_and_kill
from test_transform import GOOD


@pytest.fixture(scope="module")
def kinesis():
    from moto.server import ThreadedMotoServer

    for key, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "eu-west-2"),
    ):
        os.environ.setdefault(key, value)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def stream_name(kinesis, request):
    # Kinesis stream names: letters, digits, "_", "." and "-".
    name = "t-" + re.sub(r"[^A-Za-z0-9_.-]", "-", request.node.name[-40:])
    replay.create_stream(replay._client(kinesis), name, 2)
    return name


def put(kinesis, name, records):
    client = replay._client(kinesis)
    for i in range(0, len(records), 500):
        chunk = records[i : i + 500]
        client.put_records(
            StreamName=name,
            Records=[
                {
                    "Data": r if isinstance(r, bytes) else json.dumps(r).encode(),
                    "PartitionKey": str(i + j),
                }
                for j, r in enumerate(chunk)
            ],
        )


def consume(spark, kinesis, name, lake, url, checkpoint, batch_cls=stream.MicroBatch):
    batch = batch_cls(spark, "stream-test", name, str(lake), url, TEST_SALT)
    driver = stream.LocalKinesisDriver(
        spark=spark,
        client=replay._client(kinesis),
        stream_name=name,
        batch=batch,
        checkpoint=stream.Checkpoint(spark, str(checkpoint)),
        window_seconds=1.0,
        stop_after_idle_seconds=2.0,
    )
    return driver.run()


def rows_of(n):
    return [
        [
            f"01/03/2021 {9 + i // 60:02d}:{i % 60:02d}",
            "Leeds",
            f"Person {i}",
            "Cortado - 2.05",
            "2.05",
            "CASH",
            "",
        ]
        for i in range(n)
    ]


def test_n_records_make_n_transactions_and_malformed_are_quarantined(
    spark, kinesis, stream_name, tmp_path, warehouse_url
):
    records = rows_of(120) + [b"not json", b'"a string"', {"timestamp": "x"}]
    records.append(
        dict(
            zip(
                HEADER_ALIASES["2022"],
                GOOD,
                strict=True,
            )
        )
    )
    put(kinesis, stream_name, records)
    summary = consume(
        spark, kinesis, stream_name, tmp_path / "lake", warehouse_url, tmp_path / "ckpt"
    )
    assert summary["records"] == 124
    assert summary["transactions"] == 121  # 120 arrays + 1 object with the 2022 names
    assert summary["quarantined"] == 3
    with psycopg.connect(warehouse_url) as conn:
        n, sources = conn.execute(
            "SELECT count(*), array_agg(DISTINCT source) FROM cafe.fact_transaction"
        ).fetchone()
    assert (n, sources) == (121, ["stream"])
    reasons = sorted(q["reason"] for q in lake_rows(tmp_path / "lake", "quarantine"))
    assert reasons == ["malformed_record", "malformed_record", "wrong_field_count"]
    assert summary["latency_p95_seconds"] is not None


def test_same_transaction_by_file_and_stream_is_one_row(
    spark, kinesis, stream_name, tmp_path, warehouse_url
):
    raw, lake = write_corpus(tmp_path / "raw"), tmp_path / "lake"
    run_nightly(spark, raw, lake, warehouse_url)
    before = warehouse_dump(warehouse_url)
    put(kinesis, stream_name, list(replay.read_raw_rows(raw)))  # the whole corpus again
    consume(spark, kinesis, stream_name, lake, warehouse_url, tmp_path / "ckpt")
    assert warehouse_dump(warehouse_url) == before
    assert len(lake_rows(lake, "transactions")) == len(before["fact_transaction"])


class CrashAfterLoad(stream.MicroBatch):
    """Dies after the warehouse committed, before the shard positions are saved."""

    crashes = 1

    def process(self, records, batch_id):
        summary = super().process(records, batch_id)
        if CrashAfterLoad.crashes:
            CrashAfterLoad.crashes -= 1
            raise KeyboardInterrupt("killed between load and checkpoint")
        return summary


class CrashDuringLoad(stream.MicroBatch):
    """Dies inside the warehouse load transaction."""

    crashes = 1

    def __post_init__(self):
        super().__post_init__()
        original = self.warehouse.load

        def load(*args, **kwargs):
            if CrashDuringLoad.crashes:
                CrashDuringLoad.crashes -= 1
                kwargs["files"] = {
                    k: v + ["/nonexistent/part.parquet"] for k, v in kwargs["files"].items()
                }
            return original(*args, **kwargs)

        self.warehouse.load = load


@pytest.mark.parametrize("crashing", [CrashAfterLoad, CrashDuringLoad])
def test_consumer_killed_and_restarted_loses_and_doubles_nothing(
    spark, kinesis, stream_name, tmp_path, warehouse_url, crashing
):
    put(kinesis, stream_name, rows_of(200))
    lake, ckpt = tmp_path / "lake", tmp_path / "ckpt"
    with pytest.raises((KeyboardInterrupt, OSError, FileNotFoundError)):
        consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt, crashing)
    pending = json.loads((ckpt / "positions.json").read_text())["pending"]
    assert pending is not None  # the batch was not committed: it will be read again
    consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM cafe.fact_transaction").fetchone()[0] == 200
        assert conn.execute("SELECT count(*) FROM cafe.fact_basket_item").fetchone()[0] == 200
    assert len(lake_rows(lake, "transactions")) == 200
    assert len(lake_rows(lake, "basket_items")) == 200
    # Running again over the same stream adds nothing.
    before = warehouse_dump(warehouse_url)
    consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)
    assert warehouse_dump(warehouse_url) == before


def facts(url: str) -> dict:
    """The warehouse's facts without the load's own columns (source): what was sold."""
    with psycopg.connect(url) as conn:
        return {
            "transactions": conn.execute(
                "SELECT transaction_id, branch_id, sold_at, sale_date, payment_method, "
                "total_amount, item_count, customer_key FROM cafe.fact_transaction ORDER BY 1"
            ).fetchall(),
            "items": conn.execute("SELECT * FROM cafe.fact_basket_item ORDER BY 1, 2").fetchall(),
            "revenue": conn.execute(
                "SELECT sum(total_amount) FROM cafe.fact_transaction"
            ).fetchone()[0],
        }


def test_replaying_files_through_the_stream_equals_the_nightly_job_even_twice(
    spark, kinesis, stream_name, tmp_path, warehouse_url, pg_server
):
    raw = tmp_path / "raw"
    generate.generate(raw, 4, 1, dt.date(2026, 11, 9), 7, 60)  # every export variant
    run_nightly(spark, raw, tmp_path / "batch-lake", warehouse_url)
    expected = facts(warehouse_url)
    assert len(expected["transactions"]) > 200

    stream_url = new_database(pg_server)
    rows = list(replay.read_raw_rows(raw))
    put(kinesis, stream_name, rows)
    lake, ckpt = tmp_path / "stream-lake", tmp_path / "ckpt"
    consume(spark, kinesis, stream_name, lake, stream_url, ckpt)
    assert facts(stream_url) == expected
    put(kinesis, stream_name, rows)  # the tills send everything again
    consume(spark, kinesis, stream_name, lake, stream_url, ckpt)
    assert facts(stream_url) == expected
    assert len(lake_rows(lake, "transactions")) == len(expected["transactions"])


@pytest.mark.parametrize(
    "marker",
    [
        "warehouse load started",  # SIGKILL inside the load transaction
        "batch 0:",  # after the load committed, before the shard positions are saved
    ],
)
def test_consumer_sigkilled_and_restarted_loses_and_doubles_nothing(
    spark, kinesis, stream_name, tmp_path, warehouse_url, marker
):
    put(kinesis, stream_name, rows_of(300))
    lake, ckpt = tmp_path / "lake", tmp_path / "ckpt"
    argv = [
        sys.executable,
        str(REPO / "glue_jobs" / "kinesis_stream.py"),
        "--JOB_NAME",
        "stream-kill",
        "--stream_name",
        stream_name,
        "--lake_uri",
        str(lake),
        "--warehouse_url",
        warehouse_url,
        "--checkpoint_uri",
        str(ckpt),
        "--window_seconds",
        "1",
        "--kinesis_endpoint_url",
        kinesis,
        "--stop_after_idle_seconds",
        "30",
        "--hash_salt",
        TEST_SALT,
    ]
    run_and_kill(argv, marker)
    assert json.loads((ckpt / "positions.json").read_text())["pending"] is not None
    consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)  # the restarted consumer
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM cafe.fact_transaction").fetchone()[0] == 300
        assert conn.execute("SELECT count(*) FROM cafe.fact_basket_item").fetchone()[0] == 300
    assert len(lake_rows(lake, "transactions")) == 300
    assert len(lake_rows(lake, "basket_items")) == 300


def test_stream_script_declares_the_library_arguments():
    from conftest import REPO
    from test_jobs import script_constants

    constants = script_constants(REPO / "glue_jobs" / "kinesis_stream.py")
    assert constants["REQUIRED_ARGS"] == jobs.STREAM_REQUIRED_ARGS
    assert constants["OPTIONAL_ARGS"] == jobs.STREAM_OPTIONAL_ARGS


def test_glue_source_options_come_from_the_arguments():
    arn = "arn:aws:kinesis:eu-west-2:123456789012:stream/tills"
    options = stream.glue_source_options(
        {"stream_name": "tills", "stream_arn": arn, "starting_position": "LATEST"}
    )
    assert options["streamARN"] == arn and options["startingPosition"] == "latest"
    with pytest.raises(UsageError, match="--stream_arn"):
        stream.glue_source_options({"stream_name": "tills"})


def test_checkpoint_lost_between_batches_loses_and_doubles_nothing(
    spark, kinesis, stream_name, tmp_path, warehouse_url
):
    lake, ckpt = tmp_path / "lake", tmp_path / "ckpt"
    rows = rows_of(250)
    put(kinesis, stream_name, rows[:100])
    consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)  # batch 0
    put(kinesis, stream_name, rows[100:200])
    consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)  # batch 1
    first_epoch = json.loads((ckpt / "positions.json").read_text())["epoch"]
    for path in ckpt.iterdir():
        path.unlink()  # the checkpoint is lost: the stream is read again from batch 0
    consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)  # replays all 200
    assert json.loads((ckpt / "positions.json").read_text())["epoch"] != first_epoch
    put(kinesis, stream_name, rows[200:])
    consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)  # new batch 1
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM cafe.fact_transaction").fetchone()[0] == 250
        assert conn.execute("SELECT count(*) FROM cafe.fact_basket_item").fetchone()[0] == 250
    # Before epochs, the new batch 1 deleted the old batch 1's files: 100 rows gone.
    assert len(lake_rows(lake, "transactions")) == 250
    assert len(lake_rows(lake, "basket_items")) == 250
    ids = [r["transaction_id"] for r in lake_rows(lake, "transactions")]
    assert len(set(ids)) == 250


def test_checkpoint_is_replaced_in_one_step(spark, tmp_path, monkeypatch):
    import os

    checkpoint = stream.Checkpoint(spark, str(tmp_path))
    checkpoint.state["next_batch"] = 7
    checkpoint.save()
    renames = []
    real_replace = os.replace

    def replace(src, dst):
        renames.append(dst)
        raise OSError("disk gone")  # the rename fails: the old positions must survive

    monkeypatch.setattr(os, "replace", replace)
    checkpoint.state["next_batch"] = 8
    with pytest.raises(OSError):
        checkpoint.save()
    monkeypatch.setattr(os, "replace", real_replace)
    assert renames == [str(tmp_path / "positions.json")]
    assert stream.Checkpoint(spark, str(tmp_path)).state["next_batch"] == 7
