"""A file is judged by most of its lines, never by one: its field order, and whether it
is text at all.

The early-2021 layout writes payment before total and ends each line in its card field
(`"<network>,<number>"` or `None`). A till of another layout may end one line that way (a
`None` typed into the card field), and an early-2021 file may have one line that does not
(a card field left empty): either way the file keeps its majority's order, and its one odd
line is read in that order too. Likewise one line that is not UTF-8 (a name typed on a
Latin-1 till) does not make a file of good lines unreadable: its lines all load. The
expected fields are written out by hand, in the canonical order (timestamp, branch, name,
basket, total, payment, card).
"""

from __future__ import annotations

from cafe_etl import raw
from conftest import write_raw

DAY = "2026/11/02"
# Six lines of the 2021 export (no header, total before payment): the second ends in
# `None`, the last is Latin-1 (its `ë` one byte that is not UTF-8).
MOSTLY_2021 = (
    f"{DAY}/Leeds_02-11-2026_18-00-00.csv",
    b"02/11/2026 09:00,Leeds,Ann Example,Latte - 2.15,2.15,CASH,\n"
    b"02/11/2026 09:01,Leeds,Bob Example,Cortado - 2.05,2.05,CASH,None\n"
    b"02/11/2026 09:02,Leeds,Cat Example,Latte - 2.15,2.15,CARD,4111111111111111\n"
    b"02/11/2026 09:03,Leeds,Dan Example,Mocha - 2.30,2.30,CASH,\n"
    b"02/11/2026 09:04,Leeds,Eve Example,Latte - 2.15,2.15,CASH,\n"
    + "02/11/2026 09:05,Leeds,Zo\u00eb Example,Latte - 2.15,2.15,CASH,\n".encode("latin-1"),
)
# Five lines of the early-2021 export (payment before total); the fourth's card field is
# empty, so it does not end the early way.
MOSTLY_EARLY = (
    f"{DAY}/Derby_02-11-2026_18-00-00.csv",
    "\r\n".join(
        [
            '2026-11-02 09:00:00,Derby,Ann Example,"Large,Latte,2.45",CARD,2.45,"visa,4000000000000002"',
            '2026-11-02 09:01:00,Derby,Bob Example,",Cortado,2.05",CASH,2.05,None',
            '2026-11-02 09:02:00,Derby,Cat Example,",Mocha,2.30",CASH,2.30,None',
            '2026-11-02 09:03:00,Derby,Dan Example,",Cortado,2.05",CASH,2.05,',
            '2026-11-02 09:04:00,Derby,Eve Example,"Large,Latte,2.45",CASH,2.45,None',
            "",
        ]
    ),
)
# (file, line) -> (timestamp, branch, total, payment, card) in the canonical order.
EXPECTED = {
    (MOSTLY_2021[0], 1): ("02/11/2026 09:00", "Leeds", "2.15", "CASH", ""),
    (MOSTLY_2021[0], 2): ("02/11/2026 09:01", "Leeds", "2.05", "CASH", "None"),
    (MOSTLY_2021[0], 3): ("02/11/2026 09:02", "Leeds", "2.15", "CARD", "4111111111111111"),
    (MOSTLY_2021[0], 4): ("02/11/2026 09:03", "Leeds", "2.30", "CASH", ""),
    (MOSTLY_2021[0], 5): ("02/11/2026 09:04", "Leeds", "2.15", "CASH", ""),
    (MOSTLY_2021[0], 6): ("02/11/2026 09:05", "Leeds", "2.15", "CASH", ""),
    (MOSTLY_EARLY[0], 1): ("2026-11-02 09:00:00", "Derby", "2.45", "CARD", "visa,4000000000000002"),
    (MOSTLY_EARLY[0], 2): ("2026-11-02 09:01:00", "Derby", "2.05", "CASH", "None"),
    (MOSTLY_EARLY[0], 3): ("2026-11-02 09:02:00", "Derby", "2.30", "CASH", "None"),
    (MOSTLY_EARLY[0], 4): ("2026-11-02 09:03:00", "Derby", "2.05", "CASH", ""),
    (MOSTLY_EARLY[0], 5): ("2026-11-02 09:04:00", "Derby", "2.45", "CASH", "None"),
}
CANONICAL = (0, 1, 4, 5, 6)  # timestamp, branch, total, payment, card


def test_one_odd_line_decides_neither_a_files_field_order_nor_that_it_is_unreadable(
    spark, tmp_path
):
    for key, text in (MOSTLY_2021, MOSTLY_EARLY):
        write_raw(tmp_path, key, text)
    extracted = raw.extract(spark, raw.list_raw_files(spark, str(tmp_path), "all"))
    try:
        rows = extracted.rows.select("source_file", "line_number", "fields").collect()
        assert extracted.unreadable_keys == []
    finally:
        extracted.lines.unpersist()
    got = {(r.source_file, r.line_number): tuple(r.fields[i] for i in CANONICAL) for r in rows}
    assert got == EXPECTED
