"""The stream's checkpoint: committed shard positions and the batch in progress."""

from __future__ import annotations

import json
import os
import uuid
from urllib.parse import urlparse

from pyspark.sql import SparkSession

from cafe_etl.io import HadoopFs


class Checkpoint:
    """Shard positions in one JSON object (local file or s3://), replaced in one step.

    On a local disk the new state is written to a temporary file, flushed, and renamed
    over `positions.json` (POSIX rename: a reader sees the old file or the new one, never
    none). On S3 one PUT of the whole object is that step already: S3 never shows a half-
    written object. Hadoop's FileSystem.rename is not used: it is not specified to replace
    an existing target (so the target had to be deleted first, leaving a window with no
    checkpoint), and on S3 it is a copy and a delete.

    `epoch` is the checkpoint's own id, made when it is created. Lake file names of a
    stream batch carry it, so that a stream restarted from batch 0 after its checkpoint
    was lost never reuses, and so never deletes, an earlier epoch's files.
    """

    NAME = "positions.json"

    def __init__(self, spark: SparkSession, uri: str):
        self.spark = spark
        self.uri = uri.rstrip("/") + "/" + self.NAME
        self.state = {"next_batch": 0, "committed": {}, "pending": None}
        text = self._read()
        if text is not None:
            self.state = json.loads(text)
        else:
            self.state["epoch"] = uuid.uuid4().hex[:12]

    @property
    def epoch(self) -> str:
        return self.state.get("epoch", "")  # checkpoints written before epochs: none

    def _local_path(self) -> str | None:
        parsed = urlparse(self.uri)
        if parsed.scheme in ("", "file"):
            return parsed.path if parsed.scheme else self.uri
        return None

    def _read(self) -> str | None:
        local = self._local_path()
        if local is not None:
            try:
                with open(local, encoding="utf-8") as handle:
                    return handle.read()
            except FileNotFoundError:
                return None
        return HadoopFs(self.spark).read_text(self.uri)

    def save(self) -> None:
        text = json.dumps(self.state, sort_keys=True)
        local = self._local_path()
        if local is None:
            HadoopFs(self.spark).write_text(self.uri, text)  # one PUT: atomic on S3
            return
        os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
        tmp = f"{local}.{uuid.uuid4().hex[:8]}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, local)
