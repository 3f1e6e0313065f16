"""moto's server for the local Kinesis stand-in, with one fix to its shard bookkeeping.

    python -m cafe_etl.devtools.moto_kinesis -H 127.0.0.1 -p PORT      (what `make stream` starts)

moto 5.x finds a shard's last sequence number with `list(self.records.keys())[-1]`, which
copies every key of the shard for every record put: a put costs time in proportion to
the records already in the shard, and a replay slows down as it goes (about 1,500
records a second after a few tens of thousands, on this project's demo). The records are
an insertion-ordered dict keyed by increasing sequence numbers, so the last key is
`next(reversed(...))`, in constant time. Everything else is moto's server, unchanged.
"""

from __future__ import annotations

import sys

from moto.kinesis.models import Shard
from moto.server import main as moto_main


def patch_moto() -> None:
    def get_max_sequence_number(self) -> int:
        return next(reversed(self.records)) if self.records else 0

    Shard.get_max_sequence_number = get_max_sequence_number


def main(argv: list[str] | None = None) -> None:
    patch_moto()
    moto_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
