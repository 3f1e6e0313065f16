"""What the deployment costs a day and a month: `cafe-etl cost [--tfvars FILE] [--json]`.

The figures follow from the Terraform variables' values (defaults read from
terraform/variables.tf, overrides from a tfvars file), a few workload assumptions (named in
model.py, each with its reason) and AWS list prices (prices.py: each a named constant with
its page, the Region it was read for and the date). Every billable resource terraform/
creates has a line, free ones included with the reason they cost nothing, so a new resource
without a line is visible in review.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cafe_etl.cost.model import (
    MODEL_VARIABLES,
    Estimate,
    Line,
    estimate,
    redshift_busy_hours,
    runs_per_day,
    stream_hours,
    stream_loads,
)
from cafe_etl.cost.prices import DAYS_PER_MONTH, USD_TO_GBP
from cafe_etl.cost.terraform import TERRAFORM_DIR, alarm_count, terraform_defaults, tfvars

__all__ = [
    "MODEL_VARIABLES",
    "Estimate",
    "Line",
    "add_arguments",
    "alarm_count",
    "as_json",
    "estimate",
    "format_table",
    "redshift_busy_hours",
    "run",
    "runs_per_day",
    "stream_hours",
    "stream_loads",
    "terraform_defaults",
    "tfvars",
]


def format_table(result: Estimate) -> str:
    rate = result.usd_to_gbp
    width = max(len(line.item) for line in result.lines)
    usage = max(len(line.usage) for line in result.lines)
    rows = [
        f"{'Item':<{width}}  {'Usage a day':<{usage}}  {'USD/day':>8}  {'£/day':>7}  {'£/month':>8}"
    ]
    for line in result.lines:
        gbp = line.usd_per_day * rate
        rows.append(
            f"{line.item:<{width}}  {line.usage:<{usage}}  {line.usd_per_day:>8.3f}  "
            f"{gbp:>7.2f}  {gbp * DAYS_PER_MONTH:>8.2f}"
        )
    rows.append(
        f"{'Total':<{width}}  {'':<{usage}}  {result.usd_per_day:>8.3f}  "
        f"{result.gbp_per_day:>7.2f}  {result.gbp_per_month:>8.2f}"
    )
    values = result.values
    if result.warehouse_lag_minutes is None:
        freshness = "no stream: the warehouse is loaded by the nightly batch only"
    else:
        freshness = (
            f"warehouse at most {result.warehouse_lag_minutes:g} min behind in trading hours "
            f"(window {values['streaming_window_seconds']} s + load interval "
            f"{values['streaming_load_interval_seconds']} s)"
        )
    rows += [
        "",
        f"Total: £{result.gbp_per_day:.2f} a day, £{result.gbp_per_month:.2f} a month "
        f"(1 USD = {rate} GBP, AWS list prices).",
        f"Trading {values['trading_open']}-{values['trading_close']} London; {freshness}; "
        f"Redshift {result.redshift_rpu_hours_per_day:.2f} RPU-hours a day.",
    ]
    return "\n".join(rows)


def as_json(result: Estimate) -> dict[str, Any]:
    return {
        "gbp_per_day": round(result.gbp_per_day, 2),
        "gbp_per_month": round(result.gbp_per_month, 2),
        "usd_per_day": round(result.usd_per_day, 4),
        "usd_to_gbp": result.usd_to_gbp,
        "warehouse_lag_minutes": result.warehouse_lag_minutes,
        "redshift_rpu_hours_per_day": round(result.redshift_rpu_hours_per_day, 3),
        "lines": [asdict(line) for line in result.lines],
        "variables": result.values,
    }


# ---------------------------------------------------------------------------------------
# The subcommand
# ---------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tfvars",
        type=Path,
        default=None,
        help="a .tfvars file whose values override the defaults",
    )
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    parser.add_argument(
        "--usd-gbp",
        "--usd_gbp",
        dest="usd_gbp",
        type=float,
        default=USD_TO_GBP,
        help=f"GBP per USD (default {USD_TO_GBP}, an assumed rate)",
    )
    parser.add_argument(
        "--terraform-dir",
        type=Path,
        default=TERRAFORM_DIR,
        metavar="DIR",
        help="the Terraform folder whose variables.tf gives the defaults "
        "(default: the repository's terraform/)",
    )


def run(args: argparse.Namespace) -> int:
    values = terraform_defaults(args.terraform_dir)
    if args.tfvars is not None:
        values.update(tfvars(args.tfvars))
    result = estimate(values, args.usd_gbp, args.terraform_dir)
    print(json.dumps(as_json(result), indent=2) if args.json else format_table(result))
    return 0
