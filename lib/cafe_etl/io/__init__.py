"""Files, wherever they are: S3 on Glue, a folder on a laptop.

Owns the one wrapper of Hadoop's FileSystem (`HadoopFs`, reached through Spark's JVM:
the same calls on S3A and on disk), pyarrow's file systems for the readers that work
without Spark (`arrow_filesystem`), and py4j's imports of the classes PySpark names on
every call (`import_short_names`), and boto3's uploads of a folder (`put_folder`). No
other module touches py4j's `_jvm`.

Bottom layer: imports nothing of the project but `errors`.
"""

from cafe_etl.io.arrow import arrow_filesystem
from cafe_etl.io.hadoop import SHORT_NAMES, FileInfo, HadoopFs, import_short_names, java_cause
from cafe_etl.io.objects import put_folder

__all__ = [
    "SHORT_NAMES",
    "FileInfo",
    "HadoopFs",
    "arrow_filesystem",
    "import_short_names",
    "java_cause",
    "put_folder",
]
