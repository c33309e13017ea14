"""Source profiles: how one source's raw features become labels.

A profile is data, not code: a TOML file (built-in ones sit beside this module; users
load theirs with :func:`load_profile` and :func:`register_profile`). Keys:

``name``, ``title``, ``attribution``
    Identity and the credit line shown with results and images.
``coverage``
    ``"ukraine"`` (a boundary shipped in ``data/geo/``), a path to a polygon file, or
    absent (the map covers what it draws).
``background``
    Label implied inside the coverage where the map draws nothing (``"controlled:UA"``).
``precedence``
    Labels, highest first, deciding overlaps; ``"controlled"`` without a side matches
    every side.
``drop_mostly_outside``
    ``true`` (default): drop features lying mostly outside the coverage (political
    polygons over neighbouring countries); ``false``: keep and clip them, for sources
    whose features may straddle the border.
``scope``, ``not_drawn``
    Notes on what the source never draws (``not_drawn`` keys: ``crimea``, ``pre2022``).
``classes``
    The classes the source has, from ``controlled``, ``contested`` (a grey zone),
    ``retaken``, ``pre2022``, ``advanced``, ``claimed``, ``lost``, ``encircled``, plus
    a note per class in ``[class_notes]``. A source whose classes omit ``contested`` has
    no grey zone: results say so instead of reporting a grey zone of 0 km². Absent: the
    classes are inferred from the labels drawn.
``[[detect]]``
    Content tests; a profile matches a file when all keys of one table hold:
    ``collection_name`` (regex on the collection's ``name``), ``file_name`` (regex on the
    file's name), ``columns`` (all present), ``property`` + ``pattern`` (regex matching
    at least one feature's value).
``[as_of]``
    Where the date comes from: ``property`` (a feature property, the latest value),
    ``collection_name`` / ``file_name`` (regex with one group of ``YYYYMMDD`` or
    ``YYYY-MM-DD``, or of ``format``), ``top_level`` (a member of a wrapping JSON
    object). ``format``: a :func:`~datetime.datetime.strptime` format for the group
    (``"%y_%m_%d"``) or ``"unix"`` (seconds since 1970, UTC).
``[[rules]]``
    First match wins. ``property`` + one of ``values`` (list), ``pattern`` (regex),
    ``missing = true`` (absent/empty); ``every = true`` (every feature, for files whose
    class is in their name); or ``status_column`` (+ ``side_column``) to take labels
    from columns. ``label = "status:side"``, or ``"drop"`` to ignore a feature.
    ``report = "why"`` on a ``"drop"`` rule: the features it drops are counted, measured
    and named in the normalisation report (kind ``dropped_by_profile``).

Patterns are data from a file, so they are bounded before use: a pattern with a
quantified group that itself repeats or alternates (``(a+)+``, ``(a|aa)*``), a
back-reference, or more than two unbounded quantifiers is refused on load (Python's
``re`` backtracks exponentially only through nested or ambiguous repetition), and every
value is matched on its first :data:`MAX_MATCH_CHARS` characters, which bounds what is
left (polynomial in the text length, of degree at most three).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._dates import find_date
from ..errors import FormatError, ProfileError, UnknownSourceError, quote
from ..io.gate import read_input_bytes
from ..labels import Label, as_label, canonical_side, canonical_status, clean_text

if TYPE_CHECKING:  # the tables are DataFrames, made by the reader (which imports pandas)
    import pandas as pd

__all__ = [
    "Profile",
    "available_profiles",
    "detect_profile",
    "get_profile",
    "load_profile",
    "register_profile",
    "registered_profiles",
]

_TOP_KEYS = {
    "name",
    "title",
    "source_name",
    "lean",
    "attribution",
    "coverage",
    "background",
    "precedence",
    "scope",
    "not_drawn",
    "detect",
    "as_of",
    "rules",
    "description",
    "licence",
    "url",
    "drop_mostly_outside",
    "classes",
    "class_notes",
}
_DETECT_KEYS = {"collection_name", "file_name", "columns", "property", "pattern"}
_ASOF_KEYS = {"property", "collection_name", "file_name", "top_level", "format"}
_RULE_KEYS = {
    "property",
    "values",
    "pattern",
    "missing",
    "every",
    "label",
    "report",
    "status_column",
    "side_column",
}
#: Class names a profile's ``classes`` may list.
CLASSES = ("controlled", "contested", "retaken", "pre2022", "advanced", "claimed", "lost", "encircled")
DROP = "drop"


@dataclass(frozen=True)
class Rule:
    """One labelling rule of a profile (see the module docstring)."""

    label: Label | None = None
    property: str | None = None
    values: tuple[str, ...] | None = None
    pattern: re.Pattern | None = None
    missing: bool = False
    every: bool = False
    report: str | None = None
    status_column: str | None = None
    side_column: str | None = None


@dataclass(frozen=True)
class Profile:
    """A source profile (see the module docstring for the TOML keys).

    Examples
    --------
    >>> p = get_profile("nzz")
    >>> p.background
    Label('controlled', 'UA')
    """

    name: str
    title: str = ""
    #: What readers call the source ("DeepStateMap"), said in every output.
    source_name: str = ""
    #: The source's lean as readers should be told it ("Ukrainian OSINT", "pro-Russian", ...).
    lean: str = ""
    attribution: str = ""
    coverage: str | None = None
    background: Label | None = None
    precedence: tuple[Label, ...] = ()
    scope: tuple[str, ...] = ()
    not_drawn: tuple[str, ...] = ()
    detect: tuple[dict, ...] = ()
    as_of: dict = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    drop_mostly_outside: bool = True
    classes: tuple[str, ...] | None = None
    class_notes: dict = field(default_factory=dict)

    @property
    def has_grey(self) -> bool | None:
        """Whether the source has a grey-zone class (None when its classes are not stated)."""
        return None if self.classes is None else "contested" in self.classes

    # -------------------------------------------------------------- detection
    def matches(
        self, table: pd.DataFrame, *, collection_name: str | None = None, file_name: str | None = None
    ) -> bool:
        """True when one of the profile's ``[[detect]]`` tables holds for this content."""
        for test in self.detect:
            ok = True
            for key, text in (("collection_name", collection_name), ("file_name", file_name)):
                if key in test:
                    ok &= bool(text) and re.search(test[key], text[:MAX_MATCH_CHARS]) is not None
            if "columns" in test:
                ok &= all(c in table.columns for c in test["columns"])
            if "property" in test:
                col = test["property"]
                ok &= col in table.columns and bool(
                    _search(table[col].dropna(), re.compile(test["pattern"])).any()
                )
            if ok:
                return True
        return False

    # -------------------------------------------------------------- labelling
    def label_features(self, table: pd.DataFrame) -> list[Label | None]:
        """A label per row of ``table`` (None where no rule matches or a rule drops it)."""
        return self.label_and_reports(table)[0]

    def label_and_reports(self, table: pd.DataFrame) -> tuple[list[Label | None], dict[str, list[int]]]:
        """Labels per row, and the rows each reporting ``drop`` rule dropped (by its ``report``)."""
        n = len(table)
        out: list[Label | None] = [None] * n
        reported: dict[str, list[int]] = {}
        todo = np.ones(n, dtype=bool)
        for rule in self.rules:
            if not todo.any():
                break
            if rule.status_column is not None:
                if rule.status_column not in table.columns:
                    continue
                status = table[rule.status_column]
                side = table[rule.side_column] if rule.side_column in table.columns else None
                for i in np.flatnonzero(todo & status.map(_present).to_numpy(dtype=bool)):
                    s = canonical_status(_scalar(status.iloc[i], rule.status_column, i))
                    sd = None if side is None or not _present(side.iloc[i]) else side.iloc[i]
                    sd = clean_text(_scalar(sd, rule.side_column, i)) if sd is not None else None
                    if s:
                        out[i] = Label(s, canonical_side(sd) if sd else None)
                        todo[i] = False
                continue
            if rule.every:
                hit = np.ones(n, dtype=bool)
            elif rule.property not in table.columns:
                hit = np.full(n, rule.missing)
            else:
                col = table[rule.property]
                absent = col.isna().to_numpy() | (col.astype(str).str.strip() == "").to_numpy()
                if rule.missing:
                    hit = absent
                elif rule.values is not None:
                    hit = col.astype(str).isin(rule.values).to_numpy() & ~absent
                else:
                    hit = _search(col, rule.pattern) & ~absent
            rows = np.flatnonzero(todo & hit)
            for i in rows:
                out[i] = rule.label
                todo[i] = False
            if rule.report and rows.size:
                reported.setdefault(rule.report, []).extend(int(i) for i in rows)
        return out, reported

    def order(self, labels) -> list[Label]:
        """Labels sorted by precedence; labels of equal rank (unlisted ones, or two sides
        under one side-less entry) by their text, never by the order of the features, so
        the same drawing reads the same in any feature order."""
        seen = list(dict.fromkeys(lab for lab in labels if lab is not None))
        return sorted(seen, key=lambda lab: (self.rank(lab), str(lab)))

    def rank(self, lab: Label) -> int:
        """Position of ``lab`` in the precedence (0 highest; unlisted labels last)."""
        for i, p in enumerate(self.precedence):
            if p.status == lab.status and (p.side is None or p.side == lab.side):
                return i
        return len(self.precedence)

    # ------------------------------------------------------------------ dates
    def find_as_of(
        self,
        table: pd.DataFrame,
        *,
        collection_name: str | None = None,
        file_name: str | None = None,
        top_level: dict | None = None,
    ) -> dt.date | None:
        """The release date the content states, or None."""
        spec = self.as_of
        prop = spec.get("property")
        if prop and prop in table.columns:
            dates = [d for d in (find_date(v) for v in table[prop].dropna()) if d]
            if dates:
                return max(dates)
        key = spec.get("top_level")
        if key and top_level and top_level.get(key):
            d = find_date(top_level[key])
            if d:
                return d
        for text, key in ((collection_name, "collection_name"), (file_name, "file_name")):
            if text and spec.get(key):
                m = re.search(spec[key], text[:MAX_MATCH_CHARS])
                if m:
                    fmt = spec.get("format")
                    d = parse_format(m.group(1), fmt) if fmt else find_date(m.group(1))
                    if d:
                        return d
        return None


