"""The stream's cadence and closing time, on a fake clock: hours replayed in a moment.

The local driver runs for real (windows, polling, positions, the load cadence, the notes
of unloaded batches in the lake, the stop); what it reads is a fake Kinesis whose records
arrive on the fake clock, and what it loads into is a recording warehouse. The batch's
Spark work is left out: it decides nothing about when loads happen or when the job ends
(test_streaming.py runs it for real).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cafe_etl import jobs
from cafe_etl.errors import UsageError
from cafe_etl.stream import LocalKinesisDriver, parse_load_interval, parse_stop_at, stop_deadline
from cafe_etl.stream.checkpoint import Checkpoint
from cafe_etl.stream.loads import UNLOADED_FOLDER, Unloaded, WarehouseLoads, batch_ranges

JULY = dt.datetime(2026, 7, 15, tzinfo=dt.UTC)  # British Summer Time: London is UTC+1
JANUARY = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)  # Greenwich Mean Time: London is UTC


class FakeClock:
    """Starts at `start`; moves only when the stream sleeps (or a test says so)."""

    def __init__(self, start: dt.datetime):
        self.epoch = start.timestamp()
        self.elapsed = 0.0

    def time(self) -> float:
        return self.epoch + self.elapsed

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.elapsed += seconds

    def utc(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.time(), dt.UTC)


class FakeKinesis:
    """One shard whose records arrive at fake times: GetRecords returns those arrived."""

    def __init__(self, clock: FakeClock, arrivals: list[float]):
        self.clock, self.arrivals = clock, arrivals

    def list_shards(self, StreamName):  # noqa: N803 - boto3's names
        return {"Shards": [{"ShardId": "shardId-000"}]}

    def get_shard_iterator(self, StreamName, ShardId, ShardIteratorType, **kw):  # noqa: N803
        start = {"TRIM_HORIZON": 0, "LATEST": len(self.arrivals)}.get(ShardIteratorType)
        if start is None:
            n = int(kw["StartingSequenceNumber"])
            start = n + 1 if ShardIteratorType == "AFTER_SEQUENCE_NUMBER" else n
        return {"ShardIterator": str(start)}

    def get_records(self, ShardIterator, Limit):  # noqa: N803
        i, records = int(ShardIterator), []
        while (
            i < len(self.arrivals)
            and self.arrivals[i] <= self.clock.time()
            and len(records) < Limit
        ):
            at = dt.datetime.fromtimestamp(self.arrivals[i], dt.UTC)
            records.append(
                {"SequenceNumber": str(i), "Data": b"[]", "ApproximateArrivalTimestamp": at}
            )
            i += 1
        return {"Records": records, "NextShardIterator": str(i)}


@dataclass
class RecordingWarehouse:
    """What the stream asks of a warehouse: runs, loads (recorded with the fake time), and
    the run log's last committed load."""

    clock: FakeClock
    loads: list[dict] = field(default_factory=list)
    runs: dict = field(default_factory=dict)

    def start_run(self, run_id, job_name, started_at):
        self.runs[run_id] = "running"

    def finish_run(self, run_id, status, summary, conn=None):
        self.runs[run_id] = status

    def load(self, lake_uri, sale_dates, source, run_id, summary, files=None, **kw):
        self.loads.append({"at": self.clock.monotonic(), "summary": dict(summary), "files": files})
        self.runs[run_id] = "succeeded"
        return {}

    def query(self, statement):
        done = [x["summary"] for x in self.loads]
        return ["summary"], [(json.dumps(done[-1]),)] if done else []


@dataclass
class LakeOnlyBatch:
    """MicroBatch's part in the cadence, without Spark: each batch leaves a (empty) file in
    the lake and its note, through the real WarehouseLoads."""

    loads: WarehouseLoads
    lake: Path
    epoch: str = ""
    totals: dict = field(default_factory=lambda: {"batches": 0, "records": 0})

    def warm_up(self) -> float:
        return 0.0

    def process(self, records: list[dict], batch_id: int) -> dict:
        key = f"tills-{self.epoch}-{batch_id:010d}"
        part = self.lake / "transactions" / "sale_date=2026-07-15" / f"stream-{key}-00000.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.touch()
        n = len(records)
        counts = {"rows_read": n, "transactions": n, "quarantined": 0, "duplicates": 0}
        arrivals = [r["arrival_ms"] for r in records]
        self.loads.written(
            Unloaded(
                key, {"transactions": [f"file://{part}"]}, counts, min(arrivals), max(arrivals)
            )
        )
        self.totals["batches"] += 1
        self.totals["records"] += n
        return {**counts, "seconds": 0.0}


