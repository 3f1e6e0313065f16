"""Basket items and products: one row per item, each product under one spelling."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from cafe_etl.transform.rows import SEP, parse_item


def product_id(name: Column, size: Column, flavour: Column) -> Column:
    """Deterministic product key from its natural key (stable across runs and jobs)."""
    return F.xxhash64(
        F.concat_ws(SEP, name, F.coalesce(size, F.lit("-")), F.coalesce(flavour, F.lit("-")))
    )


def product_key(name: Column, size: Column, flavour: Column) -> Column:
    """A product's identity: product and flavour with case and surrounding spaces ignored.

    `Hot Chocolate` and `Hot chocolate ` are one product (tills differ in capitals). The
    warehouse groups dim_product by the same three parts (warehouse/sql.py).
    """
    return F.concat_ws(
        SEP,
        F.lower(F.trim(name)),
        F.coalesce(size, F.lit("-")),
        F.coalesce(F.lower(F.trim(flavour)), F.lit("-")),
    )


def product_spellings(parsed: DataFrame) -> DataFrame:
    """(product_key, spelling) for the items of `parsed` (a frame with a `parsed` struct).

    The spelling shown for a product is the first of its trimmed (product, flavour)
    spellings in binary (UTF-8 byte) order, capitals before small letters: `Hot
    Chocolate` over `Hot chocolate`. Binary order is what Redshift's MIN and ORDER BY use
    (and PostgreSQL's with COLLATE "C"), so the warehouse picks the same spelling among
    every spelling it holds. A product spelled one way only keeps its name, hence its id.
    """
    p = "parsed."
    return parsed.groupBy(
        product_key(F.col(p + "product_name"), F.col(p + "size"), F.col(p + "flavour")).alias(
            "product_key"
        )
    ).agg(
        F.min(
            F.struct(
                F.trim(F.col(p + "product_name")).alias("product_name"),
                F.trim(F.col(p + "flavour")).alias("flavour"),
            )
        ).alias("spelling")
    )


def exploded_items(unique: DataFrame) -> DataFrame:
    return unique.select(
        "transaction_id", "sale_date", F.posexplode(F.split("basket", ","))
    ).select("transaction_id", "sale_date", "pos", F.trim("col").alias("item"))


def item_catalog(unique: DataFrame) -> DataFrame:
    """Each distinct item text of the baskets, parsed once: (item, parsed).

    A chain's menu makes few distinct texts (tens to thousands) out of millions of items,
    so parsing the catalog and looking items up in it costs a fraction of parsing every
    item.
    """
    return (
        exploded_items(unique)
        .select("item")
        .distinct()
        .select("item", parse_item(F.col("item")).alias("parsed"))
    )


def basket_items(unique: DataFrame, catalog: DataFrame | None = None) -> DataFrame:
    """One row per item of each unique transaction, line_number from 1.

    With `catalog` (item_catalog of the same frame, small enough to broadcast) items are
    looked up in it; without, each item is parsed where it stands. Both give the same rows.
    Each product is shown under one spelling (product_spellings), looked up by its key
    in a broadcast table of the run's products (a menu: tens to thousands of rows).
    """
    exploded = exploded_items(unique)
    if catalog is None:
        parsed = exploded.select("*", parse_item(F.col("item")).alias("parsed"))
    else:
        parsed = exploded.join(F.broadcast(catalog), "item")
    spellings = product_spellings(catalog if catalog is not None else parsed)
    keyed = parsed.select(
        "*",
        product_key(
            F.col("parsed.product_name"), F.col("parsed.size"), F.col("parsed.flavour")
        ).alias("product_key"),
    ).join(F.broadcast(spellings), "product_key")
    name, flavour = F.col("spelling.product_name"), F.col("spelling.flavour")
    return keyed.select(
        "transaction_id",
        (F.col("pos") + 1).cast("int").alias("line_number"),
        product_id(name, F.col("parsed.size"), flavour).alias("product_id"),
        name.alias("product_name"),
        F.col("parsed.size").alias("size"),
        flavour.alias("flavour"),
        F.col("parsed.unit_price").alias("unit_price"),
        "sale_date",
    )
