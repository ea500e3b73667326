"""choose_center and route_ticket on every case of the routing rules."""

from datetime import timedelta

import pytest

from slaengine.errors import ConfigError, InvalidInput
from slaengine.models import PRIORITIES, REGIONS
from slaengine.people import LANGUAGES
from slaengine.routing import choose_center, next_center, route_ticket
from slaengine.routing.centers import default_centers, load_centers
from tests.timepoints import (
    NATIONAL_DAY_OBSERVED_UTC,
    chicago,
    dublin,
    singapore,
    utc,
)

WINTER_WED = utc(2026, 12, 2, 0, 0)  # Wed; Chicago CST, Dublin GMT


@pytest.mark.parametrize(
    ("region", "language", "expected"),
    [
        ("americas", "en", "americas"),
        ("emea", "en", "emea"),
        ("apac", "en", "apac"),
        ("emea", "de", "emea"),
        ("americas", "es", "americas"),
        ("apac", "zh", "apac"),
        # The home center lacks the language: a center that speaks it wins.
        ("emea", "ja", "apac"),
        ("americas", "fr", "emea"),
        ("apac", "es", "americas"),
        # No region: a language spoken in a single center decides.
        (None, "de", "emea"),
        (None, "es", "americas"),
        (None, "ja", "apac"),
    ],
)
def test_medium_tickets_stay_home_by_region_then_language(region, language, expected):
    for hour in range(24):
        at = WINTER_WED + timedelta(hours=hour)
        assert choose_center("medium", region, language, at) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 12, 2, 3, 0), "apac"),  # 11:00 Singapore
        (utc(2026, 12, 2, 10, 0), "emea"),  # Dublin has 10 h left, Singapore 2 h
        (utc(2026, 12, 2, 15, 0), "americas"),  # Austin has 11 h left, Dublin 5 h
        (utc(2026, 12, 2, 21, 0), "americas"),  # 15:00 Austin, alone in peak
    ],
)
def test_unknown_region_goes_to_the_center_with_most_peak_left(at, expected):
    route = route_ticket("medium", None, "en", at)
    assert route.center == expected
    assert "region unknown" in route.reason


def test_reason_in_words_for_the_timeline():
    at = dublin(2026, 12, 2, 10, 0)
    assert route_ticket("high", "emea", "de", at).reason == (
        "routed to Dublin: customer in EMEA, German speaker"
    )
    assert route_ticket("medium", "emea", "ja", at).reason == (
        "routed to Singapore: customer in EMEA, Japanese speaker, not spoken in Dublin"
    )
    assert route_ticket("critical", "apac", "en", utc(2026, 12, 2, 15, 0)).reason == (
        "routed to Austin: customer in APAC, Singapore off peak, following the sun"
    )
    assert route_ticket("critical", "emea", "de", utc(2026, 12, 2, 22, 0)).reason == (
        "routed to Dublin: customer in EMEA, German speaker, "
        "Dublin off peak, no other center can take it"
    )


@pytest.mark.parametrize("priority", ["critical", "high"])
def test_critical_and_high_follow_the_sun_home_first(priority):
    # 10:00 UTC: Dublin and Singapore both in peak; each home keeps its own.
    at = utc(2026, 12, 2, 10, 0)
    assert choose_center(priority, "apac", "en", at) == "apac"
    assert choose_center(priority, "emea", "en", at) == "emea"
    # Austin is off peak (04:00): its customers go to Dublin, most peak left.
    assert choose_center(priority, "americas", "en", at) == "emea"
    # ...but a Spanish speaker stays in Austin with the night staff.
    assert choose_center(priority, "americas", "es", at) == "americas"


@pytest.mark.parametrize(
    ("center", "region", "peak_end", "successor"),
    [
        ("emea", "emea", dublin(2026, 12, 2, 20, 0), "americas"),
        ("americas", "americas", chicago(2026, 12, 2, 20, 0), "apac"),
        ("apac", "apac", singapore(2026, 12, 3, 20, 0), "emea"),
    ],
)
def test_follow_the_sun_at_each_centers_peak_end(center, region, peak_end, successor):
    one_second = timedelta(seconds=1)
    assert choose_center("critical", region, "en", peak_end - one_second) == center
    assert choose_center("critical", region, "en", peak_end) == successor
    assert choose_center("high", region, "en", peak_end) == successor
    assert choose_center("medium", region, "en", peak_end) == center
    assert choose_center("low", region, "en", peak_end) == center
    assert next_center("en", peak_end, priority="critical", leaving=center).code == (
        successor
    )


@pytest.mark.parametrize(
    ("before", "after", "region"),
    [
        # Austin's peak ends at 20:00 local: 02:00 UTC in CST, 01:00 UTC in CDT.
        (utc(2026, 3, 7, 1, 30), utc(2026, 3, 9, 1, 30), "americas"),
        (utc(2026, 11, 2, 1, 30), utc(2026, 10, 31, 1, 30), "americas"),
        # Dublin's ends at 20:00 local: 20:00 UTC in GMT, 19:00 UTC in IST.
        (utc(2026, 3, 28, 19, 30), utc(2026, 3, 30, 19, 30), "emea"),
        (utc(2026, 10, 26, 19, 30), utc(2026, 10, 24, 19, 30), "emea"),
    ],
)
def test_dst_moves_peak_hours_with_the_local_clock(before, after, region):
    """The same UTC time is in peak on standard time and off it on summer time."""
    home = default_centers()[region].code
    assert choose_center("critical", region, "en", before) == home
    assert choose_center("critical", region, "en", after) != home


