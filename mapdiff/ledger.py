"""Claims ledgers: many claims, checked against the release of each claim's date.

Design
------
A ledger is a CSV file with the columns ``who, date, place, side, kind, value, quote,
source_url`` (one claim per row; extra columns are kept as notes). :func:`read_ledger`
validates every row up front and names the row of any problem (a bad date, a value
over 100%, a place the gazetteer does not know), so a long ledger fails fast and
clearly. :func:`check_claims` checks each claim against the release of each source
nearest **on or before** the claim's date (a map published after a claim cannot be
what the claimant saw), states the gap in days, and returns one table. The single
claim check is :func:`mapdiff.check_claim`; this module only adds the bookkeeping.
It is kept apart from :mod:`mapdiff.claims` so that the checking logic stays small.

The shipped ledger is ``data/claims/claims.csv`` (:func:`shipped_ledger_path`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._dates import as_date
from ._json import SCHEMA_VERSION, jsonable
from ._resources import data_dir
from .claims import KINDS, ClaimCheck, check_claim, parse_claimed
from .errors import ArgumentError, CoverageError, FormatError, MapdiffError, UnknownPlaceError

__all__ = ["Claim", "ClaimsReport", "Ledger", "check_claims", "read_ledger", "shipped_ledger_path"]

COLUMNS = (
    "who",
    "claimant",
    "date",
    "place",
    "side",
    "kind",
    "value",
    "quote",
    "language",
    "source",
    "source_url",
)
#: Denials a ledger may record besides the claim kinds of :func:`mapdiff.check_claim`: each is
#: checked as the claim it denies, and its verdict is the opposite.
NEGATIONS = {"not_captured": "captured", "not_encircled": "encircled"}
LEDGER_KINDS = (*KINDS, *NEGATIONS)
_OPPOSITE = {"supported": "not supported", "not supported": "supported"}
_REQUIRED = ("who", "date", "place", "side", "kind")


@dataclass(frozen=True)
class Claim:
    """One claim of a ledger: who said what, when, about which place."""

    who: str
    date: dt.date
    place: str
    side: str
    kind: str = "share"
    value: float | None = None
    quote: str = ""
    source_url: str = ""
    row: int | None = None
    claimant: str = ""
    language: str = ""
    source: str = ""

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "who": self.who,
            "date": self.date.isoformat(),
            "place": self.place,
            "side": self.side,
            "kind": self.kind,
            "value": self.value,
            "quote": self.quote,
            "source_url": self.source_url,
            "row": self.row,
            "claimant": self.claimant,
            "language": self.language,
            "source": self.source,
        }


@dataclass(frozen=True)
class Ledger:
    """The claims of one ledger file, validated."""

    claims: tuple[Claim, ...]
    path: str | None = None

    def __len__(self) -> int:
        return len(self.claims)

    def __iter__(self):
        return iter(self.claims)

    def to_frame(self):
        """The claims as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([c.to_dict() for c in self.claims], columns=[*COLUMNS, "row"])

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "ledger",
            "path": self.path,
            "claims": [c.to_dict() for c in self.claims],
        }


def shipped_ledger_path() -> Path:
    """The ledger shipped with mapdiff (``data/claims/claims.csv``).

    Examples
    --------
    >>> shipped_ledger_path().name
    'claims.csv'
    """
    return data_dir() / "claims" / "claims.csv"


def read_ledger(path) -> Ledger:
    """Read and validate a claims ledger (CSV).

    Parameters
    ----------
    path : str or Path
        CSV with a header row holding at least ``who, date, place, side, kind``;
        ``value`` is the claimed share for ``kind=share`` (0.7, 70 or 70%); ``quote``
        and ``source_url`` may be empty. ``place`` is a gazetteer name or alias, or the
        path of a polygon file (relative to the ledger's folder).

    Returns
    -------
    Ledger

    Raises
    ------
    MapdiffError
        Naming the file and row: missing column, bad date, unknown kind, value missing
        or over 100%, unknown place (with the closest matches), empty side.

    Examples
    --------
    >>> led = read_ledger(shipped_ledger_path())
    >>> day = [c for c in led if c.date.isoformat() == "2025-11-27" and c.place != "Kupiansk"]
    >>> [(c.place, c.kind, c.value) for c in day]
    [('Pokrovsk', 'share', 0.7), ('Pokrovsk', 'encircled', None), ('Myrnohrad', 'encircled', None)]
    """
    from .places.footprints import looks_like_path, resolve_name

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FormatError(f"cannot read ledger {str(p)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FormatError(f"ledger {str(p)!r} is not UTF-8 text; save it as UTF-8 CSV") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise FormatError(
            f"ledger {str(p)!r} lacks the column(s) {', '.join(missing)}; "
            f"the header must hold: {', '.join(COLUMNS)}"
        )
    claims = []
    for n, raw in enumerate(reader, start=2):  # row 1 is the header
        row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in raw.items()}
        if not any(row.values()):
            continue
        where = f"ledger {p.name} row {n}"
        try:
            date = as_date(row["date"])
        except ArgumentError:
            raise FormatError(f"{where}: bad date {row['date']!r}; write YYYY-MM-DD") from None
        kind = row["kind"] or "share"
        if kind not in LEDGER_KINDS:
            raise FormatError(f"{where}: unknown kind {kind!r}; use one of: {', '.join(LEDGER_KINDS)}")
        side = row["side"]
        if not side:
            raise FormatError(f"{where}: the side is empty; write e.g. RU")
        value = None
        if row.get("value"):
            try:
                value = parse_claimed(row["value"])
            except MapdiffError as exc:
                raise FormatError(f"{where}: {exc}") from None
        elif kind == "share":
            raise FormatError(f"{where}: a share claim needs a value (e.g. 70%)")
        place = row["place"]
        if not place:
            raise FormatError(f"{where}: the place is empty")
        if looks_like_path(place):
            fp_path = Path(place) if Path(place).is_absolute() else p.parent / place
            if not fp_path.is_file():
                raise FormatError(f"{where}: polygon file {place!r} not found next to the ledger")
            place = str(fp_path)
        else:
            try:
                place = resolve_name(place)
            except UnknownPlaceError as exc:
                raise UnknownPlaceError(f"{where}: {exc}") from None
        claims.append(
            Claim(
                row["who"],
                date,
                place,
                side,
                kind,
                value,
                row.get("quote", ""),
                row.get("source_url", ""),
                n,
                claimant=row.get("claimant", ""),
                language=row.get("language", ""),
                source=row.get("source", ""),
            )
        )
    return Ledger(tuple(claims), str(p))


