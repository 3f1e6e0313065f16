"""Extract: every raw export variant → raw rows with file and line provenance."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from cafe_etl import raw
from cafe_etl.errors import UsageError
from conftest import write_raw

HEADER_2020 = "timestamp,branch,customer_name,basket,total,payment_method,card_number"
HEADER_2022 = "timestamp,store,customer_name,basket_items,total_price,cash_or_card,card_number"


def extract(spark, root, process_date="all"):
    files = raw.list_raw_files(spark, str(root), process_date)
    extracted = raw.extract(spark, files)
    rows = sorted(extracted.rows.collect(), key=lambda r: (r.source_file, r.line_number))
    extracted.lines.unpersist()
    assert extracted.data_rows == len(rows)
    return files, rows, extracted.unreadable_keys


def test_2020_export_with_header_and_pound_prices(spark, tmp_path):
    key = "2020/06/01/Leeds_01-06-2020_18-00-00.csv"
    write_raw(
        tmp_path,
        key,
        f"{HEADER_2020}\n"
        '01/06/2020 09:00,Leeds,Joe Bloggs,"Large Latte - £2.45, Cortado - 2.05",4.50,CARD,'
        "5494173772652516\n",
    )
    _, rows, _ = extract(spark, tmp_path)
    assert len(rows) == 1
    row = rows[0]
    assert (row.source_file, row.line_number, row.field_count) == (key, 2, 7)
    assert row.file_date == dt.date(2020, 6, 1)
    assert row.fields[3] == "Large Latte - £2.45, Cortado - 2.05"


def test_2021_fixed_width_export_without_header(spark, tmp_path):
    write_raw(
        tmp_path,
        "2021/03/01/York_01-03-2021_18-00-00.csv",
        '01/03/2021 09:00  ,York   ,Ann Other    ,"Large Latte - 2.45"      ,2.45  ,CARD ,'
        "5494173772652516 \n"
        '01/03/2021 09:01  ,York   ,Bob Brown    ,"Cortado - 2.05"          ,2.05  ,CASH ,'
        "                 \n",
    )
    _, rows, _ = extract(spark, tmp_path)
    assert [r.line_number for r in rows] == [1, 2]
    assert rows[0].fields[:6] == [
        "01/03/2021 09:00",
        "York",
        "Ann Other",
        "Large Latte - 2.45",
        "2.45",
        "CARD",
    ]
    assert rows[1].fields[6] == "" and rows[1].field_count == 7


def test_spreadsheet_resave_bom_crlf_e_notation(spark, tmp_path):
    write_raw(
        tmp_path,
        "2021/03/01/Bath_01-03-2021_18-00-00.csv",
        "\ufeff01/03/2021 10:00,Bath,Jo Smith,Latte - 2.00,2,CARD,5.49E+15\r\n"
        "01/03/2021 10:05,Bath,Jo Smith,Latte - 2.00,2,CASH,\r\n",
    )
    _, rows, _ = extract(spark, tmp_path)
    assert [r.fields[0] for r in rows] == ["01/03/2021 10:00", "01/03/2021 10:05"]
    assert rows[0].fields[6] == "5.49E+15"
    assert all(not f.endswith("\r") for r in rows for f in r.fields)


def test_2022_export_with_other_header_names(spark, tmp_path):
    write_raw(
        tmp_path,
        "2022/01/05/Hull_05-01-2022_18-00-00.csv",
        f"{HEADER_2022}\n2022-01-05T08:15:42,Hull,Zed Q,Mocha - 2.30,2.30,CARD,4111111111111111\n",
    )
    _, rows, _ = extract(spark, tmp_path)
    assert len(rows) == 1 and rows[0].fields[0] == "2022-01-05T08:15:42"


def test_blank_lines_are_not_rows_and_line_numbers_count_them(spark, tmp_path):
    """A line is blank when every field is empty: no text, spaces, or a spreadsheet's
    padding row of commas (spaces, CR and empty quotes between them)."""
    write_raw(
        tmp_path,
        "2021/03/01/Ely_01-03-2021_18-00-00.csv",
        "\n01/03/2021 09:00,Ely,A B,Latte - 2.00,2.00,CASH,\n   \n"
        "01/03/2021 09:01,Ely,C D,Latte - 2.00,2.00,CASH,\n\n"
        ',,,,,,\r\n , , ,,,,\r\n,,,,,,,,,,\r\n"",,"" ,,,,\r\n,\n',
    )
    files = raw.list_raw_files(spark, str(tmp_path), "all")
    extracted = raw.extract(spark, files)
    rows = extracted.rows.collect()
    extracted.lines.unpersist()
    assert sorted(r.line_number for r in rows) == [2, 4]
    assert (extracted.data_rows, extracted.blank_rows) == (2, 8)


def test_wrong_field_counts_are_counted_not_guessed(spark, tmp_path):
    write_raw(
        tmp_path,
        "2021/03/01/Ely_01-03-2021_18-00-00.csv",
        '01/03/2021 09:00,Ely,A B,"Latte - 2.00, Mocha - 2.30",4.30\na,b,c,d,e,f,g,h,i,j,k\n'
        # a spreadsheet's empty columns after the seventh field are not fields
        "01/03/2021 09:02,Ely,A B,Latte - 2.00,2.00,CARD,1E+15,,,,\n"
        "01/03/2021 09:03,Ely,A B,Latte - 2.00,2.00,CASH,, , ,\n"
        "a,b,c,d,e,f,g,h,,,\n"
        "a,b,c,,,,,,,,\n",
    )
    _, rows, _ = extract(spark, tmp_path)
    assert [r.field_count for r in rows] == [5, 11, 7, 7, 8, 7]
    assert rows[2].fields == [
        "01/03/2021 09:02",
        "Ely",
        "A B",
        "Latte - 2.00",
        "2.00",
        "CARD",
        "1E+15",
    ]


def test_unreadable_file_is_one_record_and_empty_file_is_none(spark, tmp_path):
    write_raw(
        tmp_path,
        "2021/03/01/Ely_01-03-2021_18-00-00.csv",
        "01/03/2021 09:00,Ely,A B,Latte - 2.00,2.00,CASH,\n",
    )
    write_raw(
        tmp_path, "2021/03/01/Bad_01-03-2021_18-00-00.csv", b"\x00\x9f\x92\x96PK\x03\x04" * 50
    )
    write_raw(tmp_path, "2021/03/01/Empty_01-03-2021_18-00-00.csv", b"")
    files, rows, bad_keys = extract(spark, tmp_path)
    assert len(files) == 3
    assert bad_keys == ["2021/03/01/Bad_01-03-2021_18-00-00.csv"]
    assert [r.source_file for r in rows] == ["2021/03/01/Ely_01-03-2021_18-00-00.csv"]


def test_branch_names_with_spaces_keep_their_key(spark, tmp_path):
    key = "2021/03/01/Milton Keynes_01-03-2021_18-00-00.csv"
    write_raw(tmp_path, key, "01/03/2021 09:00,Milton Keynes,A B,Latte - 2.00,2.00,CASH,\n")
    _, rows, bad = extract(spark, tmp_path)
    assert bad == [] and rows[0].source_file == key


def test_line_numbers_exact_when_a_file_is_split(spark, tmp_path):
    n = 3000
    body = "".join(
        f"01/03/2021 09:00,Ely,Person {i},Latte - 2.00,2.00,CASH,\n" for i in range(1, n + 1)
    )
    write_raw(tmp_path, "2021/03/01/Ely_01-03-2021_18-00-00.csv", body)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16k")
    try:
        _, rows, _ = extract(spark, tmp_path)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert os.path.getsize(tmp_path / "2021/03/01/Ely_01-03-2021_18-00-00.csv") > 5 * 16 * 1024
    assert len(rows) == n
    assert all(r.fields[2] == f"Person {r.line_number}" for r in rows)


def test_process_date_picks_one_day(spark, tmp_path):
    for day in ("01", "02"):
        write_raw(tmp_path, f"2021/03/{day}/Ely_{day}-03-2021_18-00-00.csv", "x\n")
    files = raw.list_raw_files(spark, str(tmp_path), "2021-03-02")
    assert [f.path.rsplit("/", 1)[1] for f in files] == ["Ely_02-03-2021_18-00-00.csv"]
    assert len(raw.list_raw_files(spark, str(tmp_path), "all")) == 2


def test_yesterday_and_bad_process_dates():
    assert raw.day_prefixes("yesterday", today=dt.date(2021, 3, 1)) == ["2021/02/28"]
    assert raw.day_prefixes(None, today=dt.date(2021, 3, 1)) == ["2021/02/28"]
    assert raw.day_prefixes("all") is None
    with pytest.raises(UsageError, match="process_date"):
        raw.day_prefixes("01/03/2021")


def test_missing_raw_path_is_a_clear_error(spark, tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        raw.list_raw_files(spark, str(tmp_path / "nope"), "all")


# A str with a quote and a backslash, a long past 32 bits, a date, a bool, and all nulls.
LOCAL_ROWS = [
    ("Milton%20Keynes_01-03-2021.csv", 0, dt.date(2021, 3, 1), True),
    ("it's a \\ path", 2**40, None, False),
    (None, None, None, None),
]
LOCAL_COLUMNS = [("name", "string"), ("n", "bigint"), ("day", "date"), ("ok", "boolean")]


def test_local_frame_holds_its_rows_exactly_and_needs_no_python_worker(spark, capsys):
    """The extract's small tables (file offsets, unreadable files) are frames.local_frame's:
    the same rows and types as createDataFrame gives, read by the JVM from one JSON text,
    without the RDD whose pickles a Python worker reads (createDataFrame's plan scans
    one: the check can fail)."""
    from cafe_etl.frames import local_frame

    frame = local_frame(spark, LOCAL_COLUMNS, LOCAL_ROWS)
    assert frame.dtypes == LOCAL_COLUMNS
    assert [tuple(r) for r in frame.collect()] == LOCAL_ROWS
    empty = local_frame(spark, LOCAL_COLUMNS, [])
    assert empty.dtypes == LOCAL_COLUMNS and empty.collect() == []
    frame.explain()
    spark.createDataFrame(LOCAL_ROWS, ", ".join(f"{n} {t}" for n, t in LOCAL_COLUMNS)).explain()
    _, plan, reference = capsys.readouterr().out.split("== Physical Plan ==")
    assert "ExistingRDD" not in plan and "ExistingRDD" in reference
