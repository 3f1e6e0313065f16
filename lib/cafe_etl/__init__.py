"""Cafe Connect ETL library."""
