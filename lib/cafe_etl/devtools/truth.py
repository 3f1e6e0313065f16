"""What the pipeline must find in generated data, from the generator's own model."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from decimal import Decimal

from cafe_etl.schema import ROW_REASONS


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
        self.blank_rows = 0  # blank lines and padding rows: no rows
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
            "blank_rows": 0,
        }

    def blank(self, lines: int = 1) -> None:
        self.blank_rows += lines
        if self._file is not None:
            self._file["blank_rows"] += lines

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
            "blank_rows": self.blank_rows,
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
                    "blank_rows": f["blank_rows"],
                }
                for key, f in sorted(self.by_file.items())
            },
            "product_spellings": len(self.spellings),
            "products": displayed_products(self.spellings),
        }
