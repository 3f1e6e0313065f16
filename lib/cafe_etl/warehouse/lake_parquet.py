"""The lake's Parquet as CSV for PostgreSQL's COPY: which files, and their rows in chunks."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from cafe_etl.io import arrow_filesystem
from cafe_etl.lake import partition_paths


def lake_files(lake_uri: str, table: str, sale_dates: list[str]) -> list[str]:
    """The Parquet files of a lake table's partitions for these days (names only)."""
    files: list[str] = []
    for partition in partition_paths(lake_uri, table, sale_dates):
        fs, root = arrow_filesystem(partition)
        for entry in fs.get_file_info(pafs.FileSelector(root, allow_not_found=True)):
            if entry.type == pafs.FileType.File and entry.path.endswith(".parquet"):
                files.append(partition + entry.path.rsplit("/", 1)[-1])
    return sorted(files)


def _partition_value(uri: str, column: str) -> str | None:
    for part in uri.split("/"):
        if part.startswith(column + "="):
            return part.split("=", 1)[1]
    return None


def csv_chunks(files: list[str], columns: tuple[str, ...]) -> Iterator[tuple[bytes, int]]:
    """CSV chunks of lake Parquet files, streamed batch by batch (bounded memory).

    pyarrow reads the Parquet and writes the CSV in C++; nothing goes row by row here.
    The partition column (`sale_date`), which is not inside the files, comes from the path.
    """
    for uri in files:
        fs, path = arrow_filesystem(uri)
        with fs.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            wanted = [c for c in columns if c in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=65_536, columns=wanted):
                table = pa.Table.from_batches([batch])
                arrays = []
                for name in columns:
                    if name in table.column_names:
                        col = table.column(name)
                        if pa.types.is_timestamp(col.type):
                            col = col.cast(pa.timestamp("us"))  # naive wall-clock time
                    else:
                        value = _partition_value(uri, name)
                        col = pa.repeat(pa.scalar(value, pa.string()), table.num_rows)
                    arrays.append(col)
                out = io.BytesIO()
                pacsv.write_csv(
                    pa.table(arrays, names=list(columns)),
                    out,
                    pacsv.WriteOptions(include_header=False),
                )
                yield out.getvalue(), table.num_rows
