"""The stream's time: its clock, how often it loads the warehouse, and when it stops.

Trading hours are London's, whatever the season: `--stop_at 19:00` is 18:00 UTC in
summer (BST) and 19:00 UTC in winter (GMT), while Glue's cron schedules are UTC. The
stop is worked out with zoneinfo's Europe/London rules, never from a fixed offset.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

from cafe_etl.errors import UsageError
from cafe_etl.job_args import STREAM

LONDON = ZoneInfo("Europe/London")
# The job argument's default, declared once with its help text (job_args.STREAM).
DEFAULT_LOAD_INTERVAL_SECONDS = int(STREAM.args["load_interval_seconds"].default)
_HH_MM = re.compile(r"(\d{2}):(\d{2})")


class Clock:
    """Wall time, elapsed time and sleep: the real ones. Tests pass a fake that moves
    only when the stream sleeps, so a replay of hours takes no real waiting."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def parse_load_interval(value: str | int | None) -> int:
    """`--load_interval_seconds`: a whole number of seconds, 0 (every batch) or more."""
    if value is None or str(value).strip() == "":
        return DEFAULT_LOAD_INTERVAL_SECONDS
    text = str(value).strip()
    if not text.isdigit():
        raise UsageError(
            f"--load_interval_seconds {value!r}: expected a whole number of seconds, "
            "0 (load after every batch) or more"
        )
    return int(text)


def parse_stop_at(value: str | None) -> dt.time | None:
    """`--stop_at HH:MM` (Europe/London), or None when absent: run until stopped."""
    if value is None or str(value).strip() == "":
        return None
    match = _HH_MM.fullmatch(str(value).strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise UsageError(
            f"--stop_at {value!r}: expected HH:MM on a 24-hour clock, 00:00 to 23:59, "
            "in Europe/London time (e.g. 19:00)"
        )
    return dt.time(int(match.group(1)), int(match.group(2)))


def stop_deadline(stop_at: dt.time | None, started: float) -> float | None:
    """The instant (epoch seconds) the stream stops: `stop_at` on the London day it started.

    A run started after that time (a restart after closing) reads what is waiting, loads
    it and stops at its first batch's end, instead of running until the next evening.
    """
    if stop_at is None:
        return None
    day = dt.datetime.fromtimestamp(started, LONDON).date()
    return dt.datetime.combine(day, stop_at, tzinfo=LONDON).timestamp()


def describe(instant: float) -> str:
    """An instant as London and UTC wall times, for the log."""
    london = dt.datetime.fromtimestamp(instant, LONDON)
    utc = dt.datetime.fromtimestamp(instant, dt.UTC)
    return f"{london:%Y-%m-%d %H:%M} {london.tzname()} ({utc:%H:%M} UTC)"