class ListDriver(LocalKinesisDriver):
    """The local driver, handing the batch its records as a list (no Spark read)."""

    def records_frame(self, records, folder):
        return records


def replay(spark, tmp_path, start, minutes, interval, stop_at, window=30, every=10.0):
    """A driver over records arriving every `every` seconds for `minutes` from `start`."""
    clock = FakeClock(start)
    arrivals = [clock.time() + k * every for k in range(int(minutes * 60 / every))]
    warehouse = RecordingWarehouse(clock)
    loads = WarehouseLoads(
        spark, warehouse, str(tmp_path / "lake"), "stream-test", None, interval, clock
    )
    driver = ListDriver(
        spark=spark,
        client=FakeKinesis(clock, arrivals),
        stream_name="tills",
        batch=LakeOnlyBatch(loads, tmp_path / "lake"),
        checkpoint=Checkpoint(spark, str(tmp_path / "ckpt")),
        window_seconds=window,
        stop_after_idle_seconds=None,
        stop_deadline=stop_deadline(parse_stop_at(stop_at), clock.time()),
        clock=clock,
    )
    summary = driver.run()
    return summary, warehouse, clock, len(arrivals)


@pytest.mark.parametrize(("interval", "minutes"), [(900, 45), (300, 30), (0, 10)])
def test_loads_over_n_minutes_of_records_are_at_most_n_60_over_the_interval_plus_one(
    spark, tmp_path, interval, minutes
):
    """N minutes of records, one every 10 s, read in one-minute windows: at most
    N·60/interval + 1 loads, each at least `interval` after the one before, and every
    record in the warehouse by the end; 0 loads after every batch, as before."""
    start = JULY.replace(hour=8)  # 09:00 in London
    stop_at = f"09:{minutes:02d}"
    summary, warehouse, _, n = replay(spark, tmp_path, start, minutes, interval, stop_at, 60)
    loads = warehouse.loads
    if interval:
        assert 1 <= len(loads) <= minutes * 60 // interval + 1, [x["at"] for x in loads]
        gaps = [b["at"] - a["at"] for a, b in zip(loads, loads[1:], strict=False)]
        assert all(gap >= interval for gap in gaps), gaps
        # The warehouse is never further behind than the interval and a window.
        assert summary["warehouse_freshness_max_seconds"] <= interval + 60 + 1
    else:
        assert len(loads) == summary["batches"] == minutes
    assert sum(x["summary"]["transactions"] for x in loads) == n == summary["records"]
    assert summary["warehouse_loads"] == len(loads)
    assert summary["lake_freshness_max_seconds"] <= 60 + 1
    assert set(warehouse.runs.values()) == {"succeeded"}
    assert not list((tmp_path / "lake" / UNLOADED_FOLDER).glob("*.json"))  # all loaded


@pytest.mark.parametrize(
    ("start", "stops_utc"),
    [
        # 19:00 in London is 18:00 UTC in July (BST) and 19:00 UTC in January (GMT).
        (JULY.replace(hour=17, minute=50), JULY.replace(hour=18)),
        (JANUARY.replace(hour=17, minute=50), JANUARY.replace(hour=19)),
        # Started after closing (a restart): what waits is read, loaded, and the run ends.
        (JULY.replace(hour=18, minute=30), JULY.replace(hour=18, minute=30)),
    ],
    ids=["july-bst", "january-gmt", "started-after-closing"],
)
def test_the_stream_stops_itself_after_closing_in_london_time_in_both_seasons(
    spark, tmp_path, start, stops_utc
):
    # Minute windows: the January run reads for 70 minutes.
    summary, warehouse, clock, n = replay(spark, tmp_path, start, 120, 900, "19:00", window=60)
    assert summary["stopped_by"] == "stop_at"
    # It ends at the end of the first window past closing, never before it.
    assert stops_utc <= clock.utc() <= stops_utc + dt.timedelta(seconds=61), clock.utc()
    # Its last batch was loaded before it ended: every record read is in the warehouse.
    loaded = sum(x["summary"]["transactions"] for x in warehouse.loads)
    assert loaded == summary["records"] > 0
    assert warehouse.loads[-1]["summary"]["reason"] == "stop"
    arrived = sum(1 for k in range(n) if start.timestamp() + 10 * k <= clock.time())
    assert summary["records"] == arrived  # and it read everything that had arrived


