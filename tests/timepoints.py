"""Named instants for tests, each with its weekday and why it matters.

Instants are built with :mod:`zoneinfo` (``fold=0``: an ambiguous wall time
is its first occurrence), independently of the pytz code under test.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
DUBLIN = ZoneInfo("Europe/Dublin")
SINGAPORE = ZoneInfo("Asia/Singapore")


def chicago(*fields: int) -> datetime:
    """Return a wall-clock time in Chicago: ``chicago(2026, 3, 3, 10, 0)``."""
    return datetime(*fields, tzinfo=CHICAGO)


def dublin(*fields: int) -> datetime:
    """Return a wall-clock time in Dublin."""
    return datetime(*fields, tzinfo=DUBLIN)


def singapore(*fields: int) -> datetime:
    """Return a wall-clock time in Singapore (UTC+8 all year, no DST)."""
    return datetime(*fields, tzinfo=SINGAPORE)


def utc(*fields: int) -> datetime:
    """Return a UTC instant."""
    return datetime(*fields, tzinfo=UTC)


# Chicago, 2026 (CST = UTC-6, CDT = UTC-5).
TUE_MORNING_CHICAGO = chicago(2026, 3, 3, 10, 0)  # Tue, ordinary working day, CST
TUE_EARLY_CHICAGO = chicago(2026, 3, 3, 6, 0)  # Tue, two hours before 08:00
TUE_EVENING_CHICAGO = chicago(2026, 3, 3, 19, 0)  # Tue, one hour before 20:00
TUE_CLOSE_CHICAGO = chicago(2026, 3, 3, 20, 0)  # Tue, closing time itself
TUE_NIGHT_CHICAGO = chicago(2026, 3, 3, 21, 0)  # Tue, after closing
WED_OPEN_CHICAGO = chicago(2026, 3, 4, 8, 0)  # Wed, opening time
SAT_BEFORE_SPRING_CHICAGO = chicago(2026, 3, 7, 0, 0)  # Sat, weekend before DST
SPRING_FORWARD_CHICAGO = chicago(2026, 3, 8, 0, 0)  # Sun, 02:00 CST -> 03:00 CDT
MON_AFTER_SPRING_CHICAGO = chicago(2026, 3, 9, 0, 0)  # Mon, first CDT weekday
SAT_BEFORE_FALL_CHICAGO = chicago(2026, 10, 31, 0, 0)  # Sat, weekend before DST ends
FALL_BACK_CHICAGO = chicago(2026, 11, 1, 0, 0)  # Sun, 02:00 CDT -> 01:00 CST
MON_AFTER_FALL_CHICAGO = chicago(2026, 11, 2, 0, 0)  # Mon, first CST weekday
MON_JUNE_OPEN_CHICAGO = chicago(2026, 6, 1, 8, 0)  # Mon, no US holiday for 4 weeks
CHRISTMAS_EVE_CHICAGO = chicago(2026, 12, 24, 19, 0)  # Thu, day before a holiday
CHRISTMAS_CHICAGO = chicago(2026, 12, 25, 12, 0)  # Fri, Christmas Day
THANKSGIVING_FRIDAY_CHICAGO = chicago(2026, 11, 27, 12, 0)  # Fri, a Texas holiday

# Dublin, 2026 (GMT in winter, IST = UTC+1 in summer; pytz calls winter DST).
SPRING_FORWARD_DUBLIN = dublin(2026, 3, 29, 0, 0)  # Sun, 01:00 GMT -> 02:00 IST
FALL_BACK_DUBLIN = dublin(2026, 10, 25, 0, 0)  # Sun, 02:00 IST -> 01:00 GMT
MON_AFTER_FALL_DUBLIN = dublin(2026, 10, 26, 0, 0)  # Mon, first GMT weekday

# Singapore, 2026.
FRI_BEFORE_NATIONAL_DAY_SG = singapore(2026, 8, 7, 17, 0)  # Fri, an hour to close
# Mon 2026-08-10 is National Day (observed) in Singapore; in UTC 01:00 it is
# an ordinary Monday morning, in Singapore 09:00 of a holiday.
NATIONAL_DAY_OBSERVED_UTC = utc(2026, 8, 10, 1, 0)
# Thu 2026-12-24 17:00 UTC is already Fri 2026-12-25 01:00 in Singapore.
CHRISTMAS_EARLY_SG_IN_UTC = utc(2026, 12, 24, 17, 0)
# Fri 2026-12-25 17:00 UTC is Sat 2026-12-26 01:00 in Singapore.
BOXING_DAY_EARLY_SG_IN_UTC = utc(2026, 12, 25, 17, 0)
