"""`make stream`: moto's Kinesis on loopback, the replay, and the streaming job, measured.

    cafe-etl stream-demo [--branches N --per-branch N --rate R --window S]

Prints the producer's and the consumer's figures (records per second, latency p50/p95)
beside the targets, and the lake's and the warehouse's freshness apart: the job writes
the lake every window and loads the warehouse at most every --load-interval seconds
(the deployment's default is 900; the demo's run is shorter) and when it stops.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cafe_etl.devtools import generate, moto_kinesis
from cafe_etl.devtools.replay import create_stream, kinesis_client, read_raw_rows, replay
from cafe_etl.schema import LAKE_TRANSACTIONS


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw", default=".local/stream-raw", help="where the generated rows are written"
    )
    parser.add_argument("--branches", type=int, default=40, help="branches to generate")
    parser.add_argument("--per-branch", type=int, default=1500, help="transactions per branch")
    parser.add_argument("--rate", type=float, default=2200, help="records sent per second")
    parser.add_argument("--window", type=float, default=10, help="seconds per micro-batch")
    parser.add_argument(
        "--load-interval",
        type=int,
        default=30,
        help="load the warehouse at most every N seconds (0: after every batch)",
    )
    parser.add_argument("--shards", type=_shard_count, default=2, help="the stream's shards")
    parser.add_argument("--lake", default=".local/stream-demo/lake", help="an empty lake")
    parser.add_argument(
        "--warehouse-url",
        "--warehouse_url",
        default="embedded://.local/stream-demo/warehouse",
        help="the warehouse to load",
    )


def _shard_count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of shards, 1 or more")
    return int(value)


def refuse_a_used_lake(lake_path: str) -> None:
    """The demo times writing and loading every record; the stream job skips the
    transactions its lake already holds (micro_batch._write_lake), so a second run into
    the same lake would write and load nothing and report a rate it never did."""
    used = list(Path(lake_path, LAKE_TRANSACTIONS).rglob("*.parquet"))
    if used:
        raise SystemExit(
            f"stream-demo: {lake_path} already holds transactions ({len(used)} Parquet "
            "files), which the stream would not write or load again: its figures would "
            "leave that work out. Give it an empty lake (make stream empties its own, "
            ".local/stream-demo)."
        )


def run_demo(args: argparse.Namespace) -> dict:
    """moto's Kinesis on loopback, a stream of --shards shards, the replay and the streaming job."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per moto request
    refuse_a_used_lake(args.lake)
    raw = Path(args.raw)
    if not raw.exists():
        generate.generate(raw, args.branches, 1, dt.date(2026, 11, 9), 5, args.per_branch)
    # moto's server in its own process, on loopback: the producer and the server do not
    # share one interpreter's lock, so the replay rate is the producer's, not moto's.
    server, endpoint = moto_kinesis.start_server()
    client = kinesis_client(endpoint)
    stream = f"till-transactions-{int(time.time())}"
    create_stream(client, stream, args.shards)
    checkpoint = tempfile.mkdtemp(prefix="cafe-stream-checkpoint-")
    script = Path(__file__).resolve().parents[3] / "glue_jobs" / "kinesis_stream.py"
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
            "--load_interval_seconds",
            str(args.load_interval),
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
            # How long records waited to be in the lake, and in the warehouse (apart).
            "lake_freshness_max_seconds": summary["lake_freshness_max_seconds"],
            "warehouse_freshness_max_seconds": summary["warehouse_freshness_max_seconds"],
            "warehouse_loads": summary["warehouse_loads"],
            "load_interval_seconds": summary["load_interval_seconds"],
        },
    }
    print(json.dumps(report, indent=2))
    return report