#: Characters of a value (or a file or collection name) a profile pattern is matched on.
MAX_MATCH_CHARS = 256


def _search(col: pd.Series, rx: re.Pattern) -> np.ndarray:
    """Boolean array: does ``rx`` match somewhere in each value (as text, first MAX_MATCH_CHARS)?"""
    n = MAX_MATCH_CHARS
    return np.fromiter((rx.search(str(v)[:n]) is not None for v in col), dtype=bool, count=len(col))


def parse_format(text: str, fmt: str) -> dt.date | None:
    """A date written in a profile's ``as_of.format``: strptime codes, or ``"unix"``."""
    text = str(text).strip()
    try:
        if fmt == "unix":
            return dt.datetime.fromtimestamp(int(text), dt.UTC).date()
        return dt.datetime.strptime(text, fmt).date()
    except (ValueError, OverflowError, OSError):
        return None


# ---------------------------------------------------------------- loading
def _label_or_error(value, where: str) -> Label | None:
    if value == DROP:
        return None
    try:
        return as_label(value)
    except Exception as exc:  # UnknownLabelError for non-strings
        raise ProfileError(f"{where}: {exc}") from None


def _check_keys(table: dict, allowed: set, where: str) -> None:
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: expected a table, got {type(table).__name__}")
    unknown = set(table) - allowed
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise ProfileError(f"{where} must be a string, got {type(value).__name__}")
    return value


