"""mapdiff/_dates.py: the one date parser (given dates strict, found dates lenient)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, strategies as st

import mapdiff
from mapdiff._dates import as_date, find_date


@pytest.mark.parametrize(
    "value",
    [
        "2025-11-27",
        " 2025-11-27 ",
        "20251127",
        "2025-11-27T09:30:00Z",
        "2025-11-27 09:30",
        dt.date(2025, 11, 27),
        dt.datetime(2025, 11, 27, 23, 59),
        pd.Timestamp("2025-11-27 12:00"),
    ],
)
def test_given_dates_in_every_accepted_form(value):
    assert as_date(value) == dt.date(2025, 11, 27)


@pytest.mark.parametrize("value", ["27.11.2025", "2025-13-01", "2025-11", "yesterday", "2025112", None])
def test_a_bad_given_date_is_an_argument_error_naming_the_form(value):
    with pytest.raises(
        mapdiff.errors.ArgumentError, match=r"where: .* is not a date; write YYYY-MM-DD"
    ) as err:
        as_date(value, where="where: ")
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "text, day",
    [
        ("deepstatemap_data_20251127.geojson", dt.date(2025, 11, 27)),
        ("2025-11-27.json", dt.date(2025, 11, 27)),
        ("isw_2023-05-21_T1200.kmz", dt.date(2023, 5, 21)),
        ("x_20251340_y_20251127", dt.date(2025, 11, 27)),  # an impossible date is skipped
        ("id 1234567890123", None),  # digits inside a longer number are not a date
        ("map.geojson", None),
    ],
)
def test_dates_found_in_text(text, day):
    assert find_date(text) == day


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_both_forms_round_trip(day):
    assert as_date(day.isoformat()) == day == as_date(day.strftime("%Y%m%d"))
    assert find_date(f"release_{day.strftime('%Y%m%d')}.geojson") == day
