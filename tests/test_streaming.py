"""The streaming job against moto's Kinesis server on loopback."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
from decimal import Decimal

import psycopg
import pytest
from cafe_etl import stream
from cafe_etl.devtools import generate, replay, stream_demo
from cafe_etl.errors import UsageError
from cafe_etl.schema import HEADER_ALIASES
from cafe_etl.stream import loads as stream_loads
from conftest import TEST_SALT, new_database
from early_jobs import KILLED_STREAM_RECORDS, cash_rows, create_stream, put
from helpers import TABLE_ORDER, lake_rows, run_nightly, warehouse_dump
from test_transform import GOOD


def fact_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM cafe.fact_transaction").fetchone()[0]


def run_statuses(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [s for (s,) in conn.execute("SELECT status FROM cafe.etl_run ORDER BY started_at")]


@pytest.fixture
def stream_name(kinesis, request):
    # Kinesis stream names: letters, digits, "_", "." and "-", at most 128. One stream per
    # test on the session's server: the test's whole name, whose tail alone two tests share.
    return create_stream(kinesis, "t-" + re.sub(r"[^A-Za-z0-9_.-]", "-", request.node.name)[-120:])


class NoWarmUp(stream.MicroBatch):
    """MicroBatch without its warm-up: a made-up record through the transforms and a
    scratch lake write, which only moves compile time off the first batch's latency and
    costs as much as a small batch. The SIGKILL test's job script keeps it (the local
    driver always warms up), and that test shows it leaves nothing in the lake or the
    warehouse."""

    def warm_up(self) -> float:
        return 0.0


def consume(spark, kinesis, name, lake, url, checkpoint, batch_cls=NoWarmUp):
    """The local driver until the stream has been idle for half a second. Every test puts
    its records before it consumes, and the driver polls every shard at least once per
    window (up to 10,000 records a shard), so the first window reads them all: the window
    and idle timings decide when the driver stops, never which records it reads."""
    batch = batch_cls(spark, "stream-test", name, str(lake), url, TEST_SALT)
    driver = stream.LocalKinesisDriver(
        spark=spark,
        client=replay.kinesis_client(kinesis),
        stream_name=name,
        batch=batch,
        checkpoint=stream.Checkpoint(spark, str(checkpoint)),
        window_seconds=0.2,
        stop_after_idle_seconds=0.5,
    )
    return driver.run()


def test_n_records_make_n_transactions_and_malformed_are_quarantined(
    spark, kinesis, stream_name, tmp_path, warehouse_url
):
    records = cash_rows(120) + [b"not json", b'"a string"', {"timestamp": "x"}]
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
    lake, ckpt = tmp_path / "lake", tmp_path / "ckpt"
    summary = consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)
    assert summary["records"] == 124
    assert summary["transactions"] == 121  # 120 arrays + 1 object with the 2022 names
    assert summary["quarantined"] == 3
    with psycopg.connect(warehouse_url) as conn:
        n, sources = conn.execute(
            "SELECT count(*), array_agg(DISTINCT source) FROM cafe.fact_transaction"
        ).fetchone()
    assert (n, sources) == (121, ["stream"])
    assert len(lake_rows(lake, "transactions")) == 121
    reasons = sorted(q["reason"] for q in lake_rows(lake, "quarantine"))
    assert reasons == ["malformed_record", "malformed_record", "wrong_field_count"]
    assert summary["latency_p95_seconds"] is not None


def test_same_transaction_by_file_and_stream_is_one_row(
    spark, kinesis, stream_name, tmp_path, corpus_copy
):
    raw, lake, warehouse_url, _ = corpus_copy  # after the nightly run of the corpus
    before = warehouse_dump(warehouse_url)
    rows = list(replay.read_raw_rows(raw))
    put(kinesis, stream_name, rows)  # the whole corpus again
    summary = consume(spark, kinesis, stream_name, lake, warehouse_url, tmp_path / "ckpt")
    assert summary["records"] == len(rows) > 0  # "unchanged" after reading every record
    assert warehouse_dump(warehouse_url) == before
    assert len(lake_rows(lake, "transactions")) == len(before["fact_transaction"])


class CrashAfterLakeWrite(NoWarmUp):
    """Dies after the batch is in the lake (and its note), before its positions are saved."""

    def process(self, records, batch_id):
        super().process(records, batch_id)
        raise KeyboardInterrupt("killed")


# A crash inside the load is the SIGKILL test below (a real kill of the job script, where
# the server must roll the load back); an exception raised there would prove the same
# restart again, and its "failed" status is record_failure's, which the batch job's crash
# tests check.
@pytest.mark.parametrize("point", ["after_lake_write", "after_load_commit"])
def test_consumer_killed_around_the_load_and_restarted_loses_and_doubles_nothing(
    spark, kinesis, stream_name, tmp_path, warehouse_url, point, monkeypatch
):
    """Killed after a batch's lake write, before its positions are saved: the restart
    loads the lake's unloaded batch first, then reads the batch again (same batch key,
    its files replaced) and its load adds nothing. Killed after a load committed, before
    its notes in the lake were removed: the run log names the batch as loaded, so the
    restart drops the note without a load, and reads nothing again."""
    put(kinesis, stream_name, cash_rows(200))
    lake, ckpt = tmp_path / "lake", tmp_path / "ckpt"
    if point == "after_lake_write":
        crashing = CrashAfterLakeWrite
    else:
        crashing = NoWarmUp
        calls = []

        def forget(self, key):
            calls.append(key)
            raise KeyboardInterrupt("killed")

        monkeypatch.setattr(stream_loads.WarehouseLoads, "_forget_key", forget)
    with pytest.raises(KeyboardInterrupt, match="killed"):
        consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt, crashing)
    monkeypatch.undo()
    positions = json.loads((ckpt / "positions.json").read_text())
    notes = list((lake / stream_loads.UNLOADED_FOLDER).glob("*.json"))
    assert len(notes) == 1  # the batch is in the lake, and noted as unloaded
    if point == "after_lake_write":
        assert positions["pending"] is not None  # it will be read again
        assert fact_count(warehouse_url) == 0 and run_statuses(warehouse_url) == []
    else:
        assert positions["pending"] is None  # it will not be read again
        assert fact_count(warehouse_url) == 200
        assert run_statuses(warehouse_url) == ["succeeded"]
    restarted = consume(spark, kinesis, stream_name, lake, warehouse_url, ckpt)
    if point == "after_lake_write":
        assert (restarted["records"], restarted["warehouse_loads"]) == (200, 2)
    else:
        assert (restarted["records"], restarted["warehouse_loads"]) == (0, 0)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM cafe.fact_transaction").fetchone()[0] == 200
        assert conn.execute("SELECT count(*) FROM cafe.fact_basket_item").fetchone()[0] == 200
    assert len(lake_rows(lake, "transactions")) == 200
    assert len(lake_rows(lake, "basket_items")) == 200
    assert not list((lake / stream_loads.UNLOADED_FOLDER).glob("*.json"))


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


# One branch-day written by hand beside the generated ones, worked out by hand: a card
# sale of two items (£2.45 + £2.05 = £4.50), a cash sale of one (£2.05), the card sale
# sent twice (one transaction), and a row with four of its seven fields (quarantined).
WHITBY = (
    '09/11/2026 09:00,Whitby,Ann Example,"Large Latte - 2.45, Cortado - 2.05",4.50,CARD,'
    "4111111111111111\n"
    "09/11/2026 09:05,Whitby,Bob Example,Cortado - 2.05,2.05,CASH,\n"
    '09/11/2026 09:00,Whitby,Ann Example,"Large Latte - 2.45, Cortado - 2.05",4.50,CARD,'
    "4111111111111111\n"
    "09/11/2026 09:10,Whitby,Cy Example,Latte - 2.30\n"
)
# (transactions, revenue, items, payment methods by time, item prices)
WHITBY_BY_HAND = (
    2,
    Decimal("6.55"),
    3,
    "CARD,CASH",
    [Decimal("2.05"), Decimal("2.05"), Decimal("2.45")],
)


def whitby(url: str) -> tuple:
    """The hand-written branch's figures in a warehouse."""
    with psycopg.connect(url) as conn:
        count, revenue, items, methods = conn.execute(
            "SELECT count(*), sum(t.total_amount), sum(t.item_count), "
            "string_agg(t.payment_method, ',' ORDER BY t.sold_at) FROM cafe.fact_transaction t "
            "JOIN cafe.dim_branch b USING (branch_id) WHERE b.branch_name = 'Whitby'"
        ).fetchone()
        prices = [
            p
            for (p,) in conn.execute(
                "SELECT i.unit_price FROM cafe.fact_basket_item i "
                "JOIN cafe.fact_transaction t USING (transaction_id) "
                "JOIN cafe.dim_branch b USING (branch_id) WHERE b.branch_name = 'Whitby' "
                "ORDER BY 1"
            )
        ]
    return count, revenue, items, methods, prices


