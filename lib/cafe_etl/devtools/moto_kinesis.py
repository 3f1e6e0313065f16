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

import socket
import subprocess
import sys
import time
import urllib.request

from moto.kinesis.models import Shard
from moto.server import main as moto_main


def patch_moto() -> None:
    def get_max_sequence_number(self) -> int:
        return next(reversed(self.records)) if self.records else 0

    Shard.get_max_sequence_number = get_max_sequence_number


def main(argv: list[str] | None = None) -> None:
    patch_moto()
    moto_main(sys.argv[1:] if argv is None else argv)


def start_server(host: str = "127.0.0.1", attempts: int = 3) -> tuple[subprocess.Popen, str]:
    """This server in a process of its own on a free port of `host`: (process, endpoint),
    once it answers. A process of its own shares no state with moto's in-process mocks
    (`mock_aws` resets every backend of its interpreter) and no interpreter lock.

    The port is one the OS picked for a probe socket, closed just before the server binds
    it: another program may take it in between. Then the server exits, and a new port is
    tried (`attempts` in all).
    """
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", __name__, "-H", host, "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://{host}:{port}"
        if _answers(endpoint, server):
            return server, endpoint
        server.kill()
        server.wait(timeout=30)
    raise SystemExit(f"moto's server did not start on {host} ({attempts} ports tried)")


def _answers(endpoint: str, server: subprocess.Popen, seconds: float = 60) -> bool:
    """Whether the server answers at `endpoint` before it exits or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while server.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


if __name__ == "__main__":
    main()
