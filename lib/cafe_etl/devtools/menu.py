"""The generated chain: its menu, customers, till export variants and busy hours."""

from __future__ import annotations

# (product, flavours, sized, regular price in pence, large price in pence)
MENU: tuple[tuple[str, tuple[str, ...], bool, int, int], ...] = (
    ("Latte", (), True, 215, 245),
    ("Flat white", (), True, 215, 245),
    ("Cappuccino", (), True, 215, 245),
    ("Americano", (), True, 195, 225),
    ("Mocha", (), True, 230, 270),
    ("Hot chocolate", (), True, 140, 170),
    ("Chai latte", (), True, 230, 260),
    ("Filter coffee", (), True, 150, 180),
    ("Flavoured latte", ("Vanilla", "Caramel", "Hazelnut"), True, 255, 285),
    ("Flavoured iced latte", ("Vanilla", "Caramel", "Hazelnut"), True, 275, 325),
    ("Frappes", ("Coffee", "Chocolate Cookie", "Strawberries & Cream"), True, 275, 325),
    ("Speciality Tea", ("Peppermint", "Darjeeling", "English breakfast", "Fruit"), False, 130, 0),
    ("Smoothies", ("Berry Beautiful", "Carrot Kick", "Glowing Greens"), False, 200, 0),
    ("Cortado", (), False, 205, 0),
    ("Espresso", (), False, 150, 0),
    ("Glass of milk", (), False, 70, 0),
)
FIRST_NAMES = (
    "Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Leo "
    "Alfie Henry Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Freya "
    "Chloe Priya Aisha Siobhan Cerys Eilidh Niamh Tomasz Chen Olu Maria Rhys Callum Fiona"
).split()
LAST_NAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Murphy Campbell Kelly "
    "MacDonald Hughes Edwards Lewis Morgan Singh Begum Nowak Okafor Wei Garcia Reid Byrne"
).split()
VARIANTS = (
    "2020",
    "2021",
    "2021_fixed_width",
    "spreadsheet",
    "2022",
    # A spreadsheet re-save with UK short dates (`8/8/2026 9:05`), a header in human words
    # with leading spaces, E-notation cards, BOM and CRLF.
    "spreadsheet_uk",
    # The early-2021 layout (schema.LAYOUTS "early_2021"): CRLF, ISO with seconds, basket
    # as `size,product,price` triples, payment before total, card `"<network>,<number>"`.
    "early_2021",
    # A 2020 export under the old system's header names (`date,location,...,ccn`), its
    # baskets in the items grammar with `£` prices: the names never say the grammar.
    "2020_old_names",
)
SPREADSHEET_HEADER = ("time", " branch", " name", " basket", " total", " payment", " card")
CARD_NETWORKS = ("visa", "mastercard", "americanexpress", "discover")
# Share of transactions per opening hour (weekday), mornings and lunch busiest.
HOUR_WEIGHTS = {7: 6, 8: 14, 9: 13, 10: 9, 11: 8, 12: 12, 13: 11, 14: 7, 15: 7, 16: 6, 17: 5}
SUNDAY_HOURS = range(9, 16)
BAD_ROW_SHARE = 0.01
DUPLICATE_SHARE = 0.005
BLANK_LINE_SHARE = 0.003
# A spreadsheet save ends with rows of empty fields (`,,,,,,`): up to this many.
MAX_PADDING_ROWS = 300
# Branches named `<City> <Area>`, as the chain names them; each resolves through its city.
NEIGHBOURHOODS = {
    "London": ("Soho", "Camden", "Brixton", "Piccadilly"),
    "Manchester": ("Ancoats",),
    "Glasgow": ("Merchant City",),
    "Newcastle upon Tyne": ("Jesmond",),
    "Cardiff": ("Bay",),
}
# Every CAPITALISING_TILLth branch's till writes every word of a product with a capital.
CAPITALISING_TILLS = 3
