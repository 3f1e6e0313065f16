"""Sample raw till exports: `cafe-etl generate --out DIR --branches N --days D ...`.

Writes one CSV per branch per day under `YYYY/MM/DD/<branch>_DD-MM-YYYY_HH-MM-SS.csv`, in
a mix of every export variant seen in the field (DESIGN.md), with a realistic menu,
opening hours, busier mornings and lunchtimes, weekday/weekend patterns, branches in
towns of every UK region, and a small share of bad rows, duplicates, blank lines, an
empty file and an unreadable file; spreadsheet saves end in padding rows of empty
fields. The same arguments give the same bytes. As in the chain's real exports, some
branches are named after a neighbourhood of their city (`London Soho`), and some tills
capitalise every word of a product (`Hot Chocolate` where the others write `Hot
chocolate`).

`--truth FILE` writes what the pipeline must find, worked out from the generator's own
model (not from the pipeline): valid transactions, duplicates, quarantine reasons,
blank rows, items and revenue.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import random
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from cafe_etl.devtools.menu import (
    BAD_ROW_SHARE,
    BLANK_LINE_SHARE,
    CAPITALISING_TILLS,
    CARD_NETWORKS,
    DUPLICATE_SHARE,
    FIRST_NAMES,
    HOUR_WEIGHTS,
    LAST_NAMES,
    MAX_PADDING_ROWS,
    MENU,
    NEIGHBOURHOODS,
    SPREADSHEET_HEADER,
    SUNDAY_HOURS,
    VARIANTS,
)
from cafe_etl.devtools.truth import Truth
from cafe_etl.reference import towns
from cafe_etl.schema import EARLY_2021, HEADER_ALIASES, LAYOUTS, RAW_FIELDS, ROW_REASONS

SPREADSHEETS = ("spreadsheet", "spreadsheet_uk")
# The header each export variant writes (none: no header).
HEADERS = {
    **{variant: HEADER_ALIASES[variant] for variant in VARIANTS if variant in HEADER_ALIASES},
    "spreadsheet_uk": SPREADSHEET_HEADER,
    "2020_old_names": HEADER_ALIASES["old_system"],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, help="raw folder or s3://bucket/prefix/ to write (S3 key layout)"
    )
    parser.add_argument("--branches", type=int, default=120, help="branches (default: 120)")
    parser.add_argument("--days", type=int, default=3, help="days from --start (default: 3)")
    parser.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 11, 2),
        help="the first day, YYYY-MM-DD (default: 2026-11-02)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    parser.add_argument(
        "--transactions-per-branch-day",
        type=int,
        default=None,
        help="fixed volume per file instead of the busy-ness model (benchmarks)",
    )
    parser.add_argument("--truth", help="write the expected figures as JSON here")


def run(args: argparse.Namespace) -> dict:
    if args.branches < 1 or args.days < 1:
        raise SystemExit("error: --branches and --days must be at least 1")
    stats = generate(
        args.out,
        args.branches,
        args.days,
        args.start,
        args.seed,
        args.transactions_per_branch_day,
        args.truth,
    )
    print(
        f"generated {stats['files']} files, {stats['rows']} rows "
        f"({stats['valid_transactions']} valid transactions) in {stats['seconds']:.1f}s "
        f"under {args.out}",
        file=sys.stderr,
    )
    return stats


def pick_branches(count: int, seed: int) -> list[str]:
    """Distinct branch names, round-robin over the regions so that every region appears.

    A region's neighbourhood branches (`London Soho`) come first, so that even a small
    sample has some; then its towns, shuffled.
    """
    by_region: dict[str, list[str]] = defaultdict(list)
    areas: dict[str, list[str]] = defaultdict(list)
    for town, region in towns():
        by_region[region].append(town)
        areas[region] += [f"{town} {area}" for area in NEIGHBOURHOODS.get(town, ())]
    rng = random.Random(f"branches-{seed}")
    queues = []
    for region in sorted(by_region):
        names = sorted(by_region[region])
        rng.shuffle(names)
        queues.append(names + sorted(areas[region], reverse=True))  # popped from the end
    chosen: list[str] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop())
    if len(chosen) < count:
        raise SystemExit(f"error: only {len(chosen)} branches are known; ask for fewer")
    return chosen


def capitalised(text: str) -> str:
    """A capitalising till's spelling: `Hot chocolate` → `Hot Chocolate`."""
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))


