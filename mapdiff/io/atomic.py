"""Atomic writes: a file is either written whole or not at all.

Every file mapdiff writes goes through here: the content goes to a temporary file in
the target's folder, is flushed to disk, and is renamed over the target
(``os.replace`` is atomic on POSIX and Windows). An interrupted write leaves at most a
hidden ``.NAME.*.tmp*`` file behind, never a half-written target.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "refuse_overwrite", "write_bytes", "write_text"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet: compare where they resolve to
        return a.resolve() == b.resolve()


def refuse_overwrite(path, inputs=(), option: str | None = None) -> None:
    """Refuse an output ``path`` that is (or resolves to, symlinks included) one of ``inputs``.

    The one check every writer and CLI command uses before writing.

    Raises
    ------
    mapdiff.errors.ArgumentError
        Naming the output and the input it would replace.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> a = pathlib.Path(tempfile.mkdtemp()) / "a.geojson"
    >>> _ = a.write_text("{}")
    >>> refuse_overwrite(a, [a], "--out")
    Traceback (most recent call last):
    ...
    mapdiff.errors.ArgumentError: --out ...a.geojson: is an input of this run ...
    """
    from ..errors import ArgumentError

    if path is None:
        return
    out = Path(path)
    for item in inputs:
        if item is None or isinstance(item, int | float):
            continue
        try:
            src = Path(item)
        except TypeError:
            continue
        if ((out.exists() or out.is_symlink()) and _same_file(out, src)) or out.resolve() == src.resolve():
            label = f"{option} {out}" if option else str(out)
            raise ArgumentError(
                f"{label}: is an input of this run ({src}); writing there would destroy it: "
                "choose another output file"
            )


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None, *, inputs=(), fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    The temporary file keeps ``path``'s suffix (drivers infer formats from it). On an
    exception the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    refuse_overwrite(path, inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{suffix or path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # let writers create it (some drivers refuse an existing file)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        if fsync:  # caches skip it: a torn entry fails its checksum and is rebuilt
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_bytes(path, data: bytes, *, inputs=(), fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (never over one of ``inputs``); returns the path."""
    with atomic_path(path, inputs=inputs, fsync=fsync) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path, text: str, encoding: str = "utf-8", *, inputs=()) -> Path:
    """Write ``text`` to ``path`` atomically (never over one of ``inputs``); returns the path."""
    return write_bytes(path, text.encode(encoding), inputs=inputs)
