"""`cafe-etl`: the project's command line.

cafe-etl generate --out DIR [--branches N --days D --start YYYY-MM-DD --seed S]
cafe-etl batch --raw_uri URI --lake_uri URI --warehouse_url URL [--process_date ...]
cafe-etl query --warehouse_url URL "SQL"
cafe-etl trends --warehouse_url URL
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence

from cafe_etl.errors import UsageError

# Each subcommand imports its own tools when it is chosen (ruff's PLC0415 is off here):
# `cafe-etl query` or `--help` need no Spark, moto or DuckDB, and a wheel without the
# dev tools still answers the subcommands it has.

DEFAULT_JOB_NAME = "cafe-etl-nightly-local"


def _stream(argv: Sequence[str]) -> int:
    from cafe_etl import jobs

    argv = list(argv)
    if "--JOB_NAME" not in argv:
        argv += ["--JOB_NAME", "cafe-etl-stream-local"]
    return jobs.stream(["cafe-etl stream", *argv])


def _replay(args: argparse.Namespace) -> int:
    from cafe_etl.devtools import replay

    replay.run_replay(args)
    return 0


def _stream_demo(args: argparse.Namespace) -> int:
    from cafe_etl.devtools import stream_demo

    stream_demo.run_demo(args)
    return 0


def _batch(argv: Sequence[str]) -> int:
    from cafe_etl import jobs

    argv = list(argv)
    if "--JOB_NAME" not in argv:
        argv += ["--JOB_NAME", DEFAULT_JOB_NAME]
    return jobs.nightly(["cafe-etl batch", *argv])


def _generate(args: argparse.Namespace) -> int:
    from cafe_etl.devtools import generate

    generate.run(args)
    return 0


def _query(args: argparse.Namespace) -> int:
    from cafe_etl.warehouse import open_warehouse

    columns, rows = open_warehouse(args.warehouse_url).query(args.sql)
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


def format_table(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    cells = [[str(c) for c in columns]] + [[str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _trends(args: argparse.Namespace) -> int:
    from cafe_etl.warehouse import open_warehouse

    warehouse = open_warehouse(args.warehouse_url)
    for title, statement in TRENDS.items():
        columns, rows = warehouse.query(statement)
        print(f"\n{title}\n{format_table(columns, rows)}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cafe-etl", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a sample raw dataset in the S3 key layout")
    from cafe_etl.devtools import generate

    generate.add_arguments(gen)
    gen.set_defaults(func=_generate)

    sub.add_parser(
        "batch",
        help="run the nightly job locally (same options as glue_jobs/nightly_batch.py)",
        add_help=False,
    )

    sub.add_parser(
        "stream",
        help="run the streaming job locally (same options as glue_jobs/kinesis_stream.py)",
        add_help=False,
    )
    from cafe_etl.devtools import replay, stream_demo

    replay_parser = sub.add_parser("replay", help="send raw rows to a Kinesis stream")
    replay.add_replay_arguments(replay_parser)
    replay_parser.set_defaults(func=_replay)
    demo = sub.add_parser("stream-demo", help="moto Kinesis + replay + streaming job")
    stream_demo.add_demo_arguments(demo)
    demo.set_defaults(func=_stream_demo)

    query = sub.add_parser("query", help="run SQL on the warehouse, print CSV with a header")
    query.add_argument("--warehouse_url", required=True)
    query.add_argument("sql")
    query.set_defaults(func=_query)

    scan = sub.add_parser(
        "scan-pii", help="look for card numbers and customer names in lake, warehouse, logs"
    )
    scan.add_argument("--lake_uri")
    scan.add_argument("--warehouse_url")
    scan.add_argument("--raw_uri", help="raw folder whose customer names are looked for")
    scan.add_argument("--name", action="append", help="a full name to look for (repeatable)")
    scan.add_argument("--log", action="append", help="a log file to scan (repeatable)")
    scan.set_defaults(func=_scan_pii)

    bench_parser = sub.add_parser("bench", help="time the nightly job on a generated dataset")
    from cafe_etl.devtools import bench

    bench.add_arguments(bench_parser)
    bench_parser.set_defaults(func=_bench)

    report_parser = sub.add_parser("report", help="write the trends report as one HTML file")
    from cafe_etl import report

    report.add_arguments(report_parser)
    report_parser.set_defaults(func=report.run)

    trends = sub.add_parser("trends", help="print top branches and revenue by region")
    trends.add_argument("--warehouse_url", required=True)
    trends.set_defaults(func=_trends)

    from cafe_etl import cost

    cost_parser = sub.add_parser("cost", help="the deployment's daily and monthly cost table")
    cost.add_arguments(cost_parser)
    cost_parser.set_defaults(func=cost.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["batch"]:
        return _batch(argv[1:])
    if argv[:1] == ["stream"]:
        return _stream(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
