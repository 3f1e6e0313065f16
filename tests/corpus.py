"""A hand-written raw corpus with every export variant and every kind of bad row.

The expected figures below are worked out by hand from the rows, not by the pipeline.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from conftest import write_raw

HEADER_2020 = "timestamp,branch,customer_name,basket,total,payment_method,card_number"
HEADER_2022 = "timestamp,store,customer_name,basket_items,total_price,cash_or_card,card_number"

NAMES = [
    "Joe Bloggs",
    "Ann Other",
    "Bad Rowena",
    "Tim Early",
    "Nora Branch",
    "Tom Total",
    "Pat Payer",
    "Em Basket",
    "Ivy Item",
    "Max Match",
    "Padded Person",
    "Wide Walter",
    "Sheet User",
    "Iso Isobel",
]
CARDS = ["5494173772652516", "4929123456789012", "4111111111111111", "6011000990139424", "5.49E+15"]

LEEDS_2020 = "\n".join(
    [
        HEADER_2020,
        '01/03/2021 09:00,Leeds,Joe Bloggs,"Large Latte - £2.45, Cortado - 2.05",4.50,CARD,5494173772652516',
        "",
        "01/03/2021 09:05,Leeds,Ann Other,Cortado - 2.05,2.05,cash,",
        "01/03/2021 09:05,Leeds,Ann Other,Cortado - 2.05,2.05,cash,",
        "01/03/2021 09:07,Leeds,Bad Rowena,Cortado - 2.05,2.05",
        "32/03/2021 09:07,Leeds,Tim Early,Cortado - 2.05,2.05,CASH,",
        "01/03/2021 09:08,,Nora Branch,Cortado - 2.05,2.05,CASH,",
        "01/03/2021 09:09,Leeds,Tom Total,Cortado - 2.05,two pounds,CASH,",
        "01/03/2021 09:10,Leeds,Pat Payer,Cortado - 2.05,2.05,CHEQUE,",
        "01/03/2021 09:11,Leeds,Em Basket,,0.00,CARD,4929123456789012",
        '01/03/2021 09:12,Leeds,Ivy Item,"Latte - 2.00, Mocha",2.00,CARD,4111111111111111',
        "01/03/2021 09:13,Leeds,Max Match,Latte - 2.00,2.50,CARD,6011000990139424",
        "",
    ]
)
YORK_2021 = (
    '01/03/2021 10:00   ,York   ,Padded Person   ,"Large Latte - 2.45"        ,2.45  ,CARD ,'
    "4929123456789012 \n"
    '01/03/2021 10:01   ,York   ,Wide Walter     ,"Cortado - 2.05"            ,2.05  ,CASH ,'
    "                 \n"
)
# A spreadsheet save, ending in the sheet's padding: rows of empty fields, not rows.
CHESTERFIELD_SHEET = (
    '\ufeff01/03/2021 11:00,Chesterfield,Sheet User,"Latte - 2.50, Mocha - 2.50",5,CARD,5.49E+15\r\n'
    + ",,,,,,\r\n" * 3
)
HULL_2022 = (
    f"{HEADER_2022}\n2022-01-05T08:15:42,Hull,Iso Isobel,Mocha - 2.30,2.30,CARD,4111111111111111\n"
)

EXPECTED = {
    "rows_read": 16,
    "transactions": 6,
    "basket_items": 8,
    "duplicates": 1,
    "blank_rows": 4,  # Leeds's blank line, Chesterfield's three padding rows
    "quarantined": 9,
    "files_failed": 1,
    "files_read": 5,
    "revenue": Decimal("18.35"),
    "quarantined_by_reason": {
        "wrong_field_count": 1,
        "bad_timestamp": 1,
        "missing_branch": 1,
        "bad_total": 1,
        "bad_payment_method": 1,
        "empty_basket": 1,
        "bad_item": 1,
        "total_mismatch": 1,
        "unreadable_file": 1,
    },
    "regions": {
        "Leeds": "Yorkshire and The Humber",
        "York": "Yorkshire and The Humber",
        "Chesterfield": "East Midlands",
        "Hull": "Yorkshire and The Humber",
    },
}


def write_corpus(root: Path) -> Path:
    write_raw(root, "2021/03/01/Leeds_01-03-2021_18-00-00.csv", LEEDS_2020)
    write_raw(root, "2021/03/01/York_01-03-2021_18-00-00.csv", YORK_2021)
    write_raw(root, "2021/03/01/Chesterfield_01-03-2021_18-00-00.csv", CHESTERFIELD_SHEET)
    write_raw(root, "2022/01/05/Hull_05-01-2022_18-00-00.csv", HULL_2022)
    write_raw(root, "2021/03/01/Broken_01-03-2021_18-00-00.csv", b"\x00\x01\xff\xfe" * 64)
    write_raw(root, "2021/03/01/Empty_01-03-2021_18-00-00.csv", b"")
    return root


def write_bulk(root: Path, files: int = 24, rows: int = 400, seed: int = 1) -> Path:
    """A plain, bigger corpus (valid rows, two days) for crash and concurrency tests."""
    import random

    rng = random.Random(seed)
    menu = [
        ("Latte", 215),
        ("Large Latte", 245),
        ("Cortado", 205),
        ("Mocha", 230),
        ("Smoothies - Berry Beautiful", 200),
        ("Large Flavoured iced latte - Hazelnut", 325),
    ]
    towns = ["Leeds", "York", "Hull", "Chesterfield"]
    for f in range(files):
        day = 1 + f % 2
        town = towns[f % len(towns)]
        lines = []
        for i in range(rows):
            basket = [rng.choice(menu) for _ in range(rng.randint(1, 4))]
            text = ", ".join(f"{m} - {p // 100}.{p % 100:02d}" for m, p in basket)
            pence = sum(p for _, p in basket)
            lines.append(
                f"0{day}/03/2021 {7 + i % 11:02d}:{i % 60:02d},{town},Person{f} No{i},"
                f'"{text}",{pence // 100}.{pence % 100:02d},CARD,{4000000000000000 + f * 1000 + i}'
            )
        write_raw(root, f"2021/03/0{day}/{town}{f}_0{day}-03-2021_18-00-00.csv", "\n".join(lines))
    return root
