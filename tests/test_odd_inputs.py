"""Odd inputs: huge baskets, files of blank lines, Latin-1 exports, lake and URL mistakes."""

from __future__ import annotations

import threading

import pytest
from cafe_etl import lake as lake_module
from cafe_etl.errors import UsageError
from conftest import new_database, write_raw
from helpers import lake_rows, run_nightly

KEY = "2021/03/01/Leeds_01-03-2021_18-00-00.csv"
BIG_BASKET = "2021/03/01/Bath_01-03-2021_18-00-00.csv"
SPACES = "2021/03/01/Milton Keynes_01-03-2021.csv"
BLANK_LINES = "2021/03/01/Hull_01-03-2021_18-00-00.csv"
LATIN1 = "2021/03/01/Derby_01-03-2021_18-00-00.csv"


run = run_nightly


@pytest.fixture(scope="module")
def odd_night(spark, pg_server, tmp_path_factory):
    """One night of odd files, in folders whose names have spaces and `%`, run once:
    (summary, lake). Each test below checks its own file's part."""
    root = tmp_path_factory.mktemp("odd")
    raw, lake = root / "raw 100% till", root / "lake 100% ours"
    basket = ", ".join(["Large Latte - 2.45"] * 5100)
    assert len(basket) > 100_000
    write_raw(
        raw,
        BIG_BASKET,
        f'01/03/2021 09:00,Bath,Big Order,"{basket}",{2.45 * 5100:.2f},CARD,4111111111111111\n',
    )
    write_raw(raw, SPACES, "01/03/2021 09:00,Milton Keynes,A B,Latte - 2.00,2.00,CASH,\n")
    write_raw(
        raw, BLANK_LINES, b"\n" * 1_000_000 + b"01/03/2021 09:00,Hull,A B,Latte - 2.00,2.00,CASH,\n"
    )
    text = "".join(
        f"01/03/2021 09:{i:02d},Derby,José Núñez,Latte - £2.00,£2.00,CASH,\n" for i in range(20)
    )
    write_raw(raw, LATIN1, text.encode("latin-1"))
    return run(spark, raw, lake, new_database(pg_server)), lake


def lake_row_of(lake, key: str) -> dict:
    (row,) = [r for r in lake_rows(lake, "transactions") if r["source_file"] == key]
    return row


def test_a_100kb_basket_loads_whole(odd_night):
    summary, lake = odd_night
    assert lake_row_of(lake, BIG_BASKET)["item_count"] == 5100
    assert summary["basket_items"] == 5100 + 2  # and one item from each other good file


def test_folders_with_spaces_and_percent_signs_load(odd_night):
    summary, lake = odd_night
    assert summary["warehouse"]["fact_basket_item"] == 5100 + 2
    assert lake_row_of(lake, SPACES)["branch_name"] == "Milton Keynes"


def test_a_file_of_a_million_blank_lines_is_zero_rows(odd_night):
    summary, lake = odd_night
    # Four files, one row each (the Latin-1 file counts as one unreadable record): the
    # blank lines are no rows.
    assert (summary["rows_read"], summary["transactions"], summary["quarantined"]) == (4, 3, 1)
    assert summary["blank_rows"] == 1_000_000
    assert lake_row_of(lake, BLANK_LINES)["source_line"] == 1_000_001


def test_latin1_export_is_quarantined_whole_with_a_reason(odd_night):
    summary, _ = odd_night
    assert summary["quarantined_by_reason"] == {"unreadable_file": 1}
    assert summary["failed_files"] == [LATIN1] and summary["transactions"] == 3


def test_unwritable_lake_is_a_clear_error(spark, tmp_path, warehouse_url):
    write_raw(tmp_path / "raw", KEY, "01/03/2021 09:00,Leeds,A B,Latte - 2.00,2.00,CASH,\n")
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "_runs").write_text("a file where a folder must be")
    with pytest.raises(UsageError, match="cannot write to the lake") as raised:
        run(spark, tmp_path / "raw", lake, warehouse_url)
    # The Java cause, not py4j's "An error occurred while calling o54.create".
    assert "not a directory" in str(raised.value)
    assert "error occurred while calling" not in str(raised.value)


def test_lake_probes_of_runs_started_together_do_not_collide(spark, tmp_path):
    """Two runs probing one lake at once each succeed (a shared probe file failed ~1 in 7)."""
    errors: list[str] = []

    def probe() -> None:
        for _ in range(60):
            try:
                lake_module.check_writable(spark, str(tmp_path / "lake"))
            except UsageError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=probe) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in (tmp_path / "lake" / "_runs").iterdir()] == []


def test_unreachable_warehouse_is_one_line_and_exit_2(tmp_path, job_in_process):
    write_raw(tmp_path / "raw", KEY, "01/03/2021 09:00,Leeds,A B,Latte - 2.00,2.00,CASH,\n")
    code, err = job_in_process(
        [
            "--JOB_NAME",
            "j",
            "--raw_uri",
            str(tmp_path / "raw"),
            "--lake_uri",
            str(tmp_path / "lake"),
            "--warehouse_url",
            "postgresql://nobody@127.0.0.1:1/none",
            "--process_date",
            "all",
        ]
    )
    assert code == 2, err
    assert "cannot reach the warehouse" in err and "Traceback" not in err
    assert err.count("\n") == 1, err
