"""The streaming job: Kinesis records → the same transforms, lake and warehouse as the batch.

One micro-batch at a time (`MicroBatch.process`). On Glue, Glue's Kinesis source and
`forEachBatch` drive it; locally `LocalKinesisDriver` reads every shard with boto3 and
forms a batch every `--window_seconds`.

Delivery: records are read at least once (a batch is re-read after a crash until its
shard positions are saved, which happens only after its warehouse load committed), and
every write is idempotent, so the effect is exactly once:
- the warehouse merge is insert-only by transaction_id (source = 'stream');
- the lake files of a batch have names derived from the checkpoint's epoch and the
  batch id (a lost checkpoint starts a new epoch: batch 0 again gets new names); before
  a batch writes, files left by an earlier attempt of the same batch are removed, and its
  transactions already in the lake (from an earlier batch or the nightly job) are left
  out;
- the local driver writes its next batch's shard ranges ("pending") before processing
  it, so a restarted driver re-reads exactly the same records under the same batch id.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
import uuid
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from cafe_etl import lake, pipeline, raw, reference, transform
from cafe_etl.runtime import Runtime, UsageError, redact_in_plans, resolve_salt
from cafe_etl.schema import (
    EARLY_2021,
    LAKE_BASKET_ITEMS,
    LAKE_QUARANTINE,
    LAKE_TRANSACTIONS,
    LAYOUTS,
    RAW_FIELDS,
    STREAM_REASON_MALFORMED,
)
from cafe_etl.warehouse import open_warehouse

log = logging.getLogger("cafe_etl.stream")

RECORD_SCHEMA = "data string, shard_id string, sequence_number string, arrival_ms long"
STAGING = "_stream_staging"


def records_to_raw_rows(records: DataFrame, stream_name: str) -> tuple[DataFrame, DataFrame]:
    """Records (RECORD_SCHEMA) → (raw rows, quarantine rows of malformed records).

    A record is a JSON array of the seven fields in file order, or a JSON object with the
    field names of a layout that has a header (schema.LAYOUTS: 2020, 2022 or the old
    system's names), mapped like a file of that layout. Anything else is quarantined as
    malformed. A record is all there is of its "file", so an array's layout is told from
    its own shape, by the file rule: it ends in the early-2021 card field
    (`<network>,<number>` or `None`) or it is in the default order.
    """
    parsed = _parse_records(records, stream_name)
    named, object_layout = _object_fields(F.col("_object"))
    object_count = F.size("_object")  # an object with a missing or extra key is not 7
    good = parsed.where(~F.col("_malformed"))
    is_array = F.col("_array").isNotNull()
    # The record's fields and layout in one projection, mapped to RAW_FIELDS in the next:
    # to_canonical reads its input once per layout and field, and an input that is a
    # column (not an expression) keeps Spark from copying the parse into every read.
    shaped = good.select(
        "source_file",
        F.when(is_array, F.size("_array")).otherwise(object_count).cast("int").alias("_count"),
        F.when(is_array, F.transform("_array", lambda v: F.coalesce(v, F.lit(""))))
        .otherwise(F.array(*named))
        .alias("_fields"),
        F.when(
            is_array,
            F.when(
                F.trim(F.try_element_at("_array", F.lit(-1))).rlike(r"^(None|[A-Za-z]+ *,.*)$"),
                F.lit(EARLY_2021),
            ).otherwise(F.lit(0)),
        )
        .otherwise(object_layout)
        .alias("_layout"),
    )
    rows = shaped.select(
        F.lit("stream").alias("source"),
        "source_file",
        F.lit(None).cast("date").alias("file_date"),
        F.lit(1).cast("long").alias("line_number"),
        F.col("_count").alias("field_count"),
        raw.to_canonical(F.col("_fields"), F.col("_layout")).alias("fields"),
    )
    malformed = parsed.where(F.col("_malformed")).select(
        F.lit(STREAM_REASON_MALFORMED).alias("reason"),
        F.lit("stream").alias("source"),
        "source_file",
        F.lit(1).cast("long").alias("line_number"),
        F.lit(None).cast("int").alias("field_count"),
        F.lit(None).cast("string").alias("raw_row"),  # never stored: it may hold anything
        F.current_date().alias("file_date"),
    )
    return rows, malformed


def _object_fields(obj: Column) -> tuple[list[Column], Column]:
    """A JSON object's values in the field order of the first layout whose header names are
    all its keys, and that layout's index. An object that has no layout's whole set of keys
    takes each field from whichever layout's name for it is present (index -1: no mapping).
    """
    with_header = [(i, spec) for i, spec in enumerate(LAYOUTS) if spec.header]
    layout = F.lit(-1)
    for i, spec in reversed(with_header):
        has_all = F.forall(F.array(*[F.lit(k) for k in spec.header]), lambda k: obj[k].isNotNull())
        layout = F.when(has_all, F.lit(i)).otherwise(layout)
    named = []
    for pos in range(len(RAW_FIELDS)):
        value = F.coalesce(*[obj[spec.header[pos]] for _, spec in with_header], F.lit(""))
        for i, spec in reversed(with_header):
            value = F.when(layout == i, F.coalesce(obj[spec.header[pos]], F.lit(""))).otherwise(
                value
            )
        named.append(value)
    return named, layout


def _parse_records(records: DataFrame, stream_name: str) -> DataFrame:
    """Each record's data read as a JSON array and as a JSON object; malformed if neither."""
    return records.select(
        F.concat_ws("/", F.lit("kinesis"), F.lit(stream_name), "shard_id", "sequence_number").alias(
            "source_file"
        ),
        F.from_json("data", "array<string>").alias("_array"),
        F.from_json("data", "map<string,string>").alias("_object"),
    ).select("*", (F.col("_array").isNull() & F.col("_object").isNull()).alias("_malformed"))


def _record_counts(records: DataFrame) -> tuple[int, int]:
    """(records, malformed records) of a batch in one pass."""
    row = (
        _parse_records(records, "")
        .agg(F.count(F.lit(1)).alias("n"), F.count(F.when(F.col("_malformed"), 1)).alias("bad"))
        .first()
    )
    return int(row["n"]), int(row["bad"])


@dataclass
class MicroBatch:
    """Processes one micro-batch of records into the lake and the warehouse."""

    spark: SparkSession
    job_name: str
    stream_name: str
    lake_uri: str
    warehouse_url: str
    salt: str
    copy_role_arn: str | None = None
    region: str | None = None
    reference_uri: str | None = None  # the operator's branch → region CSV (reference.py)
    totals: dict = field(default_factory=lambda: {"batches": 0, "records": 0})
    # The checkpoint's id (Checkpoint.epoch): part of every lake file name of a batch.
    epoch: str = ""

    def __post_init__(self) -> None:
        self.lake_uri = lake.normalise_uri(self.lake_uri)
        self.warehouse = open_warehouse(self.warehouse_url, self.copy_role_arn, self.region)
        self.warehouse.ensure_schema()
        self.regions = reference.read_regions(self.spark, self.reference_uri)

    def process(self, records: DataFrame, batch_id: int) -> dict:
        started = time.monotonic()
        epoch = f"{self.epoch}-" if self.epoch else ""
        batch_key = f"{self.stream_name}-{epoch}{batch_id:010d}"
        run_id = f"{self.job_name}-b{batch_id}-{uuid.uuid4().hex[:6]}"
        self.warehouse.start_run(run_id, self.job_name, _utcnow())
        summary: dict = {"run_id": run_id, "batch_id": batch_id, "source": "stream"}
        processed = None
        try:
            records = records.persist()
            processed, malformed, counts = self._transform(records)
            summary.update(counts)
            pipeline.check_conservation(summary)
            transformed = time.monotonic()
            files = self._write_lake(processed, malformed, batch_key)
            written = time.monotonic()
            summary["warehouse"] = self.warehouse.load(
                self.lake_uri,
                processed.sale_dates,
                "stream",
                run_id,
                summary,
                files=files,
                regions=self.regions,
            )
            summary["stage_seconds"] = {
                "transform": round(transformed - started, 2),
                "lake_write": round(written - transformed, 2),
                "warehouse_load": round(time.monotonic() - written, 2),
            }
        except BaseException as exc:
            summary.update(status="failed", error=type(exc).__name__)
            pipeline._record_failure(self.warehouse, run_id, summary)
            raise
        finally:
            records.unpersist()
            if processed is not None:
                processed.unpersist()
        summary["seconds"] = round(time.monotonic() - started, 3)
        self.totals["batches"] += 1
        self.totals["records"] += summary["rows_read"]
        for key in ("transactions", "quarantined", "duplicates"):
            self.totals[key] = self.totals.get(key, 0) + summary[key]
        log.info(
            "batch %d: %d records, %d transactions, %d quarantined, %d duplicates in %.1fs %s",
            batch_id,
            summary["rows_read"],
            summary["transactions"],
            summary["quarantined"],
            summary["duplicates"],
            summary["seconds"],
            summary["stage_seconds"],
        )
        return summary

    def _transform(self, records: DataFrame):
        """Records → (Processed, malformed quarantine rows, the batch's counts)."""
        rows, malformed = records_to_raw_rows(records, self.stream_name)
        n_records, n_malformed = _record_counts(records)
        processed = pipeline.process_rows(self.spark, rows, self.salt, self.regions)
        counts = processed.counts(rows_read=n_records - n_malformed, unreadable=[])
        if n_malformed:
            counts["quarantined"] += n_malformed
            counts["quarantined_by_reason"][STREAM_REASON_MALFORMED] = n_malformed
            counts["rows_read"] += n_malformed
        return processed, malformed, counts

    @staticmethod
    def _lake_frames(processed, unique: DataFrame, malformed: DataFrame) -> dict:
        """The batch's three lake tables (stream quarantine is filed under today)."""
        quarantine = transform.quarantine(processed.validated).withColumn(
            "file_date", F.coalesce("file_date", F.current_date())
        )
        return {
            LAKE_TRANSACTIONS: transform.transactions(unique),
            LAKE_BASKET_ITEMS: transform.basket_items(unique),
            LAKE_QUARANTINE: quarantine.unionByName(malformed),
        }

    def warm_up(self) -> float:
        """Run one made-up record through the transforms and a scratch lake write.

        Spark compiles each query's code and the JVM its hot paths on first use: a few
        seconds that would otherwise land on the first real batch and on its latency.
        Nothing reaches the lake's tables or the warehouse; the scratch folder is removed.
        """
        started = time.monotonic()
        record = json.dumps(
            ["09/11/2026 09:00", "Leeds", "Warm Up", "Latte - 2.00", "2.00", "CARD", ""]
        )
        frame = self.spark.createDataFrame([(record, "warm-up", "0", 0)], RECORD_SCHEMA)
        processed, malformed, _ = self._transform(frame)
        scratch = f"{self.lake_uri}{STAGING}/warm-up/"
        for table, lake_frame in self._lake_frames(processed, processed.unique, malformed).items():
            lake.write_table(lake_frame, scratch, table, "overwrite")
        _HadoopFs(self.spark).delete(scratch)
        processed.unpersist()
        return round(time.monotonic() - started, 1)

    def _write_lake(self, processed, malformed: DataFrame, batch_key: str) -> dict:
        """Append the batch to the lake under names derived from batch_key (idempotent)."""
        fs = _HadoopFs(self.spark)
        prefix = f"stream-{batch_key}-"
        for table in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS, LAKE_QUARANTINE):
            fs.delete_named(lake.table_uri(self.lake_uri, table), prefix)
        unique = processed.unique
        present = self._lake_ids(processed.sale_dates)
        if present is not None:
            unique = unique.join(present, "transaction_id", "left_anti")
        staging = f"{self.lake_uri}{STAGING}/{batch_key}/"
        moved: dict[str, list[str]] = {}
        for table, frame in self._lake_frames(processed, unique, malformed).items():
            lake.write_table(frame, staging, table, "overwrite")
            moved[table] = fs.move_files(
                lake.table_uri(staging, table), lake.table_uri(self.lake_uri, table), prefix
            )
        fs.delete(staging)
        return {t: moved[t] for t in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS)}

    def _lake_ids(self, sale_dates: list[str]) -> DataFrame | None:
        """Transaction ids already in the lake for these days, or None if there are none."""
        fs = _HadoopFs(self.spark)
        files = [
            str(f)
            for p in lake.partition_paths(self.lake_uri, LAKE_TRANSACTIONS, sale_dates)
            for f in fs._files(p)[1]
            if f.getName().endswith(".parquet")
        ]
        if not files:
            return None
        return self.spark.read.parquet(*files).select("transaction_id").distinct()


