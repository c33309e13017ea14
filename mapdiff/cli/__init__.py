"""The ``mapdiff`` command: a thin shell over the library.

Each subcommand lives in its own module of this package and registers itself with
:func:`command`. Human text by default, ``--json`` for machines.

Exit codes: 0 ok; 1 a claim is not supported (with ``--strict``); 2 bad input (a
:class:`~mapdiff.errors.MapdiffError`, a bad option or an OS error on a file, with one
line naming the file on stderr); 3 an internal error (one line; ``--debug`` prints the
traceback); 4 a source cannot be reached or has not published the release asked for
(:class:`~mapdiff.errors.FetchError`: try again later); 5 partial (``update``: some
sources were processed, others are stale). Under ``--json`` an error is also printed to stdout as
``{"schema_version": 1, "type": "error", "exit_code": 2, "error": "<class>", "message":
"..."}``. Every ``--json`` output has ``schema_version`` and ``type``; the shapes are
JSON Schemas in ``mapdiff/schemas/``. Output piped into a program that stops reading
(``| head``) ends quietly.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import os
import re
import sys
import traceback
import warnings

from .._json import SCHEMA_VERSION, jsonable
from ..errors import ArgumentError, FetchError, MapdiffError

__all__ = ["main"]

EXIT_OK, EXIT_UNSUPPORTED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_UNREACHABLE, EXIT_PARTIAL = 4, 5

# subcommand modules, in the order --help lists them
_MODULES = (
    "info",
    "compare",
    "claim",
    "regions",
    "encircle",
    "history",
    "lag",
    "changes",
    "claims",
    "track",
    "render",
    "report",
    "place",
    "fetch",
    "update",
    "demo",
    "completion",
)
_COMMANDS: dict[str, tuple] = {}


def command(name: str, help: str, epilog: str = ""):
    """Register ``func(args) -> int`` as a subcommand; ``func.configure(parser)`` adds options."""

    def deco(func):
        _COMMANDS[name] = (func, help, epilog)
        return func

    return deco


# C0 and C1 control characters but newline and tab: a name from a map holding ESC
# sequences must not clear or rewrite the user's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` without terminal control characters (ESC sequences, bidi overrides).

    Examples
    --------
    >>> terminal_safe("Pokrovsk\x1b[2J")
    'Pokrovsk[2J'
    """
    return _CONTROL.sub("", str(text))


_OPTION_OF = {"source": "--source", "crs": "--crs", "as_of": "--as-of", "layer": "--layer"}


def cli_syntax(message: str) -> str:
    """A library message in command-line syntax: ``source='nzz'`` → ``--source nzz``.

    Examples
    --------
    >>> cli_syntax("pass source='deepstate'|'nzz' or a TOML profile; or swap_xy=True")
    'pass --source deepstate|nzz or a TOML profile; or --swap-xy'
    >>> cli_syntax("pass crs= (for example crs='EPSG:4326')")
    'pass --crs (for example --crs EPSG:4326)'
    """
    message = re.sub(r"\bswap_xy=True\b", "--swap-xy", message)
    message = re.sub(r"\ballow_mixed_sources=True\b", "--allow-mixed-sources", message)

    def option(m):
        values = re.findall(r"'([^']*)'", m.group(2) or "")
        return _OPTION_OF[m.group(1)] + (" " + "|".join(values) if values else "")

    return re.sub(r"\b(source|crs|as_of|layer)=((?:'[^']*'\|?)*)", option, message)


