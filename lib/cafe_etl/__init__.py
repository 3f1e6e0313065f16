"""Cafe Connect ETL library: till CSVs and Kinesis records → Parquet lake → star schema.

Data moves one way (raw → transform → lake → warehouse) and the packages are layered the
same way; docs/architecture.md draws the layers and pyproject.toml declares them for
import-linter. Each package's docstring says what it owns and what it may import.
"""