class _HadoopFs:
    """File moves through Hadoop's FileSystem: the same code on S3 and on disk."""

    def __init__(self, spark: SparkSession):
        self.jvm = spark.sparkContext._jvm
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str):
        path = self.jvm.org.apache.hadoop.fs.Path(uri)
        return path, path.getFileSystem(self.conf)

    def exists(self, uri: str) -> bool:
        path, fs = self._path(uri)
        return bool(fs.exists(path))

    def delete(self, uri: str) -> None:
        path, fs = self._path(uri)
        if fs.exists(path):
            fs.delete(path, True)

    def _files(self, uri: str):
        path, fs = self._path(uri)
        if not fs.exists(path):
            return fs, []
        found = []
        it = fs.listFiles(path, True)
        while it.hasNext():
            found.append(it.next().getPath())
        return fs, found

    def delete_named(self, uri: str, prefix: str) -> None:
        fs, files = self._files(uri)
        for f in files:
            if f.getName().startswith(prefix):
                fs.delete(f, False)

    def move_files(self, source: str, target: str, prefix: str) -> list[str]:
        """Move staged Parquet files into the table, keeping their partition folders."""
        fs, files = self._files(source)
        moved = []
        parquet = sorted((f for f in files if f.getName().endswith(".parquet")), key=str)
        for i, f in enumerate(parquet):
            partition = f.getParent().getName()
            dest = self.jvm.org.apache.hadoop.fs.Path(
                f"{target}{partition}/{prefix}{i:05d}.parquet"
            )
            fs.mkdirs(dest.getParent())
            if fs.exists(dest):
                fs.delete(dest, False)
            if not fs.rename(f, dest):
                raise OSError(f"could not move {f} to {dest}")
            moved.append(dest.toString())
        return moved


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- the local driver -----------------------------------------------------------------