def emit(obj, as_json: bool, text: str) -> None:
    """Print ``obj`` as JSON (``--json``: cleaned by :func:`mapdiff._json.jsonable`, so no
    NaN and ISO dates) or ``text`` (stripped of terminal control characters)."""
    if as_json:
        print(json.dumps(jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(terminal_safe(text))


def ranged(kind, lo=None, hi=None, *, lo_open: bool = False):
    """An argparse ``type=`` that parses ``kind`` and refuses values outside ``[lo, hi]``.

    Examples
    --------
    >>> ranged(int, 10, 1200)("300")
    300
    """

    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if v != v or (lo is not None and (v <= lo if lo_open else v < lo)) or (hi is not None and v > hi):
            parts = [f"{'more than' if lo_open else 'at least'} {lo}"] if lo is not None else []
            parts += [f"at most {hi}"] if hi is not None else []
            bound = " and ".join(parts)
            raise argparse.ArgumentTypeError(f"{text} is out of range: give {bound}")
        return v

    parse.__name__ = kind.__name__
    return parse


_INPUT_DESTS = (
    *("map", "a", "b", "old", "new", "file", "aoi", "rear", "place", "ledger"),
    *("source", "source_a", "source_b"),
)
_OUTPUT_DESTS = (("out", "--out"), ("csv", "--csv"))


def _inputs(args) -> list[str]:
    """Every existing file the command reads (releases of a folder or glob too)."""
    found = []
    for dest in _INPUT_DESTS:
        vals = getattr(args, dest, None)
        for v in vals if isinstance(vals, list) else [vals]:
            if isinstance(v, str) and v and os.path.exists(v):
                found.append(v)
    rels = [getattr(args, "releases", None)]
    # --maps NAME=DIR (track, claims): every archive read is an input too
    rels += [m.partition("=")[2] for m in getattr(args, "maps", None) or [] if isinstance(m, str)]
    for rel in rels:
        if isinstance(rel, str) and rel:
            found += glob.glob(os.path.join(rel, "*")) if os.path.isdir(rel) else glob.glob(rel)
    return found


def check_outputs(args) -> None:
    """Refuse an ``--out``/``--csv`` that resolves (symlinks included) to an input of the run."""
    from ..io.atomic import refuse_overwrite

    inputs = _inputs(args)
    for dest, option in _OUTPUT_DESTS:
        out = getattr(args, dest, None)
        if isinstance(out, str) and out and out != "-":  # "-": stdout (track --csv)
            refuse_overwrite(out, _may_be(out, inputs), option)
            if os.path.isdir(out) and args.command not in (
                "fetch",
                "demo",
                "report",
            ):  # their --out is a folder
                raise ArgumentError(f"{option} {out}: is a folder; give a file name")


def _may_be(out: str, inputs: list[str]) -> list[str]:
    """The ``inputs`` (existing files) that ``out`` may be, in order: those it is the same
    file as, none when it does not exist (it cannot resolve to an existing file then), and
    any input gone since. One ``stat`` each instead of resolving 769 release paths."""
    try:
        there = os.stat(out)
    except OSError:
        there = None
    found = []
    for item in inputs:
        try:
            if there is not None and os.path.samestat(there, os.stat(item)):
                found.append(item)
        except OSError:
            found.append(item)
    return found


def add_map_options(p, place: bool = False) -> None:
    """The MAP argument, ``--source`` and ``--as-of`` (and a required ``--place``) of one-map commands."""
    p.add_argument("map", help="map file (GeoJSON, GPKG, KML, ...)")
    if place:
        p.add_argument(
            "--place",
            required=True,
            help="gazetteer name or alias (any script), or the path of a polygon file",
        )
    add_read_options(p)


def add_read_options(p) -> None:
    """``--source``, ``--as-of``, ``--swap-xy`` and ``--layer``: how to read the map file."""
    p.add_argument("--source", help="profile name or TOML path (default: recognised from content)")
    p.add_argument("--as-of", dest="as_of", help="release date when the file states none (YYYY-MM-DD)")
    p.add_argument(
        "--swap-xy", dest="swap_xy", action="store_true", help="the file is (lat, lon): swap the axes"
    )
    p.add_argument("--layer", help="layer of a GeoPackage that holds several")


def add_pair_options(p) -> None:
    """``--swap-xy-a/-b`` and ``--layer-a/-b`` of the two-map commands (compare, render)."""
    for x in ("a", "b"):
        p.add_argument(
            f"--swap-xy-{x}", dest=f"swap_xy_{x}", action="store_true", help=f"{x.upper()} is (lat, lon)"
        )
        p.add_argument(f"--layer-{x}", dest=f"layer_{x}", help=f"layer of {x.upper()} (GeoPackage)")


def read_pair(args):
    """The two ControlMaps A and B of :func:`add_pair_options`' commands."""
    from ..io.read import read_map

    return tuple(
        read_map(
            getattr(args, x),
            source=getattr(args, f"source_{x}"),
            swap_xy=getattr(args, f"swap_xy_{x}"),
            layer=getattr(args, f"layer_{x}"),
            cache=True,  # the read cache (MAPDIFF_NO_CACHE=1 turns it off)
        )
        for x in ("a", "b")
    )


def read_map_option(args):
    """The ControlMap named by :func:`add_map_options`' arguments."""
    from ..io.read import read_map

    return read_map(
        args.map, source=args.source, as_of=args.as_of, swap_xy=args.swap_xy, layer=args.layer, cache=True
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad option under ``--json`` reported as JSON on stdout too."""

    json_errors = False

    def error(self, message):
        if _Parser.json_errors:
            print(
                json.dumps(
                    {
                        "schema_version": 1,
                        "type": "error",
                        "exit_code": EXIT_BAD_INPUT,
                        "error": "ArgumentError",
                        "message": f"{self.prog}: {message}",
                    }
                )
            )
        super().error(message)


def split_named(arg: str) -> tuple[str | None, str]:
    """``(name, path)`` of a MAP argument: ``NAME=PATH`` names a source's releases, unless the
    whole argument is an existing path (a file name may hold ``=``); otherwise ``(None, arg)``.

    Examples
    --------
    >>> split_named("deepstate=data/deepstate")
    ('deepstate', 'data/deepstate')
    >>> split_named("data/deepstate")
    (None, 'data/deepstate')
    """
    name, sep, path = arg.partition("=")
    if not sep or os.path.exists(arg):
        return None, arg
    return name, path


def parse_maps(items: list[str], *, required: bool = True) -> dict:
    """{name: path} from ``--maps NAME=PATH`` options (track, claims, claim): each well
    formed, each source once, at least one when ``required``."""
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ArgumentError(
                f"--maps {item!r}: write --maps NAME=DIR, e.g. --maps deepstate=data/deepstate"
            )
        if name in out:
            raise ArgumentError(f"--maps {name}= is given twice; give each source once")
        out[name] = path
    if required and not out:
        raise ArgumentError("give at least one --maps NAME=DIR, e.g. --maps deepstate=data/deepstate")
    return out


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every available subcommand (or only the one named ``only``).

    A subcommand's module imports what it needs (pandas, geopandas, ...) at its top, so
    parsing ``mapdiff place Pokrovsk`` imports only :mod:`mapdiff.cli.place`: a short call
    stays short. ``--help`` and an unknown command build the whole parser.
    """
    for mod in _MODULES if only is None else (only,):
        importlib.import_module(f"{__name__}.{mod}")
    parser = _Parser(
        prog="mapdiff",
        description="Compare competing maps of territorial control (areas in km²).",
        epilog="Exit codes: 0 ok, 1 claim not supported (--strict), 2 bad input, 3 internal error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"mapdiff {__version__}")
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="print tracebacks of internal errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, help_, epilog) in _COMMANDS.items():
        if only is not None and name != only:
            continue
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        func.configure(p)
        p.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print the traceback of an internal error",
        )
        p.set_defaults(_func=func)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    if words == ["--version"]:  # without the parser of every subcommand (and their imports)
        from .._version import __version__

        print(f"mapdiff {__version__}")
        return EXIT_OK
    parser = build_parser(_command_in(words))
    _Parser.json_errors = "--json" in words
    args = parser.parse_args(words)
    if not getattr(args, "_func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                check_outputs(args)
                return int(args._func(args) or 0)
            finally:
                _print_warnings(args, caught)
    except BrokenPipeError:
        return _broken_pipe()
    except FetchError as exc:
        return _fail(args, EXIT_UNREACHABLE, type(exc).__name__, cli_syntax(str(exc)))
    except MapdiffError as exc:
        message = cli_syntax(str(exc))
        if hasattr(args, "swap_xy_a"):  # two maps: name the option of the map at fault
            message = re.sub(r"--(swap-xy|layer)\b", r"--\1-a (or -b, for the map named)", message)
        return _fail(args, EXIT_BAD_INPUT, type(exc).__name__, message)
    except OSError as exc:  # a file the user named: unwritable folder, full disk, ...
        where = exc.filename or "?"
        return _fail(args, EXIT_BAD_INPUT, type(exc).__name__, f"{where}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        first = (str(exc).splitlines() or [""])[0][:300]
        return _fail(
            args,
            EXIT_INTERNAL,
            type(exc).__name__,
            f"internal error: {type(exc).__name__}: {first} (a bug in mapdiff: rerun with --debug "
            "for the traceback and report it)",
        )


def _print_warnings(args, caught) -> None:
    """Warnings (a repair, a doubt) on stderr, one line each, in CLI syntax."""
    seen = set()
    for w in caught:
        text = terminal_safe(cli_syntax(str(w.message))).replace("\n", " ")
        if text in seen:
            continue
        seen.add(text)
        try:
            print(f"mapdiff {args.command}: warning: {text}", file=sys.stderr)
        except BrokenPipeError:
            return


def _command_in(argv) -> str | None:
    """The subcommand ``argv`` names, if it names one (its first word, after --debug)."""
    words = [a for a in argv if a != "--debug"]
    first = words[0] if words else None
    return first if first in _MODULES else None  # each module registers the command of its name


def _fail(args, code: int, kind: str, message: str) -> int:
    message = terminal_safe(message).replace("\n", " ")
    try:
        if getattr(args, "json", False):
            print(
                json.dumps(
                    {
                        "schema_version": SCHEMA_VERSION,
                        "type": "error",
                        "exit_code": code,
                        "error": kind,
                        "message": message,
                    },
                    ensure_ascii=True,
                )
            )
        print(f"mapdiff {args.command}: error: {message}", file=sys.stderr)
    except BrokenPipeError:
        return _broken_pipe()
    return code


def _broken_pipe() -> int:
    """The reader of our output went away (``| head``): stop quietly."""
    try:  # further writes (and the flush at exit) must not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
