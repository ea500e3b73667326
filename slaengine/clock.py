"""The one place the engine reads the time.

Everything that needs "now" calls :func:`utcnow`, so tests freeze a single
function with freezegun and calculators take ``now`` as an argument.
"""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)