def test_dublin_opens_at_eight_local_across_fall_back():
    # Mon 2026-10-26 is GMT: 07:30 UTC is 07:30 local, before peak.
    assert choose_center("critical", "emea", "de", utc(2026, 10, 26, 7, 30)) == "emea"
    assert choose_center("critical", "emea", "en", utc(2026, 10, 26, 7, 30)) == "apac"
    # A week earlier (IST) the same instant is 08:30 local: in peak.
    assert choose_center("critical", "emea", "en", utc(2026, 10, 19, 7, 30)) == "emea"


def test_holiday_takes_a_center_off_peak_for_medium_and_low_only():
    # Singapore's National Day (observed): 09:00 there, Austin just closed,
    # Dublin not yet open.
    at = NATIONAL_DAY_OBSERVED_UTC
    assert choose_center("critical", None, "en", at) == "apac"
    assert choose_center("high", None, "en", at) == "apac"
    assert choose_center("medium", None, "en", at) == "emea"
    assert choose_center("low", None, "en", at) == "emea"
    # Home tickets stay home whatever the day.
    assert choose_center("medium", "apac", "en", at) == "apac"
    assert choose_center("critical", "apac", "en", at) == "apac"


def test_christmas_in_dublin_still_takes_critical_work():
    at = dublin(2026, 12, 25, 10, 0)
    assert choose_center("critical", "emea", "en", at) == "emea"
    assert choose_center("critical", None, "de", at) == "emea"
    # Medium work waits for the first business morning: Monday in Singapore
    # (Christmas there too, Boxing Day a Saturday), hours before Austin.
    assert route_ticket("medium", None, "en", at).reason == (
        "routed to Singapore: region unknown, no center in peak hours, "
        "Singapore opens first"
    )


WEEK = [utc(2026, 3, 2, 0, 0) + timedelta(hours=h, minutes=30) for h in range(24 * 7)]


@pytest.mark.parametrize(
    "at", WEEK[::5] + [utc(2026, 3, 8, 7, 30), utc(2026, 3, 29, 1, 30)]
)
def test_routing_matrix_invariants(at):
    """Every priority, region and language over a week keeps the rules."""
    centers = default_centers()
    for priority in PRIORITIES:
        for region in (*REGIONS, None):
            for language in (*LANGUAGES, None):
                route = route_ticket(priority, region, language, at)
                chosen = centers[route.center]
                assert route.tier == 1
                assert route.reason.startswith(f"routed to {chosen.name}: ")
                if language:
                    assert language in chosen.languages
                home = next((c for c in centers.values() if region in c.regions), None)
                speaks = home is not None and (
                    not language or language in home.languages
                )
                able_in_peak = [
                    c
                    for c in centers.values()
                    if (not language or language in c.languages)
                    and c.is_in_peak(at, priority=priority)
                ]
                if priority in ("medium", "low") and speaks:
                    assert chosen is home
                if priority in ("critical", "high"):
                    if speaks and home.is_in_peak(at, priority=priority):
                        assert chosen is home
                    elif able_in_peak:
                        assert chosen in able_in_peak


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("urgent", "emea", "en", utc(2026, 1, 1)), "priority"),
        (("high", "mars", "en", utc(2026, 1, 1)), "region"),
        (("high", "emea", "English", utc(2026, 1, 1)), "language"),
        (("high", "emea", "en", utc(2026, 1, 1).replace(tzinfo=None)), "at"),
        (("high", "emea", "en", "2026-01-01"), "at"),
    ],
)
def test_bad_input_names_the_field(args, field):
    with pytest.raises(InvalidInput) as caught:
        choose_center(*args)
    assert caught.value.field == field
    assert str(caught.value).startswith(field)


def _write(tmp_path, entries):
    import json

    path = tmp_path / "centers.json"
    path.write_text(json.dumps(entries))
    return path


def _center(**overrides):
    center = {
        "code": "emea",
        "name": "Dublin",
        "tz": "Europe/Dublin",
        "peak_hours": ["08:00", "20:00"],
        "business_days": ["mon", "fri"],
        "languages": ["en"],
        "holiday_country": "IE",
        "regions": ["emea"],
    }
    center.update(overrides)
    return center


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ([_center(tz="Europe/Atlantis")], "tz"),
        ([_center(peak_hours=["08:00", "25:00"])], "peak_hours"),
        ([_center(peak_hours=["09:00", "09:00"])], "peak_hours"),
        ([_center(languages=["english"])], "languages"),
        ([_center(regions=["mars"])], "regions"),
        ([_center(holiday_country="XX")], "holiday"),
        ([_center(), _center()], "appears twice"),
        ([_center(), _center(code="dublin_two")], "already served"),
        ([], "non-empty"),
    ],
)
def test_a_bad_centers_file_names_the_entry_and_field(tmp_path, entries, words):
    with pytest.raises(ConfigError, match=words):
        load_centers(_write(tmp_path, entries))
