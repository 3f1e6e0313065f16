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
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cafe_etl.schema import NUMBER_LIKE

MAX_BATCH = 500  # put_records limit


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


def replay(client, stream: str, rows, rate: float, progress: bool = True) -> dict:
    """Send rows at `rate` records a second; throttled or failed records are retried."""
    sent = retried = 0
    started = time.monotonic()
    pending: list[dict] = []
    rows = iter(rows)
    exhausted = False
    while not exhausted or pending:
        while not exhausted and len(pending) < MAX_BATCH:
            try:
                fields = next(rows)
            except StopIteration:
                exhausted = True
                break
            branch = fields[1] if len(fields) > 1 and fields[1] else "unknown"
            pending.append({"Data": json.dumps(fields).encode(), "PartitionKey": branch})
        if not pending:
            break
        batch, pending = pending[:MAX_BATCH], pending[MAX_BATCH:]
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


def _client(endpoint_url: str | None):
    import boto3

    for key, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "eu-west-2"),
    ):
        if endpoint_url:
            os.environ.setdefault(key, value)
    return boto3.client("kinesis", endpoint_url=endpoint_url)


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--endpoint_url")
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--create-stream", action="store_true")
    parser.add_argument("--shards", type=int, default=2)


def run_replay(args: argparse.Namespace) -> dict:
    client = _client(args.endpoint_url)
    if args.create_stream:
        create_stream(client, args.stream, args.shards)
    result = replay(client, args.stream, read_raw_rows(args.raw), args.rate)
    print(json.dumps(result))
    return result


def _wait_for(endpoint: str, seconds: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"moto's server did not start at {endpoint}") from None
            time.sleep(0.2)


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", default=".local/stream-raw")
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--per-branch", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=2200)
    parser.add_argument("--window", type=float, default=10)
    parser.add_argument("--lake", default=".local/lake")
    parser.add_argument("--warehouse_url", default="embedded://.local/warehouse")


def run_demo(args: argparse.Namespace) -> dict:
    """moto's Kinesis on loopback, a 2-shard stream, the replay and the streaming job."""
    import logging
    import threading

    from cafe_etl import generate

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per moto request

    raw = Path(args.raw)
    if not raw.exists():
        generate.generate(raw, args.branches, 1, generate.dt.date(2026, 11, 9), 5, args.per_branch)
    # moto's server in its own process, on loopback: the producer and the server do not
    # share one interpreter's lock, so the replay rate is the producer's, not moto's.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "cafe_etl.moto_kinesis", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    _wait_for(endpoint)
    client = _client(endpoint)
    stream = f"till-transactions-{int(time.time())}"
    create_stream(client, stream, 2)
    checkpoint = tempfile.mkdtemp(prefix="cafe-stream-checkpoint-")
    script = Path(__file__).resolve().parents[2] / "glue_jobs" / "kinesis_stream.py"
    job = subprocess.Popen(
        [
            sys.executable,
            str(script),
            "--JOB_NAME",
            "stream-demo",
            "--stream_name",
            stream,
            "--lake_uri",
            args.lake,
            "--warehouse_url",
            args.warehouse_url,
            "--checkpoint_uri",
            checkpoint,
            "--window_seconds",
            str(args.window),
            "--kinesis_endpoint_url",
            endpoint,
            "--stop_after_idle_seconds",
            str(max(3 * args.window, 20)),
            "--aws_region",
            "eu-west-2",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    # The job saves its checkpoint once it is warm and reading: the tills start then, so
    # the figures are the steady state, not the JVM's start.
    positions = Path(checkpoint) / "positions.json"
    deadline = time.monotonic() + 300
    while not positions.exists():
        if job.poll() is not None or time.monotonic() > deadline:
            server.terminate()
            raise SystemExit("stream-demo: the streaming job did not start")
        time.sleep(0.2)
    result: dict = {}
    producer = threading.Thread(
        target=lambda: result.update(replay(client, stream, read_raw_rows(raw), args.rate)),
        daemon=True,
    )
    producer.start()
    out, _ = job.communicate()
    producer.join()
    server.terminate()
    server.wait(timeout=30)
    if job.returncode != 0:
        raise SystemExit(f"stream-demo: the streaming job failed (exit {job.returncode})")
    summary = json.loads(out.strip().splitlines()[-1])
    target_rate, target_p95 = 2000, 2 * args.window + 5
    arriving = summary["records_per_second_arriving"]
    # Sustained: the job works through records at least as fast as they arrive.
    kept_up = summary["records_per_second_processing"] >= arriving
    report = {
        "producer": result,
        "consumer": summary,
        "target": {"records_per_second": target_rate, "p95_latency_max_seconds": target_p95},
        "figures": {
            "sustained_records_per_second": arriving if kept_up else None,
            "latency_p95_seconds": summary["latency_p95_seconds"],
            "throughput_met": kept_up and arriving >= target_rate,
            "latency_met": (summary["latency_p95_seconds"] or 0) <= target_p95,
        },
    }
    print(json.dumps(report, indent=2))
    return report