def _str_list(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def profile_from_dict(data: dict, origin: str = "<dict>") -> Profile:
    """Validate a parsed TOML table into a :class:`Profile` (errors name ``origin``)."""
    _check_keys(data, _TOP_KEYS, origin)
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
        raise ProfileError(f"{origin}: 'name' must be a short identifier string, got {name!r}")
    for key in ("title", "attribution", "coverage"):
        if key in data and not isinstance(data[key], str):
            raise ProfileError(f"{origin}: '{key}' must be a string, got {data[key]!r}")
    background = (
        _label_or_error(data["background"], f"{origin}: background") if "background" in data else None
    )
    precedence = tuple(
        _label_or_error(v, f"{origin}: precedence")
        for v in _str_list(data.get("precedence", []), f"{origin}: precedence")
    )
    detect = data.get("detect", [])
    if not isinstance(detect, list):
        raise ProfileError(f"{origin}: 'detect' must be an array of tables ([[detect]])")
    for i, test in enumerate(detect):
        _check_keys(test, _DETECT_KEYS, f"{origin}: detect[{i}]")
        if "property" in test and "pattern" not in test:
            raise ProfileError(f"{origin}: detect[{i}] names a property but no pattern")
        for key in ("collection_name", "file_name", "pattern"):
            if key in test:
                _compile(test[key], f"{origin}: detect[{i}].{key}")
    if not isinstance(data.get("drop_mostly_outside", True), bool):
        raise ProfileError(f"{origin}: 'drop_mostly_outside' must be true or false")
    as_of = data.get("as_of", {})
    _check_keys(as_of, _ASOF_KEYS, f"{origin}: as_of")
    classes = None
    if "classes" in data:
        classes = _str_list(data["classes"], f"{origin}: classes")
        unknown = [c for c in classes if c not in CLASSES]
        if unknown:
            raise ProfileError(f"{origin}: unknown class(es) {unknown}; known: {', '.join(CLASSES)}")
    notes = data.get("class_notes", {})
    _check_keys(notes, set(CLASSES), f"{origin}: class_notes")
    for key in ("collection_name", "file_name"):
        if key in as_of and _compile(as_of[key], f"{origin}: as_of.{key}").groups < 1:
            raise ProfileError(
                f"{origin}: as_of.{key} {as_of[key]!r} has no group; put the date in one, "
                "e.g. 'data_(\\d{8})'"
            )
    for key in ("property", "top_level"):
        if key in as_of and not isinstance(as_of[key], str):
            raise ProfileError(f"{origin}: as_of.{key} must be a string, got {as_of[key]!r}")
    rules = []
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ProfileError(f"{origin}: a profile needs at least one [[rules]] table")
    for i, r in enumerate(raw_rules):
        where = f"{origin}: rules[{i}]"
        _check_keys(r, _RULE_KEYS, where)
        if "status_column" in r:
            rules.append(Rule(status_column=str(r["status_column"]), side_column=r.get("side_column")))
            continue
        every = r.get("every", False) is True
        if "label" not in r or ("property" not in r and not every):
            raise ProfileError(
                f"{where}: needs 'property' and 'label' (or 'every = true', or 'status_column')"
            )
        if not every and sum(k in r for k in ("values", "pattern", "missing")) != 1:
            raise ProfileError(f"{where}: give exactly one of 'values', 'pattern', 'missing'")
        if not isinstance(r["label"], str):
            raise ProfileError(f"{where}: 'label' must be a string like 'controlled:RU'")
        if "report" in r and (r["label"] != DROP or not isinstance(r["report"], str)):
            raise ProfileError(f"{where}: 'report' is a string and goes with label = 'drop'")
        rules.append(
            Rule(
                label=_label_or_error(r["label"], where),
                property=str(r["property"]) if "property" in r else None,
                values=tuple(str(v) for v in r["values"]) if "values" in r else None,
                pattern=_compile(r["pattern"], where) if "pattern" in r else None,
                missing=bool(r.get("missing", False)),
                every=every,
                report=r.get("report"),
            )
        )
    return Profile(
        name=name,
        title=data.get("title", name),
        source_name=_text(data.get("source_name", data.get("title", name)), f"{origin}: source_name"),
        lean=_text(data.get("lean", ""), f"{origin}: lean"),
        attribution=data.get("attribution", ""),
        coverage=data.get("coverage"),
        background=background,
        precedence=precedence,
        scope=_str_list(data.get("scope", []), f"{origin}: scope"),
        not_drawn=_str_list(data.get("not_drawn", []), f"{origin}: not_drawn"),
        detect=tuple(detect),
        as_of=dict(as_of),
        rules=tuple(rules),
        drop_mostly_outside=data.get("drop_mostly_outside", True),
        classes=classes,
        class_notes={k: str(v) for k, v in notes.items()},
    )


def _compile(pattern, where: str) -> re.Pattern:
    if not isinstance(pattern, str):
        raise ProfileError(f"{where}: a pattern must be a string, got {pattern!r}")
    try:
        rx = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ProfileError(f"{where}: bad regular expression {pattern!r}: {exc}") from None
    problem = _backtracking_risk(pattern)
    if problem:
        raise ProfileError(
            f"{where}: regular expression {pattern!r} {problem}, which can take exponential time on "
            "a hostile value; write it without repeating a repeated or alternating group "
            "(e.g. 'a+' for '(a+)+', '[ab]*' for '(a|b)*')"
        )
    return rx


def _backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` could backtrack catastrophically, or None (a structural check)."""
    from re import _constants as C, _parser

    unbounded = 0

    def walk(items, in_repeat: bool) -> str | None:
        nonlocal unbounded
        for op, av in items:
            if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                _lo, hi, body = av
                if hi == C.MAXREPEAT or hi > 1000:
                    unbounded += 1
                repeats = hi > 1
                if repeats and any(o in (C.BRANCH,) for o, _ in _flat(body)):
                    return "repeats an alternation"
                if repeats and in_repeat:
                    return "nests one quantifier inside another"
                why = walk(body, in_repeat or repeats)
                if why:
                    return why
            elif op == C.SUBPATTERN:
                why = walk(av[-1], in_repeat)
                if why:
                    return why
            elif op == C.BRANCH:
                for branch in av[1]:
                    why = walk(branch, in_repeat)
                    if why:
                        return why
            elif op in (C.ASSERT, C.ASSERT_NOT):
                why = walk(av[1], in_repeat)
                if why:
                    return why
            elif op in (C.GROUPREF, C.GROUPREF_EXISTS):
                return "uses a back-reference"
        return None

    why = walk(_parser.parse(pattern), False)
    if why is None and unbounded > 2:
        why = f"has {unbounded} unbounded quantifiers (at most 2)"
    return why


def _flat(items):
    """Every (op, av) of a parsed pattern, groups opened (not repeats)."""
    from re import _constants as C

    for op, av in items:
        yield op, av
        if op == C.SUBPATTERN:
            yield from _flat(av[-1])


def load_profile(path) -> Profile:
    """Read a user profile from a TOML file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Profile

    Raises
    ------
    ProfileError
        For a file that is not TOML, has unknown keys or values of the wrong type.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mine.toml"
    >>> _ = p.write_text('name = "mine"\\n[[rules]]\\nproperty = "kind"\\n'
    ...                  'values = ["ours"]\\nlabel = "controlled:UA"\\n')
    >>> load_profile(p).rules[0].label
    Label('controlled', 'UA')
    """

    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise ProfileError(f"{path}: no such profile file")
    try:  # the input gate: a local regular file (not a FIFO or device), read with a cap
        data = tomllib.loads(read_input_bytes(path, what="profile").decode("utf-8"))
    except FormatError as exc:
        raise ProfileError(str(exc)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not a valid TOML profile: {exc}") from None
    return profile_from_dict(data, str(path))


_REGISTRY: dict[str, Profile] = {}
_BUILTIN = (
    "deepstate",
    "deepstate_api",
    "deepstate_raw",
    "creamy_caprice",
    "creamy_caprice_advances_ru",
    "creamy_caprice_advances_ua",
    "owl",
    "nzz",
    "isw",
    "generic",
)


def _load_builtins() -> None:
    if _REGISTRY:
        return
    for name in _BUILTIN:
        text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
        _REGISTRY[name] = profile_from_dict(tomllib.loads(text), f"built-in profile {name}")


def register_profile(profile: Profile | str | Path) -> Profile:
    """Register a profile (or the TOML file at a path) under its name.

    Examples
    --------
    >>> p = register_profile(get_profile("generic"))
    >>> "generic" in available_profiles()
    True
    """
    _load_builtins()
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    _REGISTRY[profile.name] = profile
    return profile


def get_profile(name: str | Profile) -> Profile:
    """The registered profile of that name (built-ins: deepstate, nzz, isw, generic).

    Raises
    ------
    UnknownSourceError
        Naming the registered profiles.

    Examples
    --------
    >>> get_profile("isw").precedence[0]
    Label('controlled', 'RU')
    """
    if isinstance(name, Profile):
        return name
    _load_builtins()
    if isinstance(name, str | Path) and str(name).endswith(".toml"):
        return load_profile(name)
    try:
        return _REGISTRY[str(name).lower()]
    except KeyError:
        raise UnknownSourceError(
            f"no profile named {name!r}; known: {', '.join(sorted(_REGISTRY))} "
            "(or pass the path of a TOML profile)"
        ) from None


def available_profiles() -> list[str]:
    """Names of the registered profiles.

    Examples
    --------
    >>> import mapdiff
    >>> names = mapdiff.profiles.available_profiles()
    >>> "deepstate" in names, "nzz" in names, names == sorted(names)
    (True, True, True)
    """
    _load_builtins()
    return sorted(_REGISTRY)


def registered_profiles() -> list[Profile]:
    """The registered profiles, in the order :func:`detect_profile` tries them.

    Examples
    --------
    >>> [p.name for p in registered_profiles()][:2]
    ['deepstate', 'deepstate_api']
    """
    _load_builtins()
    return list(_REGISTRY.values())


def detect_profile(
    table: pd.DataFrame, collection_name: str | None = None, file_name: str | None = None
) -> Profile | None:
    """The first registered profile whose detection tests match this content, or None."""
    for prof in registered_profiles():
        if prof.matches(table, collection_name=collection_name, file_name=file_name):
            return prof
    return None


def _present(value) -> bool:
    """A cell holding something (a list or dict counts; pandas' isna would judge it element-wise)."""
    if isinstance(value, list | dict | tuple):
        return True
    import pandas as pd

    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def _scalar(value, column: str, row: int) -> str:
    """A status or side cell as text; a list or object there is refused (not guessed at)."""
    if isinstance(value, list | dict | tuple):
        raise FormatError(
            f"feature {row}: its {column!r} is a {type(value).__name__} ({quote(value, 60)}), not a single "
            "value; give one status and one side per feature"
        )
    return str(value)
