"""Claims ledgers: many claims, checked against the release of each claim's date.

Design
------
A ledger is a CSV file with the columns ``who, date, place, side, kind, value, quote,
source_url`` (one claim per row; extra columns are kept as notes). :func:`read_ledger`
validates every row up front and names the row of any problem (a bad date, a value
over 100%, a place the gazetteer does not know), so a long ledger fails fast and
clearly. :func:`check_claims` checks each claim against the release of each source
nearest **on or before** the claim's date (a map published after a claim cannot be
what the claimant saw) or, with ``release="nearest"``, nearest either way; it states the
gap in days, warns when it is longer than ``max_gap_days``, and returns one table.
:func:`validate_ledger` adds the rules of a curated ledger (sourced rows, dates the
archives reach). The single
claim check is :func:`mapdiff.check_claim`; this module only adds the bookkeeping.
It is kept apart from :mod:`mapdiff.claims.check` so that the checking logic stays small.

The shipped ledger is ``data/claims/claims.csv`` (:func:`shipped_ledger_path`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .._dates import as_date
from .._json import SCHEMA_VERSION, jsonable
from .._resources import data_dir
from ..config import TOLERANCE
from ..errors import (
    ArgumentError,
    CoverageError,
    FormatError,
    LedgerError,
    MapdiffError,
    StaleReleaseWarning,
    UnknownPlaceError,
    quote,
)
from ..io.gate import read_input_bytes
from ..places.footprints import looks_like_path, resolve_name
from ._maps import by_source, handles
from .check import KINDS, ClaimCheck, check_claim, parse_claimed

__all__ = [
    "ARCHIVE_START",
    "CLAIMANTS",
    "Claim",
    "ClaimChecks",
    "Ledger",
    "check_claims",
    "pick_release",
    "read_ledger",
    "shipped_ledger_path",
    "validate_ledger",
]

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

#: The earliest date the archives the ledger is checked against reach (DeepState's daily
#: archive starts 2024-07-08): a claim dated before it cannot be checked, so a curated ledger
#: (:func:`validate_ledger`) refuses it.
ARCHIVE_START = dt.date(2024, 7, 1)
#: The claimant organisations of a curated ledger (``data/claims/README.md``).
CLAIMANTS = (
    "Kremlin",
    "RU MoD",
    "RU General Staff",
    "UA President",
    "UA General Staff",
    "UA Armed Forces",
    "UA National Guard",
)
LANGUAGES = ("ru", "uk", "en")
SIDES = ("RU", "UA")
#: Hosts of copies, caches and mirrors: a curated ledger cites the page itself.
_NOT_PRIMARY = (
    "web.archive.org",
    "archive.org",
    "archive.ph",
    "archive.today",
    "archive.is",
    "archive.li",
    "webcache.googleusercontent.com",
    "translate.goog",
    "ghostarchive.org",
)


@dataclass(frozen=True)
class Claim:
    """One claim of a ledger: who said what, when, about which place.

    Attributes
    ----------
    who : str
        Who made the claim.
    date : datetime.date
        When it was made.
    place, side : str
        The place claimed and the side said to hold it.
    kind : str
        ``share``, ``captured`` or ``encircled``.
    value : float or None
        The claimed share (0..1) for ``kind="share"``.
    quote, source_url, row, claimant, language, source
        The evidence: the words, where they were published, the ledger row.

    Examples
    --------
    >>> import datetime, mapdiff
    >>> c = mapdiff.Claim("someone", datetime.date(2025, 11, 27), "Pokrovsk", "RU", "share", 0.7)
    >>> c.to_dict()["date"], c.kind, c.value
    ('2025-11-27', 'share', 0.7)
    """

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
    """The claims of one ledger file, validated.

    Attributes
    ----------
    claims : tuple of Claim
        In file order.
    path : str or None
        The file read.

    Examples
    --------
    >>> import mapdiff
    >>> from mapdiff.claims.ledger import shipped_ledger_path
    >>> led = mapdiff.read_ledger(shipped_ledger_path())
    >>> type(led).__name__, led.claims[0].place, led.claims[0].value
    ('Ledger', 'Pokrovsk', 0.7)
    >>> led.to_frame().columns[:4].tolist()
    ['who', 'claimant', 'date', 'place']
    """

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
    p = Path(path)
    try:  # the input gate: a local regular file (not a FIFO or device), read with a cap
        text = read_input_bytes(p, what="ledger").decode("utf-8-sig")
    except FormatError as exc:
        raise FormatError(f"cannot read ledger {str(p)!r}: {exc}") from None
    except UnicodeDecodeError:
        raise FormatError(f"ledger {str(p)!r} is not UTF-8 text; save it as UTF-8 CSV") from None
    rows = _csv_rows(text, p)
    header = [h.strip() for h in (rows[0][1] if rows else [])]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise FormatError(
            f"ledger {str(p)!r} lacks the column(s) {', '.join(missing)}; "
            f"the header must hold: {', '.join(COLUMNS)}"
        )
    reader = [(n, dict(zip(header, fields, strict=False))) for n, fields in rows[1:]]
    claims = []
    for n, raw in reader:
        row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in raw.items()}
        row.update({c: "" for c in COLUMNS if c not in row})
        if not any(row.values()):
            continue
        where = f"ledger {p.name} row {n}"
        try:
            date = as_date(row["date"])
        except ArgumentError:
            raise FormatError(f"{where}: bad date {quote(row['date'])}; write YYYY-MM-DD") from None
        kind = row["kind"] or "share"
        if kind not in LEDGER_KINDS:
            raise FormatError(f"{where}: unknown kind {quote(kind)}; use one of: {', '.join(LEDGER_KINDS)}")
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


MAX_FIELD_CHARS = 20_000  # a quote is a sentence or two; a field this long is not a ledger's


def _csv_rows(text: str, p: Path) -> list[tuple[int, list[str]]]:
    """``(line, fields)`` of each record, parsed by the csv module from the whole text
    (``newline=""``: a U+2028 or a quoted line break is a character, never a row break),
    strictly: an unterminated quote, a line break inside a field (an unclosed quote that
    would swallow the rows after it), a record with more fields than the header and a
    field over :data:`MAX_FIELD_CHARS` are refused, naming the line."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        start = 1
        for fields in reader:
            out.append((start, fields))
            end = reader.line_num
            if end != start and any("\n" in f or "\r" in f for f in fields):
                raise LedgerError(
                    f"ledger {p.name} row at line {start}: a field runs over {end - start + 1} lines "
                    "(an unclosed quote?); close the quote or remove the line break"
                )
            if out and len(out) > 1 and len(fields) > len(out[0][1]):
                raise LedgerError(
                    f"ledger {p.name} row at line {start}: {len(fields)} fields, the header has "
                    f"{len(out[0][1])}; quote fields that hold commas"
                )
            start = end + 1
    except csv.Error as exc:
        what = str(exc)
        if "field larger" in what:
            what = f"a field longer than {MAX_FIELD_CHARS:,} characters"
        elif "end of data" in what:
            what = "an unclosed quote runs to the end of the file"
        raise LedgerError(
            f"ledger {p.name} row at line {reader.line_num}: not valid CSV ({what}); check its quotes"
        ) from None
    finally:
        csv.field_size_limit(limit)
    return [(n, f) for n, f in out if f]  # blank lines are no records


