"""The exceptions every layer raises, and the scrub every error message goes through.

Bottom layer: imports nothing of the project. A job turns a UsageError into one line on
stderr and exit status 2; anything else is exit status 1 with its (scrubbed) message.
"""

from __future__ import annotations

import re

# Digit runs standing alone (not inside a hex id such as a transaction_id): 13-19 digits,
# also with single spaces or dashes between them. The personal-data scanner looks for the
# same shape in the outputs.
CARD_PATTERN = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")


class UsageError(Exception):
    """A mistake by whoever started the job: bad or missing arguments, paths, URLs."""


class ConcurrentRunError(UsageError):
    """Another run holds the warehouse's run lock."""


class CountsNotConserved(RuntimeError):
    """rows_read != transactions + quarantined + duplicates: something lost or invented."""


class RedshiftLoadError(RuntimeError):
    """A Data API statement failed; the message names it and where to look."""


def scrub(text: str) -> str:
    """Mask card-number-like digit runs in a message before it is logged or shown."""
    return CARD_PATTERN.sub("[redacted]", text)