class Checkpoint:
    """Shard positions in one JSON object (local file or s3://), replaced in one step.

    On a local disk the new state is written to a temporary file, flushed, and renamed
    over `positions.json` (POSIX rename: a reader sees the old file or the new one, never
    none). On S3 one PUT of the whole object is that step already: S3 never shows a half-
    written object. Hadoop's FileSystem.rename is not used: it is not specified to replace
    an existing target (so the target had to be deleted first, leaving a window with no
    checkpoint), and on S3 it is a copy and a delete.

    `epoch` is the checkpoint's own id, made when it is created. Lake file names of a
    stream batch carry it, so that a stream restarted from batch 0 after its checkpoint
    was lost never reuses, and so never deletes, an earlier epoch's files.
    """

    NAME = "positions.json"

    def __init__(self, spark: SparkSession, uri: str):
        self.spark = spark
        self.uri = uri.rstrip("/") + "/" + self.NAME
        self.state = {"next_batch": 0, "committed": {}, "pending": None}
        text = self._read()
        if text is not None:
            self.state = json.loads(text)
        else:
            self.state["epoch"] = uuid.uuid4().hex[:12]

    @property
    def epoch(self) -> str:
        return self.state.get("epoch", "")  # checkpoints written before epochs: none

    def _local_path(self) -> str | None:
        from urllib.parse import urlparse

        parsed = urlparse(self.uri)
        if parsed.scheme in ("", "file"):
            return parsed.path if parsed.scheme else self.uri
        return None

    def _read(self) -> str | None:
        local = self._local_path()
        if local is not None:
            try:
                with open(local, encoding="utf-8") as handle:
                    return handle.read()
            except FileNotFoundError:
                return None
        fs = _HadoopFs(self.spark)
        if not fs.exists(self.uri):
            return None
        path, hfs = fs._path(self.uri)
        stream = hfs.open(path)
        try:
            jvm = self.spark.sparkContext._jvm
            reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
            return "\n".join(iter(reader.readLine, None))
        finally:
            stream.close()

    def save(self) -> None:
        text = json.dumps(self.state, sort_keys=True)
        local = self._local_path()
        if local is None:
            lake.write_text(self.spark, self.uri, text)  # one PUT: atomic on S3
            return
        import os

        os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
        tmp = f"{local}.{uuid.uuid4().hex[:8]}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, local)


