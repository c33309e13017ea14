"""Labels: what a map says about a piece of land.

A :class:`Label` is a ``(status, side)`` pair. The three core statuses are
``controlled``, ``contested`` (grey zone: no side in control; its side is ``None``)
and ``encircled`` (held by a side but cut off). The set is open: profiles may
introduce their own statuses (ISW's ``advanced`` and ``claimed``, NZZ's ``lost``),
which are ordinary strings. Sides are short strings chosen by the user or profile
("RU", "UA"); nothing here knows of any particular war: the aliases users may type for a
side ("Russia", "RUS", "ukraine") come from a small data table, ``data/sides.csv``
(columns ``side, alias``), read by :func:`canonical_side`.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass

from . import config
from ._resources import data_dir
from .errors import UnknownLabelError, UnknownSideError

__all__ = [
    "CONTESTED",
    "CONTROLLED",
    "ENCIRCLED",
    "GREY",
    "HOLDING_STATUSES",
    "NOT_COVERED",
    "Label",
    "as_label",
    "canonical_side",
    "canonical_status",
    "clean_text",
    "resolve_side",
]

CONTROLLED = "controlled"
CONTESTED = "contested"
ENCIRCLED = "encircled"
#: Statuses under which a side holds the land (used by shares and claims).
HOLDING_STATUSES = frozenset({CONTROLLED, ENCIRCLED})


@dataclass(frozen=True, order=True)
class Label:
    """What a map says of an area: a status and the side it concerns.

    Parameters
    ----------
    status : str
        ``"controlled"``, ``"contested"``, ``"encircled"`` or a profile's own status.
    side : str or None
        The side ("RU", "UA"); ``None`` for the grey zone and for "not covered".

    Examples
    --------
    >>> Label("controlled", "RU")
    Label('controlled', 'RU')
    >>> str(Label("contested", None))
    'contested'
    >>> Label.parse("controlled:RU") == Label("controlled", "RU")
    True
    """

    status: str
    side: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, str) or not self.status.strip():
            raise UnknownLabelError(f"a label needs a non-empty status string, got {self.status!r}")
        if self.side is not None and (not isinstance(self.side, str) or not self.side.strip()):
            raise UnknownLabelError(f"a side is a short non-empty string or None, got {self.side!r}")

    def __repr__(self) -> str:
        return f"Label({self.status!r}, {self.side!r})"

    def __str__(self) -> str:
        return self.status if self.side is None else f"{self.status}:{self.side}"

    @property
    def holds(self) -> bool:
        """True when the side holds the land (``controlled`` or ``encircled``)."""
        return self.side is not None and self.status in HOLDING_STATUSES

    @classmethod
    def parse(cls, text: str) -> Label:
        """Parse ``"status:side"`` or ``"status"`` (see :func:`as_label`)."""
        status, _, side = str(text).partition(":")
        return cls(status.strip(), side.strip() or None)

    def to_dict(self) -> dict:
        """``{"status": ..., "side": ...}``."""
        return {"status": self.status, "side": self.side}


GREY = Label(CONTESTED, None)
#: Pseudo-label for land inside an area of interest that a map does not cover.
NOT_COVERED = Label("not_covered", None)


def as_label(value: Label | tuple | str) -> Label:
    """Coerce a Label, a ``(status, side)`` tuple or a ``"status:side"`` string.

    Examples
    --------
    >>> as_label(("controlled", "UA"))
    Label('controlled', 'UA')
    >>> as_label("contested")
    Label('contested', None)
    """
    if isinstance(value, Label):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return Label(value[0], value[1])
    if isinstance(value, str):
        return Label.parse(value)
    raise UnknownLabelError(
        f"cannot read {value!r} as a label: give a Label, a (status, side) tuple "
        "or a 'status:side' string such as 'controlled:RU'"
    )


@config.cached(maxsize=1)
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    with open(data_dir() / "sides.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["alias"].strip().casefold()] = row["side"].strip()
            out[row["side"].strip().casefold()] = row["side"].strip()
    return out


def clean_text(text: str) -> str:
    """``text`` as people read it: Unicode NFKC (full-width and compatibility forms folded),
    control and format characters removed (terminal escapes, zero-width spaces and joiners,
    bidi marks, soft hyphens), whitespace (line breaks too) collapsed. Every side and
    status read from a map or typed by a user passes here, so ``"RU\u200b"`` is ``"RU"``,
    never a side of its own.

    Examples
    --------
    >>> clean_text("R\u200bU "), clean_text("\uff32\uff35"), clean_text("con  trolled")
    ('RU', 'RU', 'con trolled')
    """
    text = " ".join(unicodedata.normalize("NFKC", str(text)).split())
    if not text.isprintable():  # control (ESC, BEL) and format characters
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    return text


def canonical_status(status) -> str:
    """The one spelling of a status: :func:`clean_text`, lower case (``"Controlled"`` is
    ``"controlled"``; statuses are lower-case words).

    Examples
    --------
    >>> canonical_status(" Controlled\u200b")
    'controlled'
    """
    return clean_text(status).casefold()


def canonical_side(side) -> str:
    """The one spelling of a side: an alias from ``data/sides.csv`` mapped, else as given.

    Examples
    --------
    >>> canonical_side("Russia"), canonical_side(" ukr "), canonical_side("Russian Federation")
    ('RU', 'UA', 'RU')
    >>> canonical_side("Blue")  # a side of somebody else's war: kept as given
    'Blue'
    """
    if not isinstance(side, str) or not side.strip():
        raise UnknownSideError(f"a side is a short non-empty string such as 'RU', got {side!r}")
    text = clean_text(side)
    if not text:
        raise UnknownSideError(f"a side is a short non-empty string such as 'RU', got {side!r}")
    return _aliases().get(text.casefold(), text)


def resolve_side(side, known, *, what: str = "the map") -> str:
    """``side`` in its one spelling, checked against the sides ``known`` (else an error).

    Raises
    ------
    UnknownSideError
        Naming the known sides (and the aliases accepted), never a silent 0%.

    Examples
    --------
    >>> resolve_side("Russia", ["RU", "UA"])
    'RU'
    >>> resolve_side("XX", ["RU", "UA"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapdiff.errors.UnknownSideError: side 'XX' is not on the map; its sides: RU, UA (aliases ...)
    """
    canon = canonical_side(side)
    known = [k for k in dict.fromkeys(known) if k]
    if canon not in known:
        hint = " (aliases such as 'Russia', 'RUS', 'Ukraine', 'UKR' are accepted)"
        raise UnknownSideError(
            f"side {side!r} is not on {what}; its sides: {', '.join(known) or 'none'}{hint}"
        )
    return canon