def validate_ledger(ledger, *, since: dt.date = ARCHIVE_START, today: dt.date | None = None) -> Ledger:
    """Check a ledger against the rules of a curated, sourced ledger; return it.

    :func:`read_ledger` checks what any ledger needs (dates, kinds, places the gazetteer
    knows). A curated ledger such as the shipped one must also be checkable and sourced:

    - ``date`` between ``since`` (by default :data:`ARCHIVE_START`, the earliest date the
      archives reach) and ``today``: a claim outside the archives' reach cannot be stated
      as checked, and a claim from the future is a typo;
    - ``side`` is ``RU`` or ``UA``; ``claimant`` one of :data:`CLAIMANTS`; ``language``
      ``ru``, ``uk`` or ``en``; a non-empty ``quote``;
    - a non-empty ``source`` and a primary ``source_url``: ``http(s)://`` with a host,
      not a copy or cache (``web.archive.org``, ``archive.ph``, Google's cache, ...).

    Parameters
    ----------
    ledger : Ledger or path
    since : date
        The earliest date allowed.
    today : date, optional
        The latest date allowed (default: today).

    Returns
    -------
    Ledger

    Raises
    ------
    LedgerError
        Naming the file, the row and the rule broken.

    Examples
    --------
    >>> len(validate_ledger(shipped_ledger_path())) >= 40
    True
    """
    led = ledger if isinstance(ledger, Ledger) else read_ledger(ledger)
    today = today or dt.date.today()
    name = Path(led.path).name if led.path else "ledger"
    for c in led:
        where = f"ledger {name} row {c.row}"
        if not (since <= c.date <= today):
            reach = f"before {since.isoformat()}, the earliest date the archives reach"
            raise LedgerError(
                f"{where}: date {c.date.isoformat()} is "
                + (reach if c.date < since else f"after today ({today.isoformat()})")
                + "; a claim the maps cannot check does not go in the ledger"
            )
        if c.side not in SIDES:
            raise LedgerError(f"{where}: side {c.side!r}; use one of {', '.join(SIDES)}")
        if c.claimant not in CLAIMANTS:
            raise LedgerError(f"{where}: claimant {c.claimant!r}; use one of: {', '.join(CLAIMANTS)}")
        if c.language not in LANGUAGES:
            raise LedgerError(f"{where}: language {c.language!r}; use one of {', '.join(LANGUAGES)}")
        if not c.quote:
            raise LedgerError(f"{where}: the quote is empty; quote the claim (or mark a paraphrase)")
        if not c.source:
            raise LedgerError(f"{where}: no source; name the publisher and the page that was read")
        url = urlsplit(c.source_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise LedgerError(
                f"{where}: source_url {c.source_url!r} is not an http(s) address of the page read"
            )
        host = url.hostname.lower()
        if any(host == h or host.endswith("." + h) for h in _NOT_PRIMARY):
            raise LedgerError(
                f"{where}: source_url {c.source_url!r} is a copy ({host}); cite the page itself"
            )
    return led


# ---------------------------------------------------------------------- checking
NOT_CHECKED = "not checked"
#: The verdict of a row whose check failed with an internal error (a bug in mapdiff): the
#: report keeps every other row; ``mapdiff claims`` prints it and exits 3.
ERROR = "error"


def _internal(exc: BaseException, doing: str) -> str:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 300 else text[:300] + "..."
    return f"internal error {doing} (a bug in mapdiff, please report it): {type(exc).__name__}: {text}"


@dataclass(frozen=True)
class ClaimChecks:
    """Every claim of a ledger checked against each source's release of its date.

    Attributes
    ----------
    rows : tuple of dict
        One row per claim × source (see :meth:`to_frame` for the columns).
    checks : tuple of ClaimCheck or None
        The full check behind each row (None where no release or no coverage).

    Examples
    --------
    >>> import datetime, mapdiff
    >>> claim = mapdiff.Claim("someone", datetime.date(2025, 11, 27), "Pokrovsk", "RU", "share", 0.7)
    >>> maps = [mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27")]
    >>> rep = mapdiff.check_claims([claim], maps)
    >>> type(rep).__name__, rep.to_frame()[["release", "verdict"]].iloc[0].tolist()
    ('ClaimChecks', ['2025-11-27', 'not supported'])
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

    def summary(self) -> str:
        """Plain text: one line per claim × source (date, who, claim, release, verdict, share)."""
        lines = []
        for r in self.rows:
            share = "n/a" if r["share"] is None else f"{100 * r['share']:.1f}%"
            rel = r["release"] or "none"
            g = r["gap_days"]
            gap = "" if g is None else (f", {g} d before" if g >= 0 else f", {-g} d after")
            approx = " (approximate footprint)" if r["approximate"] else ""
            claimed = "" if r["claimed"] is None or r["kind"] != "share" else f" {r['claimed']:.0%}"
            lines.append(
                f"{r['date']} {r['who']}: {r['side']} {r['kind']} {r['place']}{claimed}"
                f" | {r['source']} {rel}{gap}: {r['verdict']} (share {share}){approx}"
                + (f" — {r['note']}" if r["note"] else "")
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<b>ClaimChecks</b>" + self.to_frame().to_html(index=False, na_rep="", escape=True)

    def plot(self, ax=None, **kwargs):
        """Share held against the claimed share (:func:`mapdiff.draw.plot.plot_claims_report`)."""
        from ..draw.plot import plot_claims_report

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


RELEASE_RULES = ("on_or_before", "nearest")
#: Default ``max_gap_days`` of :func:`check_claims`: an older release than this warns.
MAX_GAP_DAYS = 7


def pick_release(dated: list, day: dt.date, rule: str = "on_or_before"):
    """The (as_of, ...) entry of ``dated`` (sorted by date) a claim of ``day`` is checked against.

    ``"on_or_before"``: the newest release dated on or before ``day`` (None if there is none).
    ``"nearest"``: the release nearest ``day`` either way; a tie goes to the earlier one.

    Examples
    --------
    >>> rel = [(dt.date(2025, 11, 1),), (dt.date(2025, 11, 24),)]
    >>> pick_release(rel, dt.date(2025, 11, 20))[0].isoformat()
    '2025-11-01'
    >>> pick_release(rel, dt.date(2025, 11, 20), "nearest")[0].isoformat()
    '2025-11-24'
    """
    if rule not in RELEASE_RULES:
        raise ArgumentError(f"unknown release rule {rule!r}; use one of: {', '.join(RELEASE_RULES)}")
    before = [h for h in dated if h[0] <= day]
    if rule == "on_or_before" or not dated:
        return before[-1] if before else None
    after = [h for h in dated if h[0] > day]
    cands = ([before[-1]] if before else []) + ([after[0]] if after else [])
    return min(cands, key=lambda h: abs((day - h[0]).days))


def check_claims(
    ledger,
    maps,
    *,
    tolerance: float = TOLERANCE,
    policy: str = "nobody",
    footprint_kind: str | None = None,
    release: str = "on_or_before",
    max_gap_days: int | None = MAX_GAP_DAYS,
) -> ClaimChecks:
    """Check every claim of a ledger against each source's release of the claim's date.

    Parameters
    ----------
    ledger : Ledger, path, or iterable of Claim
    maps : ControlMaps, folder, glob, files, :class:`mapdiff.Releases`, or a mapping
        ControlMaps, a folder, a glob or a list of files of releases, Releases, a list
        of those, or a mapping ``source -> any of those``. Grouped by source (a mapping's
        keys name the sources; a key naming a profile reads with it); releases are read
        lazily (only those used). Maps without ``as_of`` are ignored.
    tolerance, policy, footprint_kind
        Passed to :func:`mapdiff.check_claim`.
    release : {"on_or_before", "nearest"}
        Which release a claim is checked against. ``"on_or_before"`` (default): the newest
        release dated on or before the claim (a later map cannot be what the claimant saw).
        ``"nearest"``: the release nearest the claim's date either way (a tie goes to the
        earlier one), for when a release a few days later says more than a weeks-old one.
    max_gap_days : int or None
        Warn (:class:`~mapdiff.errors.StaleReleaseWarning`) when the release used is more
        than this many days from the claim, naming the nearer release after the claim
        where one was supplied. None: never warn. The gap is stated in every row anyway.

    Returns
    -------
    ClaimChecks
        One row per claim × source. ``gap_days`` is the claim's date minus the release's
        (negative for a release after the claim, only with ``release="nearest"``); a
        source with no release to use gives verdict ``no release``; a map not covering the
        place gives ``not covered``. A gap past ``max_gap_days`` is also said in ``note``.

    Examples
    --------
    >>> import mapdiff
    >>> maps = [mapdiff.read_map(p) for p in mapdiff.sample_paths()]
    >>> rep = check_claims(shipped_ledger_path(), maps)      # doctest: +SKIP
    >>> rep.to_frame()[["place", "kind", "release", "verdict"]]   # doctest: +SKIP
    """
    ledger = as_ledger(ledger)
    if release not in RELEASE_RULES:
        raise ArgumentError(f"unknown release rule {release!r}; use release='on_or_before' or 'nearest'")
    if max_gap_days is not None and not (isinstance(max_gap_days, int) and max_gap_days >= 0):
        raise ArgumentError(f"max_gap_days must be a whole number of days >= 0 or None, got {max_gap_days!r}")
    groups = {
        source: sorted((h for h in handles(parts) if h[0] is not None), key=lambda h: h[0])
        for source, parts in by_source(maps, what="check_claims").items()
    }
    options = {"tolerance": tolerance, "policy": policy, "footprint_kind": footprint_kind}
    rows, checks = [], []
    loaded: dict = {}  # (source, as_of) -> ControlMap, so a series reads each release once
    for claim in ledger:
        for source, dated in groups.items():
            row = _row(claim, source, policy)
            chosen = pick_release(dated, claim.date, release)
            if chosen is None:
                first = dated[0][0].isoformat() if dated else "none dated"
                row["note"] = f"no {source} release on or before {claim.date} (first: {first})"
                rows.append(row)
                checks.append(None)
                continue
            as_of, load = chosen
            gap = (claim.date - as_of).days
            stale = _stale(claim, source, dated, as_of, gap, release, max_gap_days)
            row.update(release=as_of.isoformat(), gap_days=gap)
            if (source, as_of) not in loaded:
                loaded[source, as_of] = _load(load)
            chk = _check_row(row, claim, loaded[source, as_of], stale, options)
            rows.append(row)
            checks.append(chk)
    return ClaimChecks(tuple(rows), tuple(checks))


def as_ledger(ledger) -> Ledger:
    """A Ledger from a Ledger, the path of a ledger file or an iterable of Claims."""
    if isinstance(ledger, Ledger):
        return ledger
    return read_ledger(ledger) if isinstance(ledger, str | Path) else Ledger(tuple(ledger))


def _row(claim: Claim, source: str, policy: str) -> dict:
    """The row of a claim on a source before any release is used (verdict ``no release``)."""
    place = getattr(claim.place, "name", claim.place)  # a Footprint object or a name/path
    return {
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


def _stale(claim: Claim, source: str, dated: list, as_of, gap: int, release: str, max_gap_days) -> str:
    """The note (and :class:`~mapdiff.errors.StaleReleaseWarning`) for a release more than
    ``max_gap_days`` from the claim, naming a nearer later release; "" when it is recent."""
    if max_gap_days is None or abs(gap) <= max_gap_days:
        return ""
    later = next((h[0] for h in dated if h[0] > claim.date), None)
    when = f"{gap} d before" if gap >= 0 else f"{-gap} d after"
    stale = f"the {source} release used ({as_of.isoformat()}) is {when} the claim"
    if later is not None and release == "on_or_before" and (later - claim.date).days < gap:
        stale += (
            f"; a release {(later - claim.date).days} d after it ({later}) was supplied"
            " (release='nearest' uses it)"
        )
    # stacklevel: the caller of check_claims
    warnings.warn(f"{claim.place} {claim.date}: {stale}", StaleReleaseWarning, stacklevel=3)
    return stale


def _load(load):
    """The release's ControlMap, or ``(verdict, note)`` when it cannot be read: one
    unreadable release fails its rows, the rest go on."""
    try:
        return load()
    except MapdiffError as exc:
        return (NOT_CHECKED, f"the release cannot be read: {exc}")
    except Exception as exc:
        return (ERROR, _internal(exc, "reading the release"))


def _check_row(row: dict, claim: Claim, m, stale: str, options: dict) -> ClaimCheck | None:
    """Check ``claim`` on the map ``m`` (or its reading failure) and fill ``row`` in; the
    ClaimCheck, or None when there is no check (a failure is said in the row)."""
    if isinstance(m, tuple):
        row.update(verdict=m[0], note=m[1])
        return None
    kind = NEGATIONS.get(claim.kind, claim.kind)
    try:
        chk = check_claim(m, claim.place, claim.side, claim.value, kind=kind, **options)
    except CoverageError as exc:
        row.update(verdict="not covered", note=str(exc))
        return None
    except MapdiffError as exc:
        if kind != "encircled":
            raise
        row.update(verdict=NOT_CHECKED, note=str(exc))
        return None
    except Exception as exc:  # a bug on one claim: the row says so, the other claims go on
        row.update(verdict=ERROR, note=_internal(exc, "checking the claim"))
        return None
    row.update(
        place=chk.place,
        share=chk.share,
        policy=chk.policy,
        verdict=_OPPOSITE.get(chk.verdict, chk.verdict) if claim.kind in NEGATIONS else chk.verdict,
        footprint_kind=chk.footprint_kind,
        approximate=chk.approximate,
        held_km2=chk.held_km2,
        footprint_km2=chk.footprint_km2,
        short_km2=chk.short_km2,
        note="; ".join(
            [stale] * bool(stale) + [n for n in chk.notes if not n.startswith("approximate footprint")]
        ),
    )
    return chk