def test_replaying_files_through_the_stream_equals_the_nightly_job_even_twice(
    spark, kinesis, stream_name, tmp_path, warehouse_url, pg_server
):
    raw = tmp_path / "raw"
    made = generate.generate(raw, 4, 1, dt.date(2026, 11, 9), 7, 60)  # every export variant
    assert "Whitby" not in made["branches"]
    (raw / "2026/11/09/Whitby_09-11-2026_20-00-00.csv").write_text(WHITBY)
    run_nightly(spark, raw, tmp_path / "batch-lake", warehouse_url)
    expected = facts(warehouse_url)
    assert len(expected["transactions"]) > 200
    assert whitby(warehouse_url) == WHITBY_BY_HAND

    stream_url = new_database(pg_server)
    rows = list(replay.read_raw_rows(raw))
    put(kinesis, stream_name, rows)
    lake, ckpt = tmp_path / "stream-lake", tmp_path / "ckpt"
    first = consume(spark, kinesis, stream_name, lake, stream_url, ckpt)
    assert first["records"] == len(rows)
    assert facts(stream_url) == expected
    assert whitby(stream_url) == WHITBY_BY_HAND
    put(kinesis, stream_name, rows)  # the tills send everything again
    again = consume(spark, kinesis, stream_name, lake, stream_url, ckpt)
    assert again["records"] == len(rows)  # all read again, none loaded twice
    assert facts(stream_url) == expected
    assert len(lake_rows(lake, "transactions")) == len(expected["transactions"])


