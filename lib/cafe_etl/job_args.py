"""The Glue jobs' own arguments, declared once: each one's default and help text.

The job scripts (glue_jobs/), `cafe-etl batch|stream`, their `--help`, the Terraform wiring
tests and the docs read them from here. Glue passes job arguments as `--name value` pairs
and its own parameters use dashes or capitals, so ours are `--snake_case` and always take
a value. No Spark and no Glue library here: `cafe-etl batch --help` answers from the Glue
wheel alone.

Bottom layer: imports nothing of the project.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass

# The exit statuses of every command (the jobs and `cafe-etl`), written once: the CLI's
# epilog, each job's --help and the docs show this text.
EXIT_STATUS = """exit status:
  0    success (a job's last stdout line is its run summary as JSON)
  1    the run failed (its error is logged on stderr); scan-pii: personal data found
  2    a usage error: a bad or missing argument, path or URL, or a library this
       install lacks (one line on stderr)
  130  interrupted (Ctrl-C)"""

HELP_FLAGS = frozenset({"-h", "--help"})

WAREHOUSE_URL_HELP = "redshift://WORKGROUP/DATABASE, postgresql://USER@HOST/DB or embedded://DIR"


def kebab_option(parser: argparse.ArgumentParser, name: str, **kwargs) -> argparse.Action:
    """A laptop command's `--kebab-case` option, its `--snake_case` spelling kept as an
    alias (cafe_etl.cli's help shows the kebab-case name only)."""
    snake = "--" + name[2:].replace("-", "_")
    return parser.add_argument(name, *([snake] if snake != name else []), **kwargs)


@dataclass(frozen=True)
class Arg:
    """One job argument: a new argument is one entry in a JobSpec's `args`."""

    help: str
    default: str | None = None  # None: absent unless given
    required: bool = False
    metavar: str | None = None


def required(help: str, metavar: str | None = None) -> Arg:
    return Arg(help, required=True, metavar=metavar)


@dataclass(frozen=True)
class JobSpec:
    """A Glue job's script (glue_jobs/<name>.py and the Glue job's command) and arguments."""

    name: str
    description: str
    args: Mapping[str, Arg]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(n for n, a in self.args.items() if a.required)

    @property
    def optional(self) -> dict[str, str | None]:
        """name -> default (None: absent), for parse_job_args."""
        return {n: a.default for n, a in self.args.items() if not a.required}

    def help_text(self, prog: str) -> str:
        """What `--help` prints: argparse's layout of the arguments above. Only for the
        text: the job itself reads its arguments as Glue does (getResolvedOptions)."""
        parser = argparse.ArgumentParser(
            prog=prog,
            description=textwrap.fill(self.description, 78),
            epilog=EXIT_STATUS,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            add_help=False,
        )
        parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
        for title, wanted in (("required arguments", True), ("optional arguments", False)):
            group = parser.add_argument_group(title)
            for name, arg in self.args.items():
                if arg.required == wanted:
                    default = f" (default: {arg.default})" if arg.default is not None else ""
                    group.add_argument(
                        f"--{name}", metavar=arg.metavar, required=wanted, help=arg.help + default
                    )
        return parser.format_help()


def wants_help(argv: list[str] | tuple[str, ...]) -> bool:
    return bool(HELP_FLAGS & set(argv[1:]))


_SALT_AND_COPY_ROLE = {
    "hash_salt_secret_id": Arg(
        "Secrets Manager secret holding the salt of customer keys (on Glue)", metavar="ID"
    ),
    "hash_salt": Arg(
        "the salt itself, for local runs (a fixed development salt if neither is given)",
        metavar="TEXT",
    ),
    "redshift_copy_role_arn": Arg(
        "IAM role Redshift assumes to COPY the lake (redshift:// warehouses)", metavar="ARN"
    ),
}
_REFERENCE = Arg("branch-to-region CSV (default: the one shipped in the package)", metavar="URI")
# Both jobs' destinations (Terraform's glue_common_arguments passes them to each).
_LAKE = required("the Parquet lake: s3://bucket/lake/ or a folder", "URI")
_WAREHOUSE = required(WAREHOUSE_URL_HELP, "URL")

# The nightly job (Glue's glueetl command).
NIGHTLY = JobSpec(
    name="nightly_batch",
    description=(
        "The nightly batch job: raw till CSVs of a day, a range of days or every day -> "
        "Parquet lake -> warehouse."
    ),
    args={
        "JOB_NAME": required("the Glue job's name (cafe-etl batch gives a local one)"),
        "raw_uri": required("the raw zone: s3://bucket/raw/ or a folder", "URI"),
        "lake_uri": _LAKE,
        "warehouse_url": _WAREHOUSE,
        "process_date": Arg(
            "the days to process: YYYY-MM-DD; FIRST..LAST, an inclusive range (a backfill "
            "in one run); all; or yesterday, the schedule's, which also takes up late and "
            "re-sent files of the --lookback_days before",
            default="yesterday",
            metavar="DAYS",
        ),
        **_SALT_AND_COPY_ROLE,
        "lookback_days": Arg(
            "with yesterday: how many earlier days are checked for late or re-sent files",
            default="7",
            metavar="N",
        ),
        "today": Arg(
            "the date `yesterday` is relative to (default: today, UTC)", metavar="YYYY-MM-DD"
        ),
        "reference_uri": _REFERENCE,
        "dry_run": Arg(
            "true: list the days and files the run would read (new, late, re-sent) as the "
            "run summary, and write nothing (cafe-etl batch --dry-run)",
            default="false",
            metavar="true|false",
        ),
    },
)

# The streaming job (Glue's gluestreaming command).
STREAM = JobSpec(
    name="kinesis_stream",
    description=(
        "The streaming job: Kinesis till records -> micro-batches -> Parquet lake -> warehouse."
    ),
    args={
        "JOB_NAME": required("the Glue job's name (cafe-etl stream gives a local one)"),
        "stream_name": required("the Kinesis data stream's name", "NAME"),
        "lake_uri": _LAKE,
        "warehouse_url": _WAREHOUSE,
        "checkpoint_uri": required("where the job keeps its stream positions", "URI"),
        "window_seconds": Arg("seconds per micro-batch", default="30", metavar="N"),
        "kinesis_endpoint_url": Arg(
            "read Kinesis at this endpoint with boto3 (a local moto server) instead of "
            "Glue's Kinesis source",
            metavar="URL",
        ),
        "stop_after_idle_seconds": Arg(
            "stop after this many seconds without a record (local runs and tests)", metavar="N"
        ),
        "starting_position": Arg(
            "where a stream without a checkpoint starts: TRIM_HORIZON or LATEST",
            default="TRIM_HORIZON",
        ),
        **_SALT_AND_COPY_ROLE,
        "aws_region": Arg("the AWS region of the stream and the warehouse", metavar="REGION"),
        "stream_arn": Arg("the stream's ARN (Glue's Kinesis source names it so)", metavar="ARN"),
        "reference_uri": _REFERENCE,
        "load_interval_seconds": Arg(
            "seconds between warehouse loads; 0 loads after every micro-batch",
            default="900",
            metavar="N",
        ),
        "stop_at": Arg(
            "stop at this local time, Europe/London (default: run until stopped)",
            metavar="HH:MM",
        ),
    },
)
