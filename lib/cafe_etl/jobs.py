"""What every job script does around its pipeline: arguments, runtime, exit status.

A job's last stdout line is its run summary as one JSON object. Progress and errors go
to stderr. A user's mistake (UsageError) is one clear line and exit status 2; anything
else is logged with its traceback and exit status 1.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cafe_etl.runtime import (
    UsageError,
    build_runtime,
    parse_job_args,
    setup_logging,
    spark_conf_args,
)
from cafe_etl.warehouse import prestart

log = logging.getLogger("cafe_etl.job")

# The nightly job's arguments. glue_jobs/nightly_batch.py declares the same literals
# (Terraform's wiring tests read them there); tests/test_jobs.py keeps the two equal.
NIGHTLY_REQUIRED_ARGS = ("JOB_NAME", "raw_uri", "lake_uri", "warehouse_url")
NIGHTLY_OPTIONAL_ARGS = {
    "process_date": "yesterday",
    "hash_salt_secret_id": None,
    "hash_salt": None,
    "redshift_copy_role_arn": None,
    "lookback_days": "7",
    "today": None,
    "reference_uri": None,
}


# The streaming job's arguments; glue_jobs/kinesis_stream.py declares the same literals.
STREAM_REQUIRED_ARGS = ("JOB_NAME", "stream_name", "lake_uri", "warehouse_url", "checkpoint_uri")
STREAM_OPTIONAL_ARGS = {
    "window_seconds": "30",
    "kinesis_endpoint_url": None,
    "stop_after_idle_seconds": None,
    "starting_position": "TRIM_HORIZON",
    "hash_salt_secret_id": None,
    "hash_salt": None,
    "redshift_copy_role_arn": None,
    "aws_region": None,
    "stream_arn": None,
    "reference_uri": None,
}


NIGHTLY_SCRIPT = Path(__file__).resolve().parents[2] / "glue_jobs" / "nightly_batch.py"


def nightly_argv(raw_uri: str, lake_uri: str, warehouse_url: str, job_name: str, salt: str):
    """The command line of a local nightly run over every day under raw_uri."""
    return [
        sys.executable,
        str(NIGHTLY_SCRIPT),
        "--JOB_NAME",
        job_name,
        "--raw_uri",
        raw_uri,
        "--lake_uri",
        lake_uri,
        "--warehouse_url",
        warehouse_url,
        "--process_date",
        "all",
        "--hash_salt",
        salt,
    ]


def scrub(text: str) -> str:
    """Mask card-number-like digit runs in a message before it is logged."""
    from cafe_etl.scanner import CARD_PATTERN

    return CARD_PATTERN.sub("[redacted]", text)


def run_job(
    argv: Sequence[str],
    required: Sequence[str],
    optional: Mapping[str, str | None],
    body: Callable[..., dict],
    check: Callable[[dict], None] | None = None,
) -> int:
    setup_logging()
    runtime = None
    try:
        args = parse_job_args(argv, required, optional)
        conf = spark_conf_args(argv)
        if check is not None:
            check(args)  # before the JVM starts: a typo costs a second, not a minute
        prestart(args.get("warehouse_url"))
        runtime = build_runtime(args["JOB_NAME"], args, conf)
        summary = body(runtime, args)
        runtime.commit()
    except UsageError as exc:
        print(f"error: {scrub(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        log.error("job failed: %s", scrub(f"{type(exc).__name__}: {exc}")[:2000])
        if runtime is not None and runtime.on_glue:
            # On Glue the log is all there is to read afterwards: the traceback, scrubbed.
            log.error("traceback:\n%s", scrub(traceback.format_exc())[-20000:])
        else:
            log.debug("traceback", exc_info=True)
        return 1
    sys.stdout.write(json.dumps(summary, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()
    return 0


def check_nightly_args(args: dict) -> None:
    from cafe_etl.pipeline import parse_lookback, parse_today
    from cafe_etl.raw import day_prefixes
    from cafe_etl.warehouse import check_url

    check_url(args["warehouse_url"])
    day_prefixes(args.get("process_date"), parse_today(args.get("today")))
    parse_lookback(args.get("lookback_days"))


def nightly(argv: Sequence[str]) -> int:
    from cafe_etl.pipeline import run_batch

    return run_job(
        argv, NIGHTLY_REQUIRED_ARGS, NIGHTLY_OPTIONAL_ARGS, run_batch, check_nightly_args
    )


def check_stream_args(args: dict) -> None:
    from cafe_etl.warehouse import check_url

    check_url(args["warehouse_url"])
    for name in ("window_seconds", "stop_after_idle_seconds"):
        value = args.get(name)
        if value is not None:
            try:
                if float(value) <= 0:
                    raise ValueError
            except ValueError:
                raise UsageError(f"--{name} must be a positive number of seconds") from None
    if (args.get("starting_position") or "TRIM_HORIZON") not in ("TRIM_HORIZON", "LATEST"):
        raise UsageError("--starting_position must be TRIM_HORIZON or LATEST")


def stream(argv: Sequence[str]) -> int:
    from cafe_etl.stream import run_stream

    return run_job(argv, STREAM_REQUIRED_ARGS, STREAM_OPTIONAL_ARGS, run_stream, check_stream_args)
