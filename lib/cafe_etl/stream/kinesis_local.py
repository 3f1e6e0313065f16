"""The local stand-in for Glue's Kinesis source: boto3 reads every shard, a batch a window."""

from __future__ import annotations

import logging
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession

from cafe_etl.stream.checkpoint import Checkpoint
from cafe_etl.stream.micro_batch import MicroBatch
from cafe_etl.stream.records import RECORD_COLUMNS, RECORD_SCHEMA
from cafe_etl.stream.schedule import Clock, describe

log = logging.getLogger("cafe_etl.stream")

# RECORD_SCHEMA's columns as pyarrow types, for the batch files the driver writes: derived
# from it, so the two cannot drift apart.
_ARROW_TYPES = {"string": pa.string(), "long": pa.int64()}
RECORD_ARROW = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in RECORD_COLUMNS])
# Records per GetRecords call: Kinesis's most ("Specify a value of up to 10,000. If you
# specify a value that is greater than 10,000, GetRecords throws InvalidArgumentException",
# GetRecords, Amazon Kinesis Data Streams API Reference). moto does not enforce it.
GET_RECORDS_LIMIT = 10_000
# Records per batch file: a big batch is read by several tasks, one file each.
RECORDS_PER_FILE = 2_000


@dataclass
class LocalKinesisDriver:
    """Reads every shard with boto3, a micro-batch every window, positions once the batch
    is in the lake; the warehouse loads at the batch's cadence (loads.py).

    It ends when the stream has been idle for `stop_after_idle_seconds`, or at the end of
    the first window past `stop_deadline` (epoch seconds: schedule.stop_deadline), with a
    last load of everything still unloaded.
    """

    spark: SparkSession
    client: object
    stream_name: str
    batch: MicroBatch
    checkpoint: Checkpoint
    window_seconds: float
    stop_after_idle_seconds: float | None
    starting_position: str = "TRIM_HORIZON"
    latencies: list[float] = field(default_factory=list)
    first_arrival_ms: int | None = None
    last_arrival_ms: int | None = None
    batches: list[dict] = field(default_factory=list)
    stop_deadline: float | None = None
    clock: Clock = field(default_factory=Clock)
    stopped_by: str = ""

    def run(self) -> dict:
        self.batch.epoch = self.checkpoint.epoch
        log.info("warm-up: %.1fs", self.batch.warm_up())
        clock = self.clock
        started = clock.monotonic()
        # Lake files an earlier run wrote and never loaded go to the warehouse first.
        self.batch.loads.recover()
        state = self.checkpoint.state
        if state.get("pending"):
            log.info("re-processing batch %s left pending by a stopped run", state["pending"]["id"])
            records = self._read_ranges(state["pending"]["ranges"])
            self._process(records, state["pending"]["id"], state["pending"]["ranges"])
        else:
            self.checkpoint.save()  # the checkpoint exists from the moment the job reads
        iterators = self._iterators()
        if self.stop_deadline is not None:
            log.info("stops after %s", describe(self.stop_deadline))
        idle_since = clock.monotonic()
        window_end = clock.monotonic()
        while True:
            # Windows follow each other like Spark's processing-time trigger: a batch
            # closes `window_seconds` after the previous one closed, or at once when the
            # previous batch took longer than that (records wait one window, not two).
            window_end = max(window_end + self.window_seconds, clock.monotonic())
            records: list[dict] = []
            ranges: dict[str, list[str]] = {}
            while True:
                got = self._poll(iterators, records, ranges)
                if clock.monotonic() >= window_end:
                    break
                if not got:
                    clock.sleep(min(0.2, max(0.0, window_end - clock.monotonic())))
            if records:
                idle_since = clock.monotonic()
                self._process(records, self.checkpoint.state["next_batch"], ranges)
            # Also after an empty window: a quiet hour must not hold back the last load.
            self.batch.loads.load_if_due()
            if self.stop_deadline is not None and clock.time() >= self.stop_deadline:
                self.stopped_by = "stop_at"
                break
            if (
                not records
                and self.stop_after_idle_seconds is not None
                and clock.monotonic() - idle_since >= self.stop_after_idle_seconds
            ):
                self.stopped_by = "idle"
                break
        self.batch.loads.load("stop")  # the last batches' load, before the job ends
        elapsed = clock.monotonic() - started
        return self._summary(elapsed)

    def _iterators(self) -> dict[str, str]:
        shards = self.client.list_shards(StreamName=self.stream_name)["Shards"]
        committed = self.checkpoint.state["committed"]
        iterators = {}
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in committed:
                it = self.client.get_shard_iterator(
                    StreamName=self.stream_name,
                    ShardId=shard_id,
                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber=committed[shard_id],
                )
            else:
                it = self.client.get_shard_iterator(
                    StreamName=self.stream_name,
                    ShardId=shard_id,
                    ShardIteratorType=self.starting_position,
                )
            iterators[shard_id] = it["ShardIterator"]
        return iterators

    def _poll(self, iterators: dict, records: list, ranges: dict) -> int:
        got = 0
        for shard_id, iterator in list(iterators.items()):
            if iterator is None:
                continue
            answer = self.client.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            iterators[shard_id] = answer.get("NextShardIterator")
            for record in answer["Records"]:
                records.append(_record(record, shard_id))
                ranges.setdefault(shard_id, [record["SequenceNumber"], None])
                ranges[shard_id][1] = record["SequenceNumber"]
                got += 1
        return got

    def _read_ranges(self, ranges: dict) -> list[dict]:
        """Exactly the records of a pending batch: same records, same batch id."""
        records = []
        for shard_id, (first, last) in ranges.items():
            iterator = self.client.get_shard_iterator(
                StreamName=self.stream_name,
                ShardId=shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=first,
            )["ShardIterator"]
            done = False
            while iterator and not done:
                answer = self.client.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
                for record in answer["Records"]:
                    records.append(_record(record, shard_id))
                    if int(record["SequenceNumber"]) >= int(last):
                        done = True
                        break
                if not answer["Records"]:
                    break
                iterator = answer.get("NextShardIterator")
        return records

    def _process(self, records: list[dict], batch_id: int, ranges: dict) -> None:
        state = self.checkpoint.state
        state["pending"] = {"id": batch_id, "ranges": ranges}
        self.checkpoint.save()  # write-ahead: a restart re-reads exactly this batch
        with tempfile.TemporaryDirectory(prefix=f"cafe-stream-batch-{batch_id}-") as folder:
            summary = self.batch.process(self.records_frame(records, folder), batch_id)
        committed_ms = self.clock.time() * 1000
        self.latencies += [(committed_ms - r["arrival_ms"]) / 1000 for r in records]
        arrivals = [r["arrival_ms"] for r in records]
        self.first_arrival_ms = min(arrivals + [self.first_arrival_ms or arrivals[0]])
        self.last_arrival_ms = max(arrivals + [self.last_arrival_ms or arrivals[0]])
        for shard_id, (_, last) in ranges.items():
            state["committed"][shard_id] = last
        state["pending"] = None
        state["next_batch"] = batch_id + 1
        self.checkpoint.save()
        self.batches.append(summary)
        print(
            f"batch {batch_id}: {summary['rows_read']} records, {summary['transactions']} "
            f"transactions, {summary['quarantined']} quarantined, {summary['seconds']:.1f}s",
            file=sys.stderr,
        )

    def records_frame(self, records: list[dict], folder: str) -> DataFrame:
        """The batch's records as Parquet files in `folder`, read by Spark's own reader.

        `spark.createDataFrame` over Python rows hands them to Python worker processes
        to re-read (frames.py), a worker start and a pass through Python per batch.
        pyarrow writes the same rows in C++ and Spark reads them in the JVM. Records
        are read only while MicroBatch.process runs (it persists them on first use), so
        the files may go when it returns.
        """
        table = pa.Table.from_pylist(records, schema=RECORD_ARROW)
        files = max(self.spark.sparkContext.defaultParallelism, len(records) // RECORDS_PER_FILE)
        step = max(1, math.ceil(len(records) / files))
        # No records: one empty file, so that the frame is empty rather than a failed read.
        for part, start in enumerate(range(0, len(records), step) or [0]):
            pq.write_table(table.slice(start, step), f"{folder}/part-{part:05d}.parquet")
        return self.spark.read.schema(RECORD_SCHEMA).parquet(f"file://{folder}")

    def _summary(self, elapsed: float) -> dict:
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

        totals = dict(self.batch.totals)
        busy = sum(b["seconds"] for b in self.batches)
        span = (self.last_arrival_ms - self.first_arrival_ms) / 1000 if lat else 0
        return {
            **totals,
            **self.batch.loads.figures(),
            "status": "succeeded",
            "stopped_by": self.stopped_by,
            "elapsed_seconds": round(elapsed, 1),
            "processing_seconds": round(busy, 1),
            # The rate records reached the stream, and the rate the job works through them
            # when busy: it keeps up when the second is at least the first.
            "records_per_second_arriving": round(len(lat) / span) if span else 0,
            "records_per_second_processing": round(totals["records"] / busy) if busy else 0,
            "max_batch_seconds": max((b["seconds"] for b in self.batches), default=0),
            # Per record, from its arrival at Kinesis to its batch in the lake (the
            # positions saved after it): the lake's latency, not the warehouse's.
            "latency_p50_seconds": pct(0.50),
            "latency_p95_seconds": pct(0.95),
            "window_seconds": self.window_seconds,
        }


def _record(record: dict, shard_id: str) -> dict:
    arrival = record.get("ApproximateArrivalTimestamp")
    arrival_ms = int(arrival.timestamp() * 1000) if arrival else int(time.time() * 1000)
    data = record["Data"]
    text = data.decode("utf-8", "replace") if isinstance(data, bytes | bytearray) else str(data)
    return {
        "data": text,
        "shard_id": shard_id,
        "sequence_number": record["SequenceNumber"],
        "arrival_ms": arrival_ms,
    }
