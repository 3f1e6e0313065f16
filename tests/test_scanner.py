"""The personal-data scanner: finds what is planted, and nothing after a normal run."""

from __future__ import annotations

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from cafe_etl import cli
from cafe_etl.scanner import Scanner, card_numbers, luhn_valid, names_from_raw
from corpus import CARDS, NAMES, write_corpus


def test_card_number_shapes():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert card_numbers("paid 4111 1111 1111 1111 ok")[0].startswith("4111111111111111")
    assert card_numbers("5494-1737-7265-2516")
    assert card_numbers("card 5.49E+15")
    # Hex ids, short numbers, dates and money are not card numbers.
    assert card_numbers("40e9cf0801234567890123456fa4c050") == []
    assert card_numbers("2021-03-01 09:00, 12.45, 20261124T195251Z") == []


def test_names_come_from_the_raw_files(tmp_path):
    names = names_from_raw(write_corpus(tmp_path / "raw"))
    assert {"Joe Bloggs", "Padded Person", "Sheet User", "Iso Isobel"} <= names
    assert "customer_name" not in names


def test_scan_finds_planted_data_and_nothing_after_a_clean_run(corpus_copy, capsys):
    raw, lake, warehouse_url, _ = corpus_copy  # after one clean run (conftest.py)
    argv = [
        "scan-pii",
        "--lake_uri",
        str(lake),
        "--warehouse_url",
        warehouse_url,
        "--raw_uri",
        str(raw),
    ]

    assert cli.main(argv) == 0
    assert "14 names looked for" in capsys.readouterr().err

    planted = lake / "transactions" / "sale_date=2021-03-01" / "planted.parquet"
    pq.write_table(pa.table({"note": ["refund to 4929 1234 5678 9012"]}), planted)
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "UPDATE cafe.dim_branch SET branch_name = 'Joe Bloggs' WHERE branch_name = 'York'"
        )
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert "lake transactions/sale_date=2021-03-01/planted.parquet column note: card number" in out
    assert "warehouse cafe.dim_branch.branch_name: full name" in out
    assert "4929 1234" not in out and "Joe Bloggs" not in out  # the report itself is masked


def test_scan_of_a_log_file(tmp_path):
    log = tmp_path / "job.log"
    log.write_text("INFO all good\nERROR row for Joe Bloggs failed\n")
    scanner = Scanner(NAMES)
    scanner.scan_log(log)
    assert [h.where for h in scanner.hits] == [f"log {log}:2"]
    assert CARDS  # the corpus carries card numbers for the other scans


def test_spark_part_file_names_are_not_card_numbers_but_chosen_names_are(tmp_path):
    # A write uuid that begins with eight decimal digits: "00000-08034992-1234" used to
    # read as a card number, failing about 2% of scans of a clean lake at random.
    part = "part-00000-08034992-1234-4abc-9def-0123456789ab-c000.snappy.parquet"
    folder = tmp_path / "lake" / "transactions" / "sale_date=2021-03-01"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"branch": ["York"]}), folder / part)
    (folder / f".{part}.crc").write_bytes(b"")
    assert card_numbers(part)  # the name alone does look like one

    clean = Scanner()
    clean.scan_lake(str(tmp_path / "lake"))
    assert clean.hits == []

    (folder / "refund_4929123456789012.parquet").write_bytes((folder / part).read_bytes())
    planted = Scanner()
    planted.scan_lake(str(tmp_path / "lake"))
    assert [h.where for h in planted.hits] == [
        "lake path transactions/sale_date=2021-03-01/refund_4929123456789012.parquet"
    ]
