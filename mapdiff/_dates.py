"""The one date parser: every date mapdiff reads (an ``as_of=``, a ledger row, a release's
file name or date property, a ``fetch`` date) goes through here.

Two entry points, for the two situations:

- :func:`as_date` for a date the caller *gives*: strict, raises
  :class:`~mapdiff.errors.ArgumentError` naming the accepted forms;
- :func:`find_date` for a date *found* in text (a file name, a property value):
  lenient, the first plausible date or ``None``.

Accepted: ``datetime.date``/``datetime`` (and pandas ``Timestamp``), ``YYYY-MM-DD``
(optionally followed by a time, ``2025-11-27T09:30:00Z``) and ``YYYYMMDD``.

Examples
--------
>>> as_date("2025-11-27T09:30:00Z")
datetime.date(2025, 11, 27)
>>> find_date("deepstatemap_data_20251127.geojson")
datetime.date(2025, 11, 27)
>>> find_date("map.geojson") is None
True
"""

from __future__ import annotations

import datetime as dt
import re

from .errors import ArgumentError

__all__ = ["as_date", "find_date"]

# a whole given value: ISO date (a time may follow) or compact YYYYMMDD
_GIVEN = (
    re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
# a date somewhere in text, not part of a longer number
_IN_TEXT = (
    re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
)


def _day(m: re.Match) -> dt.date | None:
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:  # 2025-13-01
        return None


def as_date(value, *, where: str = "") -> dt.date:
    """``value`` as a date, or an :class:`~mapdiff.errors.ArgumentError`.

    ``where`` prefixes the message (``"claims.csv row 2: "``, ``"--as-of "``).

    >>> as_date("20251127")
    datetime.date(2025, 11, 27)
    >>> as_date("27.11.2025")
    Traceback (most recent call last):
    ...
    mapdiff.errors.ArgumentError: '27.11.2025' is not a date; write YYYY-MM-DD (or YYYYMMDD)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for rx in _GIVEN:
        m = rx.fullmatch(text)
        if m and (day := _day(m)) is not None:
            return day
    raise ArgumentError(f"{where}{value!r} is not a date; write YYYY-MM-DD (or YYYYMMDD)")


def find_date(value) -> dt.date | None:
    """The first valid date in ``value`` (a date object, a file name, a property value), else None.

    >>> find_date("2025-11-27T09:30:00Z")
    datetime.date(2025, 11, 27)
    >>> find_date("release 20251340") is None
    True
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    for rx in _IN_TEXT:
        for m in rx.finditer(text):
            day = _day(m)
            if day is not None:
                return day
    return None
