"""Sample raw till exports: `cafe-etl generate --out DIR --branches N --days D ...`.

Writes one CSV per branch per day under `YYYY/MM/DD/<branch>_DD-MM-YYYY_HH-MM-SS.csv`, in
a mix of every export variant seen in the field (DESIGN.md), with a realistic menu,
opening hours, busier mornings and lunchtimes, weekday/weekend patterns, branches in
towns of every UK region, and a small share of bad rows, duplicates, blank lines, an
empty file and an unreadable file. The same arguments give the same bytes. As in the
chain's real exports, some branches are named after a neighbourhood of their city
(`London Soho`), and some tills capitalise every word of a product (`Hot Chocolate`
where the others write `Hot chocolate`).

`--truth FILE` writes what the pipeline must find, worked out from the generator's own
model (not from the pipeline): valid transactions, duplicates, quarantine reasons,
items and revenue.
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
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from cafe_etl.reference import towns
from cafe_etl.schema import EARLY_2021, HEADER_ALIASES, LAYOUTS, RAW_FIELDS, ROW_REASONS

# (product, flavours, sized, regular price in pence, large price in pence)
MENU: tuple[tuple[str, tuple[str, ...], bool, int, int], ...] = (
    ("Latte", (), True, 215, 245),
    ("Flat white", (), True, 215, 245),
    ("Cappuccino", (), True, 215, 245),
    ("Americano", (), True, 195, 225),
    ("Mocha", (), True, 230, 270),
    ("Hot chocolate", (), True, 140, 170),
    ("Chai latte", (), True, 230, 260),
    ("Filter coffee", (), True, 150, 180),
    ("Flavoured latte", ("Vanilla", "Caramel", "Hazelnut"), True, 255, 285),
    ("Flavoured iced latte", ("Vanilla", "Caramel", "Hazelnut"), True, 275, 325),
    ("Frappes", ("Coffee", "Chocolate Cookie", "Strawberries & Cream"), True, 275, 325),
    ("Speciality Tea", ("Peppermint", "Darjeeling", "English breakfast", "Fruit"), False, 130, 0),
    ("Smoothies", ("Berry Beautiful", "Carrot Kick", "Glowing Greens"), False, 200, 0),
    ("Cortado", (), False, 205, 0),
    ("Espresso", (), False, 150, 0),
    ("Glass of milk", (), False, 70, 0),
)
FIRST_NAMES = (
    "Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Leo "
    "Alfie Henry Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Freya "
    "Chloe Priya Aisha Siobhan Cerys Eilidh Niamh Tomasz Chen Olu Maria Rhys Callum Fiona"
).split()
LAST_NAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Murphy Campbell Kelly "
    "MacDonald Hughes Edwards Lewis Morgan Singh Begum Nowak Okafor Wei Garcia Reid Byrne"
).split()
VARIANTS = (
    "2020",
    "2021",
    "2021_fixed_width",
    "spreadsheet",
    "2022",
    # A spreadsheet re-save with UK short dates (`8/8/2026 9:05`), a header in human words
    # with leading spaces, E-notation cards, BOM and CRLF.
    "spreadsheet_uk",
    # The early-2021 layout (schema.LAYOUTS "early_2021"): CRLF, ISO with seconds, basket
    # as `size,product,price` triples, payment before total, card `"<network>,<number>"`.
    "early_2021",
)
SPREADSHEET_HEADER = ("time", " branch", " name", " basket", " total", " payment", " card")
CARD_NETWORKS = ("visa", "mastercard", "americanexpress", "discover")
# Share of transactions per opening hour (weekday), mornings and lunch busiest.
HOUR_WEIGHTS = {7: 6, 8: 14, 9: 13, 10: 9, 11: 8, 12: 12, 13: 11, 14: 7, 15: 7, 16: 6, 17: 5}
SUNDAY_HOURS = range(9, 16)
BAD_ROW_SHARE = 0.01
DUPLICATE_SHARE = 0.005
BLANK_LINE_SHARE = 0.003
# Branches named `<City> <Area>`, as the chain names them; each resolves through its city.
NEIGHBOURHOODS = {
    "London": ("Soho", "Camden", "Brixton", "Piccadilly"),
    "Manchester": ("Ancoats",),
    "Glasgow": ("Merchant City",),
    "Newcastle upon Tyne": ("Jesmond",),
    "Cardiff": ("Bay",),
}
# Every CAPITALISING_TILLth branch's till writes every word of a product with a capital.
CAPITALISING_TILLS = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="raw folder to write (S3 key layout)")
    parser.add_argument("--branches", type=int, default=120)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 2))
    parser.add_argument("--seed", type=int, default=42)
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


def displayed_products(spellings: set[tuple[str, str, str]]) -> list[list[str | None]]:
    """The products the warehouse must show: one per product whatever its spellings.

    Identity ignores case (product and flavour); the name shown is the first spelling in
    code-point order, capitals first (the pipeline's rule, transform.product_spellings).
    """
    shown: dict[tuple[str, str, str], tuple[str, str]] = {}
    for name, size, flavour in spellings:
        key = (name.lower(), size, flavour.lower())
        shown[key] = min(shown.get(key, (name, flavour)), (name, flavour))
    return sorted([n, size or None, f or None] for (_, size, _), (n, f) in shown.items())


class Truth:
    """What the pipeline must find, from the generator's own model."""

    def __init__(self) -> None:
        self.rows = 0
        self.valid_keys: set[bytes] = set()
        self.duplicates = 0
        self.reasons: Counter[str] = Counter()
        self.items = 0
        self.revenue = Decimal(0)
        self.by_branch: Counter[str] = Counter()
        self.by_date: Counter[str] = Counter()
        self.spellings: set[tuple[str, str, str]] = set()  # (product, size, flavour) as sold
        self.files = self.unreadable = self.empty = 0
        # Per file: its export variant and what it must load (key -> figures).
        self.by_file: dict[str, dict] = {}
        self._file: dict | None = None

    def start_file(self, key: str, variant: str) -> None:
        self._file = self.by_file[key] = {
            "variant": variant,
            "transactions": 0,
            "items": 0,
            "pence": 0,
            "quarantined": 0,
        }

    def bad(self, reason: str) -> None:
        self.rows += 1
        self.reasons[reason] += 1
        if self._file is not None:
            self._file["quarantined"] += 1

    def valid(self, fields: list[str], branch: str, day: dt.date, items: list, pence: int):
        key = hashlib.sha1("\x1f".join(f.strip() for f in fields).encode()).digest()
        self.rows += 1
        if key in self.valid_keys:
            self.duplicates += 1
            return
        self.valid_keys.add(key)
        if self._file is not None:
            self._file["transactions"] += 1
            self._file["items"] += len(items)
            self._file["pence"] += pence
        self.items += len(items)
        self.spellings.update(items)
        self.revenue += Decimal(pence) / 100
        self.by_branch[branch] += pence
        self.by_date[day.isoformat()] += 1

    def as_json(self) -> dict:
        return {
            "files": self.files,
            "files_unreadable": self.unreadable,
            "files_empty": self.empty,
            "rows": self.rows,
            "valid_transactions": len(self.valid_keys),
            "duplicates": self.duplicates,
            "quarantined_by_reason": {r: self.reasons.get(r, 0) for r in ROW_REASONS},
            "basket_items": self.items,
            "revenue": str(self.revenue.quantize(Decimal("0.01"))),
            "revenue_by_branch": {
                b: str((Decimal(p) / 100).quantize(Decimal("0.01")))
                for b, p in sorted(self.by_branch.items())
            },
            "transactions_by_date": dict(sorted(self.by_date.items())),
            "by_file": {
                key: {
                    "variant": f["variant"],
                    "transactions": f["transactions"],
                    "basket_items": f["items"],
                    "revenue": str((Decimal(f["pence"]) / 100).quantize(Decimal("0.01"))),
                    "quarantined": f["quarantined"],
                }
                for key, f in sorted(self.by_file.items())
            },
            "product_spellings": len(self.spellings),
            "products": displayed_products(self.spellings),
        }


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
        rng, pound_signs=variant == "2020", capitals=capitals, triples=early
    )
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    card = rng.random() < 0.6
    number = str(rng.randrange(4 * 10**15, 6 * 10**15)) if card else ""
    payment = "CARD" if card else "CASH"
    if rng.random() < 0.02:
        payment = payment.lower()
    total = _money(pence)
    if variant in ("spreadsheet", "spreadsheet_uk"):
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
    eol = "\r\n" if variant in ("spreadsheet", "spreadsheet_uk", "early_2021") else "\n"
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
    bom = variant in ("spreadsheet", "spreadsheet_uk")
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
            header = (
                SPREADSHEET_HEADER if variant == "spreadsheet_uk" else HEADER_ALIASES.get(variant)
            )
            path.write_bytes(_write_csv(rows, variant, header))
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
    return rows
