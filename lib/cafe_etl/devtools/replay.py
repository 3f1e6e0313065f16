"""The till side of the stream: replay raw files as Kinesis records, and the local demo.

    cafe-etl replay --raw DIR --stream NAME --endpoint_url URL [--rate N] [--create-stream]
    cafe-etl stream-demo [--raw DIR] [--rate N] [--window N]      (make stream)

A record is one transaction, a JSON array of the seven fields as the till wrote them,
partitioned by branch. The producer emulates tills, it is not the pipeline: it reads the
files with Python's csv module (BOM, headers, padding and blank lines handled).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3

from cafe_etl.schema import NUMBER_LIKE

# PutRecords, Amazon Kinesis Data Streams API Reference: "Each PutRecords request can
# support up to 500 records. Each record in the request can be as large as 1 MiB, up to a
# limit of 5 MiB for the entire request, including partition keys. [...] The record size
# limit applies to the total size of the partition key and data blob." A partition key is
# 1 to 256 characters (PutRecordsRequestEntry). moto's server enforces none of these.
MAX_BATCH = 500
MAX_RECORD_BYTES = 1 << 20
MAX_REQUEST_BYTES = 5 << 20
MAX_PARTITION_KEY = 256


def export_text(data: bytes) -> str | None:
    """A raw file's text, or None when it is not a text export (NUL bytes, not UTF-8)."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def read_raw_rows(raw_dir: str | Path) -> Iterator[list[str]]:
    """Data rows of every raw file, trimmed, in key order; unreadable files skipped."""
    for path in sorted(p for p in Path(raw_dir).rglob("*") if p.is_file()):
        text = export_text(path.read_bytes())
        if text is None:
            continue
        for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
            fields = [f.strip() for f in row]
            # A header is the first line with no number in it, whatever its words (raw.py).
            if not any(fields) or (number == 1 and not re.search(NUMBER_LIKE, ",".join(row))):
                continue
            yield fields


def create_stream(client, name: str, shards: int = 2) -> None:
    try:
        client.create_stream(StreamName=name, ShardCount=shards)
    except client.exceptions.ResourceInUseException:
        return
    client.get_waiter("stream_exists").wait(StreamName=name)


def entry_bytes(entry: dict) -> int:
    """What a PutRecords entry counts against Kinesis's limits: its data and partition key."""
    return len(entry["Data"]) + len(entry["PartitionKey"].encode())


def record_entry(fields: list[str]) -> dict:
    """One row as a PutRecords entry: its fields as a JSON array, partitioned by branch."""
    key = (fields[1] if len(fields) > 1 and fields[1] else "unknown")[:MAX_PARTITION_KEY]
    entry = {"Data": json.dumps(fields).encode(), "PartitionKey": key}
    if (size := entry_bytes(entry)) > MAX_RECORD_BYTES:
        raise ValueError(
            f"a row of {size:,} bytes (branch {key!r}) is over Kinesis's 1 MiB for a record"
        )
    return entry


def request_batches(entries) -> Iterator[list[dict]]:
    """Entries in order, in PutRecords requests of at most MAX_BATCH records and
    MAX_REQUEST_BYTES of data and partition keys."""
    batch: list[dict] = []
    size = 0
    for entry in entries:
        n = entry_bytes(entry)
        if batch and (len(batch) == MAX_BATCH or size + n > MAX_REQUEST_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += n
    if batch:
        yield batch


def replay(client, stream: str, rows, rate: float, progress: bool = True) -> dict:
    """Send rows at `rate` records a second; throttled or failed records are retried."""
    sent = retried = 0
    started = time.monotonic()
    for batch in request_batches(record_entry(fields) for fields in rows):
        for attempt in range(8):
            answer = client.put_records(StreamName=stream, Records=batch)
            failed = [
                r for r, res in zip(batch, answer["Records"], strict=True) if "ErrorCode" in res
            ]
            sent += len(batch) - len(failed)
            if not failed:
                break
            retried += len(failed)
            batch = failed
            time.sleep(min(2.0, 0.05 * 2**attempt))
        else:
            raise RuntimeError(f"{len(batch)} records still failing after retries")
        # Pace: never ahead of `rate` records a second.
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
        if progress:
            elapsed = time.monotonic() - started
            print(
                f"\rreplay: {sent:>9,} records sent, {sent / max(elapsed, 1e-9):>7,.0f}/s",
                end="",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.monotonic() - started
    if progress:
        print(file=sys.stderr)
    return {
        "sent": sent,
        "retried": retried,
        "seconds": round(elapsed, 2),
        "rate": round(sent / elapsed) if elapsed else 0,
    }


def kinesis_client(endpoint_url: str | None):
    for key, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "eu-west-2"),
    ):
        if endpoint_url:
            os.environ.setdefault(key, value)
    return boto3.client("kinesis", endpoint_url=endpoint_url)


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", required=True, help="raw folder whose rows are sent")
    parser.add_argument("--stream", required=True, help="the Kinesis stream's name")
    parser.add_argument(
        "--endpoint-url", "--endpoint_url", help="a local Kinesis (moto) instead of AWS's"
    )
    parser.add_argument(
        "--rate", type=float, default=1000, help="records per second (default: 1000)"
    )
    parser.add_argument("--create-stream", action="store_true", help="create the stream first")
    parser.add_argument(
        "--shards", type=int, default=2, help="shards of a created stream (default: 2)"
    )


def run_replay(args: argparse.Namespace) -> dict:
    client = kinesis_client(args.endpoint_url)
    if args.create_stream:
        create_stream(client, args.stream, args.shards)
    result = replay(client, args.stream, read_raw_rows(args.raw), args.rate)
    print(json.dumps(result))
    return result