def _money(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def _basket(rng: random.Random, pound_signs: bool, capitals: bool = False, triples: bool = False):
    """(item texts, total in pence, (product, size, flavour) of each item as spelled).

    Items as `[Size ]Product[ - Flavour] - Price`, or as `size,product,price` triples.
    """
    items, total, sold = [], 0, []
    for _ in range(rng.choices((1, 2, 3, 4, 5), (35, 30, 20, 10, 5))[0]):
        product, flavours, sized, regular, large = rng.choice(MENU)
        size = ""
        price = regular
        if sized:
            size = rng.choice(("Regular ", "Large "))
            price = large if size == "Large " else regular
        flavour = rng.choice(flavours) if flavours else ""
        if capitals:
            product, flavour = capitalised(product), capitalised(flavour)
        sign = "£" if pound_signs and rng.random() < 0.3 else ""
        flavour_part = f" - {flavour}" if flavour else ""
        if triples:
            # the old system wrote prices as plain decimals, 2.9 as often as 2.90
            items.append(
                f"{size.strip()},{product}{flavour_part},{_money(price).rstrip('0').rstrip('.')}"
            )
        else:
            items.append(f"{size}{product}{flavour_part} - {sign}{_money(price)}")
        sold.append((product, size.strip(), flavour))
        total += price
    return items, total, sold


def _row(rng: random.Random, branch: str, when: dt.datetime, variant: str, capitals=False):
    """One valid transaction: the seven fields as this export writes them."""
    early = variant == "early_2021"
    items, pence, sold = _basket(
        rng, pound_signs=variant in ("2020", "2020_old_names"), capitals=capitals, triples=early
    )
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    card = rng.random() < 0.6
    number = str(rng.randrange(4 * 10**15, 6 * 10**15)) if card else ""
    payment = "CARD" if card else "CASH"
    if rng.random() < 0.02:
        payment = payment.lower()
    total = _money(pence)
    if variant in SPREADSHEETS:
        total = total.rstrip("0").rstrip(".") if total.endswith("0") else total
        number = f"{int(number) / 10**15:.2f}E+15" if number else ""
    if early:
        number = f"{rng.choice(CARD_NETWORKS)},{number}" if number else "None"
    if variant == "2022":
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    elif early:
        stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    elif variant == "spreadsheet_uk":  # Excel's UK short date: no leading zeros
        stamp = f"{when.day}/{when.month}/{when.year} {when.hour}:{when.minute:02d}"
    else:
        stamp = when.strftime("%d/%m/%Y %H:%M")
    basket = ",".join(items) if early else ", ".join(items)
    return [stamp, branch, name, basket, total, payment, number], sold, pence


def _break(rng: random.Random, fields: list[str], reason: str) -> list[str]:
    """A copy of a good row that breaks exactly `reason` (and no earlier rule)."""
    bad = list(fields)
    if reason == "wrong_field_count":
        return bad[:5]
    if reason == "bad_timestamp":
        bad[0] = rng.choice(("32/13/2026 25:61", "yesterday", "2026/11/02 9am", ""))
    elif reason == "missing_branch":
        bad[1] = ""
    elif reason == "bad_total":
        bad[4] = rng.choice(("N/A", "-2.50", "two pounds", "£"))
    elif reason == "bad_payment_method":
        bad[5] = rng.choice(("VOUCHER", "CHEQUE", ""))
    elif reason == "empty_basket":
        bad[3], bad[4] = "", "0.00"
    elif reason == "bad_item":  # in triples: a fourth part that makes no whole triple
        bad[3] = bad[3] + ("," if " - " not in bad[3] else ", ") + "Mystery muffin"
    elif reason == "total_mismatch":
        bad[4] = _money(int(Decimal(fields[4].split("E")[0]) * 100) + 100)
    return bad


def _file_order(row: list[str], variant: str) -> list[str]:
    """A row in RAW_FIELDS order as its export writes it (the early-2021 field order)."""
    if variant != "early_2021" or len(row) != len(RAW_FIELDS):
        return row
    return [row[RAW_FIELDS.index(name)] for name in LAYOUTS[EARLY_2021].order]


def _write_csv(rows: list[list[str]], variant: str, header: tuple[str, ...] | None) -> bytes:
    out = io.StringIO()
    eol = "\r\n" if variant in (*SPREADSHEETS, "early_2021") else "\n"
    writer = csv.writer(out, lineterminator=eol)
    if header:
        writer.writerow(header)
    for row in rows:
        if not row:
            out.write(eol)
        elif variant == "2021_fixed_width":
            cells = []
            for value, width in zip(row, (17, 20, 22, 90, 7, 5, 17), strict=False):
                text = f'"{value}"' if "," in value or '"' in value else value
                cells.append(text.ljust(width))
            out.write(",".join(cells) + eol)
        else:
            writer.writerow(_file_order(row, variant))
    data = out.getvalue().encode("utf-8")
    bom = variant in SPREADSHEETS
    return b"\xef\xbb\xbf" + data if bom else data


def generate(
    out_dir: str | Path,
    branches: int,
    days: int,
    start: dt.date,
    seed: int,
    transactions_per_branch_day: int | None = None,
    truth_path: str | Path | None = None,
) -> dict:
    started = time.monotonic()
    out = Path(out_dir)
    names = pick_branches(branches, seed)
    truth = Truth()
    total_files = branches * days
    # With enough files, one is empty and one is unreadable (deterministic positions).
    empty_at = total_files // 3 if total_files >= 30 else -1
    broken_at = (2 * total_files) // 3 if total_files >= 30 else -1
    index = 0
    for d in range(days):
        day = start + dt.timedelta(days=d)
        weekday = day.weekday()
        for b, branch in enumerate(names):
            rng = random.Random(f"{seed}-{day.isoformat()}-{branch}")
            variant = VARIANTS[(b + d + seed) % len(VARIANTS)]
            exported = f"{rng.randint(18, 20):02d}-{rng.randrange(60):02d}-{rng.randrange(60):02d}"
            key = f"{day:%Y/%m/%d}/{branch}_{day:%d-%m-%Y}_{exported}.csv"
            path = out / key
            path.parent.mkdir(parents=True, exist_ok=True)
            truth.files += 1
            if index == empty_at:
                path.write_bytes(b"")
                truth.empty += 1
                index += 1
                continue
            if index == broken_at:
                path.write_bytes(b"PK\x03\x04\x00\x00" + rng.randbytes(2048) + b"\x00" * 64)
                truth.unreadable += 1
                index += 1
                continue
            index += 1
            truth.start_file(key, variant)
            capitals = b % CAPITALISING_TILLS == 1
            rows = _branch_day(
                rng, branch, day, weekday, variant, transactions_per_branch_day, truth, capitals
            )
            if variant in SPREADSHEETS:  # a spreadsheet pads its save with empty rows
                padding = random.Random(f"{seed}-{key}-padding").randint(1, MAX_PADDING_ROWS)
                rows += [[""] * len(RAW_FIELDS)] * padding
                truth.blank(padding)
            path.write_bytes(_write_csv(rows, variant, HEADERS.get(variant)))
    stats = truth.as_json()
    stats["seconds"] = round(time.monotonic() - started, 2)
    stats["branches"] = names
    if truth_path:
        Path(truth_path).write_text(json.dumps(truth.as_json(), indent=2) + "\n")
    return stats


def _branch_day(
    rng, branch, day, weekday, variant, fixed, truth, capitals=False
) -> list[list[str]]:
    if fixed is not None:
        volume = fixed
    else:
        size = 0.6 + (int(hashlib.md5(branch.encode()).hexdigest(), 16) % 80) / 100
        day_factor = {5: 1.15, 6: 0.7}.get(weekday, 1.0)
        volume = int(500 * size * day_factor * rng.uniform(0.9, 1.1))
    hours = list(SUNDAY_HOURS) if weekday == 6 else list(HOUR_WEIGHTS)
    weights = [HOUR_WEIGHTS.get(h, 6) for h in hours]
    stamps = sorted(
        dt.datetime.combine(
            day, dt.time(rng.choices(hours, weights)[0], rng.randrange(60), rng.randrange(60))
        )
        for _ in range(volume)
    )
    rows: list[list[str]] = []
    for when in stamps:
        fields, sold, pence = _row(rng, branch, when, variant, capitals)
        roll = rng.random()
        if roll < BAD_ROW_SHARE:
            reason = rng.choice(ROW_REASONS)
            rows.append(_break(rng, fields, reason))
            truth.bad(reason)
            continue
        rows.append(fields)
        truth.valid(fields, branch, day, sold, pence)
        if roll < BAD_ROW_SHARE + DUPLICATE_SHARE:
            rows.append(list(fields))
            truth.valid(fields, branch, day, sold, pence)
        if rng.random() < BLANK_LINE_SHARE:
            rows.append([])
            truth.blank()
    return rows