# One real SIGKILL of the job script between a lake write and its load: inside the load
# transaction (the server must roll back a load whose process died), a load made long
# after the batch's lake write, when the job stopped. The kills after the lake write and
# after the load's commit are in-process above: nothing of a process's death is left to
# prove there (the positions and the lake's notes are written ahead of them).
@pytest.mark.own_jvm
def test_consumer_sigkilled_between_lake_write_and_load_and_restarted_totals_exact(
    spark, kinesis, killed_stream
):
    """The kill, under a SHARE lock on the facts that stops the load before it writes a
    fact, runs in the background: early_jobs.killed_stream."""
    killed, name, ckpt = killed_stream.result()
    # Where the kill landed: the batch in the lake, its positions saved (Kinesis will not
    # give it again), its note in the lake; the load under way: no facts, run running.
    assert killed.counts == dict.fromkeys(TABLE_ORDER, 0)
    assert killed.statuses == ["running"]
    assert killed.lake_transactions == KILLED_STREAM_RECORDS
    assert killed.pending is None and killed.positions["committed"]
    notes = list((killed.lake / stream_loads.UNLOADED_FOLDER).glob("*.json"))
    assert len(notes) == 1
    # The job warmed up first: its made-up record ("Warm Up" at Leeds) left no lake row
    # (the count above), no scratch folder, and, after the restart, no fact (below).
    assert "warm-up:" in killed.log
    assert not [p for p in killed.lake.rglob("*") if p.name == "warm-up"]
    restarted = consume(spark, kinesis, name, killed.lake, killed.url, ckpt)
    # Nothing read again: the batch came from the lake, by its note, in one load.
    assert (restarted["records"], restarted["warehouse_loads"]) == (0, 1)
    with psycopg.connect(killed.url) as conn:
        assert conn.execute("SELECT count(*) FROM cafe.fact_transaction").fetchone()[0] == 300
        assert conn.execute("SELECT count(*) FROM cafe.fact_basket_item").fetchone()[0] == 300
        revenue = conn.execute("SELECT sum(total_amount) FROM cafe.fact_transaction").fetchone()
    assert revenue[0] == Decimal("2.05") * KILLED_STREAM_RECORDS  # 300 cortados at £2.05
    assert len(lake_rows(killed.lake, "transactions")) == 300
    assert len(lake_rows(killed.lake, "basket_items")) == 300
    assert not list((killed.lake / stream_loads.UNLOADED_FOLDER).glob("*.json"))


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
    rows = cash_rows(250)
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


