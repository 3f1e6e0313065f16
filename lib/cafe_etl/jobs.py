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
from dataclasses import dataclass
from pathlib import Path

from cafe_etl.errors import UsageError, scrub
from cafe_etl.pipeline import parse_lookback, parse_today, run_batch
from cafe_etl.raw import day_prefixes
from cafe_etl.runtime import build_runtime, parse_job_args, setup_logging, spark_conf_args
from cafe_etl.stream import parse_load_interval, parse_stop_at, run_stream
from cafe_etl.warehouse import check_url, prestart

log = logging.getLogger("cafe_etl.job")


@dataclass(frozen=True)
class JobSpec:
    """A job's arguments, declared here once: its script (glue_jobs/), the Terraform
    wiring tests and the README read them from here."""

    name: str  # the script's name under glue_jobs/ and the Glue job's command
    required: tuple[str, ...]
    optional: Mapping[str, str | None]  # name -> default (None: absent)


# The nightly job (Glue's glueetl command).
NIGHTLY = JobSpec(
    name="nightly_batch",
    required=("JOB_NAME", "raw_uri", "lake_uri", "warehouse_url"),
    optional={
        "process_date": "yesterday",
        "hash_salt_secret_id": None,
        "hash_salt": None,
        "redshift_copy_role_arn": None,
        "lookback_days": "7",
        "today": None,
        "reference_uri": None,
    },
)

# The streaming job (Glue's gluestreaming command).
STREAM = JobSpec(
    name="kinesis_stream",
    required=("JOB_NAME", "stream_name", "lake_uri", "warehouse_url", "checkpoint_uri"),
    optional={
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
        # Load the warehouse at most this often, 0 = after every batch (stream/loads.py).
        "load_interval_seconds": "900",
        # HH:MM, Europe/London: end the run after closing (absent: run until stopped).
        "stop_at": None,
    },
)


GLUE_JOBS = Path(__file__).resolve().parents[2] / "glue_jobs"
NIGHTLY_SCRIPT = GLUE_JOBS / f"{NIGHTLY.name}.py"


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
    check_url(args["warehouse_url"])
    day_prefixes(args.get("process_date"), parse_today(args.get("today")))
    parse_lookback(args.get("lookback_days"))


def nightly(argv: Sequence[str]) -> int:
    """glue_jobs/nightly_batch.py: the nightly job's command line → exit status."""
    return run_job(argv, NIGHTLY.required, NIGHTLY.optional, run_batch, check_nightly_args)


def check_stream_args(args: dict) -> None:
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
    parse_load_interval(args.get("load_interval_seconds"))
    parse_stop_at(args.get("stop_at"))


def stream(argv: Sequence[str]) -> int:
    """glue_jobs/kinesis_stream.py: the streaming job's command line → exit status."""
    return run_job(argv, STREAM.required, STREAM.optional, run_stream, check_stream_args)