@dataclass
class LocalKinesisDriver:
    """Reads every shard with boto3, a micro-batch every window, positions after commit."""

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

    def run(self) -> dict:
        self.batch.epoch = self.checkpoint.epoch
        log.info("warm-up: %.1fs", self.batch.warm_up())
        started = time.monotonic()
        state = self.checkpoint.state
        if state.get("pending"):
            log.info("re-processing batch %s left pending by a stopped run", state["pending"]["id"])
            records = self._read_ranges(state["pending"]["ranges"])
            self._process(records, state["pending"]["id"], state["pending"]["ranges"])
        else:
            self.checkpoint.save()  # the checkpoint exists from the moment the job reads
        iterators = self._iterators()
        idle_since = time.monotonic()
        window_end = time.monotonic()
        while True:
            # Windows follow each other like Spark's processing-time trigger: a batch
            # closes `window_seconds` after the previous one closed, or at once when the
            # previous batch took longer than that (records wait one window, not two).
            window_end = max(window_end + self.window_seconds, time.monotonic())
            records: list[dict] = []
            ranges: dict[str, list[str]] = {}
            while True:
                got = self._poll(iterators, records, ranges)
                if time.monotonic() >= window_end:
                    break
                if not got:
                    time.sleep(min(0.2, max(0.0, window_end - time.monotonic())))
            if records:
                idle_since = time.monotonic()
                self._process(records, self.checkpoint.state["next_batch"], ranges)
            elif (
                self.stop_after_idle_seconds is not None
                and time.monotonic() - idle_since >= self.stop_after_idle_seconds
            ):
                break
        elapsed = time.monotonic() - started
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
            answer = self.client.get_records(ShardIterator=iterator, Limit=10_000)
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
                answer = self.client.get_records(ShardIterator=iterator, Limit=10_000)
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
        rows = [(r["data"], r["shard_id"], r["sequence_number"], r["arrival_ms"]) for r in records]
        # Small slices: the records travel inside the tasks, and Spark warns past 1 MB each.
        slices = max(self.spark.sparkContext.defaultParallelism, len(rows) // 2_000)
        frame = self.spark.createDataFrame(
            self.spark.sparkContext.parallelize(rows, slices), RECORD_SCHEMA
        )
        summary = self.batch.process(frame, batch_id)
        committed_ms = time.time() * 1000
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

    def _summary(self, elapsed: float) -> dict:
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

        totals = dict(self.batch.totals)
        busy = sum(b["seconds"] for b in self.batches)
        span = (self.last_arrival_ms - self.first_arrival_ms) / 1000 if lat else 0
        return {
            **totals,
            "status": "succeeded",
            "elapsed_seconds": round(elapsed, 1),
            "processing_seconds": round(busy, 1),
            # The rate records reached the stream, and the rate the job works through them
            # when busy: it keeps up when the second is at least the first.
            "records_per_second_arriving": round(len(lat) / span) if span else 0,
            "records_per_second_processing": round(totals["records"] / busy) if busy else 0,
            "max_batch_seconds": max((b["seconds"] for b in self.batches), default=0),
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


# --- entry -----------------------------------------------------------------------------


def run_stream(runtime: Runtime, args: dict) -> dict:
    spark = runtime.spark
    salt = resolve_salt(args, runtime.on_glue)
    redact_in_plans(spark, salt)
    window = float(args.get("window_seconds") or 30)
    if window <= 0:
        raise UsageError("--window_seconds must be positive")
    batch = MicroBatch(
        spark,
        runtime.job_name,
        args["stream_name"],
        args["lake_uri"],
        args["warehouse_url"],
        salt,
        args.get("redshift_copy_role_arn"),
        args.get("aws_region"),
        reference_uri=args.get("reference_uri"),
    )
    if runtime.on_glue and not args.get("kinesis_endpoint_url"):
        # Spark's checkpoint keeps Glue's batch ids; a small file beside it names their
        # epoch, and goes (and comes back new) with the checkpoint folder.
        epoch = Checkpoint(spark, args["checkpoint_uri"].rstrip("/") + "/cafe_epoch")
        epoch.save()
        batch.epoch = epoch.epoch
        return _run_on_glue(runtime, args, batch, window)
    import boto3

    client = boto3.client(
        "kinesis", endpoint_url=args.get("kinesis_endpoint_url"), region_name=args.get("aws_region")
    )
    idle = args.get("stop_after_idle_seconds")
    driver = LocalKinesisDriver(
        spark=spark,
        client=client,
        stream_name=args["stream_name"],
        batch=batch,
        checkpoint=Checkpoint(spark, args["checkpoint_uri"]),
        window_seconds=window,
        stop_after_idle_seconds=float(idle) if idle else None,
        starting_position=args.get("starting_position") or "TRIM_HORIZON",
    )
    return driver.run()


def glue_source_options(args: dict) -> dict:
    """Glue's Kinesis source options, as Glue's "Kinesis connections" reference has them.

    `streamARN` is the documented required option (it carries the region, so no
    endpointUrl). `inferSchema` "true" hands each micro-batch the record text untouched in
    a `$json$...` column: records are JSON arrays or objects, which no one `schema` fits,
    and `inferSchema` "false" would need one. `addRecordTimestamp` adds the arrival time
    as `__src_timestamp` (Glue 4.0 and later); it is never part of a record.
    """
    if not args.get("stream_arn"):
        raise UsageError("on Glue the Kinesis source needs --stream_arn (its streamARN option)")
    return {
        "streamARN": args["stream_arn"],
        "classification": "json",
        "startingPosition": (args.get("starting_position") or "TRIM_HORIZON").lower(),
        "inferSchema": "true",
        "addRecordTimestamp": "true",
    }


# Columns Glue's Kinesis source adds beside a record's own fields.
GLUE_RECORD_TIMESTAMP = "__src_timestamp"
GLUE_RAW_TEXT_PREFIX = "$json$"


def glue_records(frame: DataFrame) -> DataFrame:
    """A micro-batch from Glue's Kinesis source → records (RECORD_SCHEMA).

    The record text is the `$json$...` column when Glue gives it (inferSchema "true");
    otherwise the record is rebuilt as a JSON object from its own columns, leaving out
    every column Glue added (`__src_timestamp` and the like).
    """
    raw = next((c for c in frame.columns if c.startswith(GLUE_RAW_TEXT_PREFIX)), None)
    if raw is not None:
        data = F.col(f"`{raw}`").cast("string")
    else:
        own = [c for c in frame.columns if not c.startswith("__")]
        data = F.to_json(F.struct(*[F.col(f"`{c}`") for c in own]))
    if GLUE_RECORD_TIMESTAMP not in frame.columns:
        arrival = F.lit(int(time.time() * 1000))
    elif dict(frame.dtypes)[GLUE_RECORD_TIMESTAMP] == "timestamp":
        arrival = F.unix_millis(F.col(GLUE_RECORD_TIMESTAMP))
    else:  # epoch milliseconds
        arrival = F.col(GLUE_RECORD_TIMESTAMP)
    return frame.select(
        data.alias("data"),
        F.lit("glue").alias("shard_id"),
        F.monotonically_increasing_id().cast("string").alias("sequence_number"),
        arrival.cast("long").alias("arrival_ms"),
    )


def _run_on_glue(runtime: Runtime, args: dict, batch: MicroBatch, window: float) -> dict:
    """Glue's Kinesis source and forEachBatch; each batch goes through MicroBatch.process."""
    source = runtime.glue_context.create_data_frame.from_options(
        connection_type="kinesis", connection_options=glue_source_options(args)
    )

    def each(frame: DataFrame, batch_id: int) -> None:
        if frame.isEmpty():
            return
        batch.process(glue_records(frame), batch_id)

    runtime.glue_context.forEachBatch(
        frame=source,
        batch_function=each,
        options={
            "windowSize": f"{int(window)} seconds",
            "checkpointLocation": args["checkpoint_uri"],
        },
    )
    return dict(batch.totals)