@pytest.mark.parametrize("count", [0, 3, 6_001])
def test_a_batchs_records_reach_spark_whole_through_its_files(spark, tmp_path, count):
    """The local driver hands Spark a batch's records as Parquet files (no Python worker):
    every record and field arrives as it was, none twice; a big batch is several files, so
    several tasks; no records is no rows."""
    from cafe_etl.stream.kinesis_local import RECORDS_PER_FILE, LocalKinesisDriver

    driver = LocalKinesisDriver(
        spark=spark, client=None, stream_name="s", batch=None, checkpoint=None,
        window_seconds=1.0, stop_after_idle_seconds=None,
    )  # fmt: skip
    records = [
        {"data": f'["é{i}"]', "shard_id": f"shardId-{i % 2}", "sequence_number": str(i),
         "arrival_ms": 1_700_000_000_000 + i}
        for i in range(count)
    ]  # fmt: skip
    frame = driver.records_frame(records, str(tmp_path))
    assert frame.dtypes == [
        ("data", "string"), ("shard_id", "string"), ("sequence_number", "string"),
        ("arrival_ms", "bigint"),
    ]  # fmt: skip
    got = sorted((r.asDict() for r in frame.collect()), key=lambda r: r["arrival_ms"])
    assert got == records
    files = len(list(tmp_path.glob("*.parquet")))
    assert files == {0: 1, 3: 2, 6_001: 6_001 // RECORDS_PER_FILE}[count]


def test_checkpoint_is_replaced_in_one_step(spark, tmp_path, monkeypatch):

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


@pytest.mark.parametrize(
    ("value", "shards"),
    [("4", 4), ("1", 1), ("0", None), ("-2", None), ("2.5", None), ("four", None)],
)
def test_the_stream_demo_takes_a_whole_number_of_shards(value, shards, capsys):
    parser = argparse.ArgumentParser()
    stream_demo.add_demo_arguments(parser)
    if shards is None:
        with pytest.raises(SystemExit):
            parser.parse_args(["--shards", value])
        assert "whole number of shards" in capsys.readouterr().err
    else:
        assert parser.parse_args(["--shards", value]).shards == shards


def test_the_stream_demo_refuses_a_lake_that_already_holds_transactions(tmp_path):
    """Its figures would time no lake write and no load of the records already there."""
    stream_demo.refuse_a_used_lake(str(tmp_path))  # an empty lake is fine
    day = tmp_path / "transactions" / "sale_date=2026-11-09"
    day.mkdir(parents=True)
    (day / "stream-0-part-00000.parquet").write_bytes(b"PAR1")
    with pytest.raises(SystemExit, match="already holds transactions"):
        stream_demo.refuse_a_used_lake(str(tmp_path))