def test_closing_time_is_worked_out_in_london_whatever_the_season():
    seven_pm = parse_stop_at("19:00")
    assert stop_deadline(seven_pm, JULY.timestamp()) == JULY.replace(hour=18).timestamp()
    assert stop_deadline(seven_pm, JANUARY.timestamp()) == JANUARY.replace(hour=19).timestamp()
    assert stop_deadline(None, JULY.timestamp()) is None


@pytest.mark.parametrize("value", ["25:00", "19:60", "7:00", "19.00", "7pm", "-1:00"])
def test_a_stop_at_that_is_no_time_of_day_is_refused(value):
    with pytest.raises(UsageError, match="--stop_at .*HH:MM"):
        parse_stop_at(value)


@pytest.mark.parametrize("value", ["-1", "1.5", "15m", "x"])
def test_a_load_interval_that_is_no_whole_number_of_seconds_is_refused(value):
    with pytest.raises(UsageError, match="--load_interval_seconds .*whole number"):
        parse_load_interval(value)


def test_the_job_refuses_a_bad_stop_at_in_one_line_before_spark_starts(capsys):
    base = ["kinesis_stream.py", "--JOB_NAME", "s", "--stream_name", "t", "--lake_uri", "l",
            "--warehouse_url", "embedded://w", "--checkpoint_uri", "c"]  # fmt: skip
    assert jobs.stream([*base, "--stop_at", "25:00"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --stop_at '25:00'") and err.count("\n") == 1, err
    assert jobs.STREAM.optional["load_interval_seconds"] == "900"
    assert parse_load_interval(jobs.STREAM.optional["load_interval_seconds"]) == 900
    assert parse_load_interval("0") == 0


def test_a_day_of_loaded_batches_is_a_few_bytes_in_the_run_log():
    keys = [f"tills-e1-{n:010d}" for n in [*range(0, 1440), 1500]] + ["tills-e2-0000000000"]
    assert batch_ranges(keys) == {"tills-e1-": [[0, 1439], [1500, 1500]], "tills-e2-": [[0, 0]]}


def test_lake_files_the_nightly_job_rewrote_since_are_left_out_of_the_load(spark, tmp_path):
    """The nightly job rewrites whole days of the lake (the stream's files of those days
    too) and loads them itself: a pending batch's vanished files are not loaded, and a
    load with none left is no load at all (no query wakes the warehouse)."""
    clock = FakeClock(JULY)
    warehouse = RecordingWarehouse(clock)
    loads = WarehouseLoads(spark, warehouse, str(tmp_path / "lake"), "s", None, 900, clock)
    batch = LakeOnlyBatch(loads, tmp_path / "lake", epoch="e")
    parts = []
    for batch_id in (0, 1):
        batch.process([{"arrival_ms": 0}], batch_id)
        parts.append(loads.pending[-1].files["transactions"][0])
    Path(parts[0][len("file://") :]).unlink()  # the nightly job's rewrite of its day
    loads.load("stop")
    assert warehouse.loads[0]["files"]["transactions"] == [parts[1]]
    batch.process([{"arrival_ms": 0}], 2)
    Path(loads.pending[-1].files["transactions"][0][len("file://") :]).unlink()
    assert loads.load("stop") is None and len(warehouse.loads) == 1
    assert not loads.pending and not list((tmp_path / "lake" / UNLOADED_FOLDER).glob("*.json"))
