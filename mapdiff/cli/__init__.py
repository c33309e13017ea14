"""The ``mapdiff`` command: a thin shell over the library.

Each subcommand lives in its own module of this package and registers itself with
:func:`command`. Human text by default, ``--json`` for machines.

Exit codes: 0 ok; 1 a claim is not supported (with ``--strict``); 2 bad input (a
:class:`~mapdiff.errors.MapdiffError`, with its message on stderr); 3 unexpected error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import warnings

from ..errors import MapdiffError

__all__ = ["main"]

EXIT_OK, EXIT_UNSUPPORTED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

# subcommand modules, in the order --help lists them
_MODULES = (
    "info",
    "compare",
    "claim",
    "encircle",
    "history",
    "changes",
    "render",
    "report",
    "place",
    "fetch",
    "demo",
)
_COMMANDS: dict[str, tuple] = {}


def command(name: str, help: str, epilog: str = ""):
    """Register ``func(args) -> int`` as a subcommand; ``func.configure(parser)`` adds options."""

    def deco(func):
        _COMMANDS[name] = (func, help, epilog)
        return func

    return deco


def emit(obj, as_json: bool, text: str) -> None:
    """Print ``obj`` as JSON (``--json``) or ``text``."""
    if as_json:
        print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


def add_map_options(p, place: bool = False) -> None:
    """The MAP argument, ``--source`` and ``--as-of`` (and a required ``--place``) of one-map commands."""
    p.add_argument("map", help="map file (GeoJSON, GPKG, KML, ...)")
    if place:
        p.add_argument(
            "--place",
            required=True,
            help="gazetteer name or alias (any script), or the path of a polygon file",
        )
    p.add_argument("--source", help="profile name or TOML path (default: recognised from content)")
    p.add_argument("--as-of", dest="as_of", help="release date when the file states none (YYYY-MM-DD)")


def read_map_option(args):
    """The ControlMap named by :func:`add_map_options`' arguments."""
    from ..io.read import read_map

    return read_map(args.map, source=args.source, as_of=args.as_of)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    for mod in _MODULES:
        importlib.import_module(f"{__name__}.{mod}")
    parser = argparse.ArgumentParser(
        prog="mapdiff",
        description="Compare competing maps of territorial control (areas in km²).",
        epilog="Exit codes: 0 ok, 1 claim not supported (--strict), 2 bad input, 3 internal error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"mapdiff {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, help_, epilog) in _COMMANDS.items():
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        func.configure(p)
        p.set_defaults(_func=func)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return int(args._func(args) or 0)
    except MapdiffError as exc:
        print(f"mapdiff {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: exit 3 (never 1, which means "not supported")
        if os.environ.get("MAPDIFF_DEBUG"):
            raise
        print(
            f"mapdiff {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(a bug: rerun with MAPDIFF_DEBUG=1 for the traceback and report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
