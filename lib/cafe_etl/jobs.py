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
from collections.abc import Callable, Sequence
from pathlib import Path

from cafe_etl.errors import UsageError, scrub
from cafe_etl.job_args import NIGHTLY, STREAM, JobSpec, wants_help
from cafe_etl.pipeline import parse_lookback, parse_today, plan_batch, run_batch
from cafe_etl.raw import day_prefixes
from cafe_etl.runtime import build_runtime, parse_job_args, setup_logging, spark_conf_args
from cafe_etl.stream import parse_load_interval, parse_stop_at, run_stream
from cafe_etl.warehouse import check_url, prestart

log = logging.getLogger("cafe_etl.job")


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
    spec: JobSpec,
    body: Callable[..., dict],
    check: Callable[[dict], None] | None = None,
) -> int:
    if wants_help(list(argv)):
        sys.stdout.write(spec.help_text(Path(argv[0]).name if argv else spec.name))
        return 0
    setup_logging()
    runtime = None
    try:
        args = parse_job_args(argv, spec.required, spec.optional)
        conf = spark_conf_args(argv)
        if check is not None:
            check(args)  # before the JVM starts: a typo costs a second, not a minute
        if not dry_run(args):  # a dry run starts no warehouse, so it creates none
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


def dry_run(args: dict) -> bool:
    """--dry_run true|false (Glue's job arguments all take a value)."""
    value = (args.get("dry_run") or "false").strip().lower()
    if value not in ("true", "false"):
        raise UsageError(f"--dry_run {args.get('dry_run')!r} must be true or false")
    return value == "true"


def check_nightly_args(args: dict) -> None:
    check_url(args["warehouse_url"])
    dry_run(args)
    day_prefixes(args.get("process_date"), parse_today(args.get("today")))
    parse_lookback(args.get("lookback_days"))


def nightly(argv: Sequence[str]) -> int:
    """glue_jobs/nightly_batch.py: the nightly job's command line → exit status."""
    return run_job(argv, NIGHTLY, _nightly_body, check_nightly_args)


def _nightly_body(runtime, args: dict) -> dict:
    return plan_batch(runtime, args) if dry_run(args) else run_batch(runtime, args)


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
    return run_job(argv, STREAM, run_stream, check_stream_args)