# ---------------------------------------------------------------------- checking
@dataclass(frozen=True)
class ClaimsReport:
    """Every claim of a ledger checked against each source's release of its date.

    Attributes
    ----------
    rows : tuple of dict
        One row per claim × source (see :meth:`to_frame` for the columns).
    checks : tuple of ClaimCheck or None
        The full check behind each row (None where no release or no coverage).
    """

    rows: tuple = ()
    checks: tuple = field(default=(), compare=False, repr=False)

    def to_frame(self):
        """One row per claim × source: who, date, place, side, kind, claimed, source,
        release, gap_days, share, policy, verdict, footprint_kind, approximate, held_km2,
        footprint_km2, short_km2, note."""
        import pandas as pd

        return pd.DataFrame([dict(r) for r in self.rows], columns=_REPORT_COLUMNS)

    def to_dict(self) -> dict:
        """JSON-ready dict (``schema_version`` 1)."""
        return jsonable(
            {"schema_version": SCHEMA_VERSION, "type": "claims_report", "rows": [dict(r) for r in self.rows]}
        )

    def __str__(self) -> str:
        lines = []
        for r in self.rows:
            share = "n/a" if r["share"] is None else f"{100 * r['share']:.1f}%"
            rel = r["release"] or "none"
            gap = "" if r["gap_days"] is None else f", {r['gap_days']} d before"
            approx = " (approximate footprint)" if r["approximate"] else ""
            claimed = "" if r["claimed"] is None or r["kind"] != "share" else f" {r['claimed']:.0%}"
            lines.append(
                f"{r['date']} {r['who']}: {r['side']} {r['kind']} {r['place']}{claimed}"
                f" | {r['source']} {rel}{gap}: {r['verdict']} (share {share}){approx}"
                + (f" — {r['note']}" if r["note"] else "")
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<b>ClaimsReport</b>" + self.to_frame().to_html(index=False, na_rep="", escape=True)

    def plot(self, ax=None, **kwargs):
        """Share held against the claimed share (:func:`mapdiff.draw.plot.plot_claims_report`)."""
        from .draw.plot import plot_claims_report

        return plot_claims_report(self, ax=ax, **kwargs)


_REPORT_COLUMNS = [
    "who",
    "date",
    "place",
    "side",
    "kind",
    "claimed",
    "source",
    "release",
    "gap_days",
    "share",
    "policy",
    "verdict",
    "footprint_kind",
    "approximate",
    "held_km2",
    "footprint_km2",
    "short_km2",
    "note",
]


def _is_series(obj) -> bool:
    """A release series (e.g. :class:`mapdiff.Series`): ``dates``, ``source`` and indexing."""
    return hasattr(obj, "dates") and hasattr(obj, "source") and hasattr(obj, "__getitem__")


def _handles(obj) -> list[tuple]:
    """[(as_of, loader)] for a ControlMap, a list of them or a series (read lazily)."""
    from .model import ControlMap

    if isinstance(obj, ControlMap):
        return [(obj.as_of, lambda m=obj: m)]
    if _is_series(obj):
        return [(d, lambda i=i, s=obj: s[i]) for i, d in enumerate(obj.dates)]
    out = []
    for m in obj:
        if _is_series(m):
            out += _handles(m)
        elif isinstance(m, ControlMap):
            out.append((m.as_of, lambda m=m: m))
        else:
            raise ArgumentError(
                f"check_claims needs ControlMaps (from mapdiff.read_map) or a Series, got {type(m).__name__}"
            )
    return out


def _group_maps(maps) -> dict[str, list]:
    """{source: [(as_of, loader), ...]} from maps, a mapping source -> maps, or series."""
    from .model import ControlMap

    if isinstance(maps, Mapping):
        return {str(k): _handles(v) for k, v in maps.items()}
    if isinstance(maps, ControlMap) or _is_series(maps):
        maps = [maps]
    groups: dict[str, list] = {}
    for m in maps:
        if _is_series(m):
            groups.setdefault(str(m.source), []).extend(_handles(m))
        elif isinstance(m, ControlMap):
            groups.setdefault(m.source, []).extend(_handles(m))
        else:
            raise ArgumentError(
                f"check_claims needs ControlMaps (from mapdiff.read_map) or a Series, got {type(m).__name__}"
            )
    return groups


def check_claims(
    ledger, maps, *, tolerance: float = 0.05, policy: str = "nobody", footprint_kind: str | None = None
) -> ClaimsReport:
    """Check every claim of a ledger against each source's release of the claim's date.

    Parameters
    ----------
    ledger : Ledger, path, or iterable of Claim
    maps : list of ControlMap, mapping source -> list of ControlMap, or :class:`mapdiff.Series`
        (or a list of them). Releases are grouped by source; a series is read lazily
        (only the releases used). Releases without ``as_of`` are ignored.
    tolerance, policy, footprint_kind
        Passed to :func:`mapdiff.check_claim`.

    Returns
    -------
    ClaimsReport
        One row per claim × source. The release used is the newest on or before the
        claim's date (``gap_days`` says how old it was); a source with no release by
        then gives verdict ``no release``; a map not covering the place gives
        ``not covered``.

    Examples
    --------
    >>> import mapdiff
    >>> maps = [mapdiff.read_map(p) for p in mapdiff.sample_paths()]
    >>> rep = check_claims(shipped_ledger_path(), maps)      # doctest: +SKIP
    >>> rep.to_frame()[["place", "kind", "release", "verdict"]]   # doctest: +SKIP
    """
    if not isinstance(ledger, Ledger):
        ledger = read_ledger(ledger) if isinstance(ledger, str | Path) else Ledger(tuple(ledger))
    groups = _group_maps(maps)
    if not groups:
        raise ArgumentError("check_claims needs at least one map")
    rows, checks = [], []
    loaded: dict = {}  # (source, as_of) -> ControlMap, so a series reads each release once
    for claim in ledger:
        for source, releases in groups.items():
            dated = sorted((h for h in releases if h[0] is not None), key=lambda h: h[0])
            before = [h for h in dated if h[0] <= claim.date]
            place = getattr(claim.place, "name", claim.place)  # a Footprint object or a name/path
            base = {
                "who": claim.who,
                "date": claim.date.isoformat(),
                "place": str(place),
                "side": claim.side,
                "kind": claim.kind,
                "claimed": claim.value,
                "source": source,
                "release": None,
                "gap_days": None,
                "share": None,
                "policy": policy,
                "verdict": "no release",
                "footprint_kind": None,
                "approximate": None,
                "held_km2": None,
                "footprint_km2": None,
                "short_km2": None,
                "note": "",
            }
            if not before:
                first = dated[0][0].isoformat() if dated else "none dated"
                base["note"] = f"no {source} release on or before {claim.date} (first: {first})"
                rows.append(base)
                checks.append(None)
                continue
            as_of, load = before[-1]
            if (source, as_of) not in loaded:
                loaded[source, as_of] = load()
            m = loaded[source, as_of]
            base.update(release=as_of.isoformat(), gap_days=(claim.date - as_of).days)
            try:
                chk: ClaimCheck = check_claim(
                    m,
                    claim.place,
                    claim.side,
                    claim.value,
                    kind=NEGATIONS.get(claim.kind, claim.kind),
                    tolerance=tolerance,
                    footprint_kind=footprint_kind,
                    policy=policy,
                )
            except CoverageError as exc:
                base.update(verdict="not covered", note=str(exc))
                rows.append(base)
                checks.append(None)
                continue
            except MapdiffError as exc:
                if NEGATIONS.get(claim.kind, claim.kind) != "encircled":
                    raise
                base.update(verdict="not checked", note=str(exc))
                rows.append(base)
                checks.append(None)
                continue
            base.update(
                place=chk.place,
                share=chk.share,
                policy=chk.policy,
                verdict=_OPPOSITE.get(chk.verdict, chk.verdict) if claim.kind in NEGATIONS else chk.verdict,
                footprint_kind=chk.footprint_kind,
                approximate=chk.approximate,
                held_km2=chk.held_km2,
                footprint_km2=chk.footprint_km2,
                short_km2=chk.short_km2,
                note="; ".join(n for n in chk.notes if not n.startswith("approximate footprint")),
            )
            rows.append(base)
            checks.append(chk)
    return ClaimsReport(tuple(rows), tuple(checks))
