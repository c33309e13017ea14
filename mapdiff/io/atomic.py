"""Atomic writes: a file is either written whole or not at all.

Every file mapdiff writes goes through here: the content goes to a temporary file in
the target's folder, is flushed to disk, and is renamed over the target
(``os.replace`` is atomic on POSIX and Windows). An interrupted write leaves at most a
hidden ``.NAME.*.tmp*`` file behind, never a half-written target.

Only a regular file (or a new one) is ever replaced. A symbolic link to a regular file
is followed: its target is replaced and the link kept. A character device
(``/dev/stdout``, ``/dev/null``), a FIFO and ``-`` (standard output) are written
through, never renamed over; anything else (a folder, a socket, a block device, a
dangling link) is refused.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ArgumentError

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

    if path is None:
        return
    out = Path(path)
    there = where = None  # looked up once, not once per input (a history run has hundreds)
    for item in inputs:
        if item is None or isinstance(item, int | float):
            continue
        try:
            src = Path(item)
        except TypeError:
            continue
        if there is None:
            there = out.exists() or out.is_symlink()
        same = there and _same_file(out, src)
        if not same:
            if where is None:
                where = out.resolve()
            same = where == src.resolve()
        if same:
            label = f"{option} {out}" if option else str(out)
            raise ArgumentError(
                f"{label}: is an input of this run ({src}); writing there would destroy it: "
                "choose another output file"
            )


def _destination(path: Path) -> tuple[str, Path]:
    """``("stdout" | "stream" | "file", where)``: how ``path`` is written (see the module)."""
    if str(path) == "-":
        return "stdout", path
    try:
        st = os.stat(path)  # follows symbolic links
    except FileNotFoundError:
        if path.is_symlink():
            raise ArgumentError(
                f"{path}: is a symbolic link to nothing ({os.readlink(path)}); mapdiff does not replace "
                "links: name the file to write"
            ) from None
        return "file", path
    except NotADirectoryError:
        return "file", path  # mkdir below says what is wrong
    if _is_stdout(st):  # /dev/stdout, /proc/self/fd/1: whatever stdout is (a redirect too)
        return "stdout", path
    if stat.S_ISREG(st.st_mode):
        return "file", Path(os.path.realpath(path)) if path.is_symlink() else path
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return "stream", path
    kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a socket or block device)"
    raise ArgumentError(
        f"{path}: is {kind}; mapdiff writes only regular files (replaced atomically), character "
        "devices, FIFOs and - (standard output): name a file"
    )


def _is_stdout(st: os.stat_result) -> bool:
    try:
        out = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no real stdout (captured, closed)
        return False
    return (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino)


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None, *, inputs=(), fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    The temporary file keeps ``path``'s suffix (drivers infer formats from it). On an
    exception the temporary file is removed and ``path`` is untouched. ``path`` may also
    be ``-`` (standard output), a character device or a FIFO: what was written is then
    copied there once complete (see the module for what is refused).

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
    kind, path = _destination(path)
    if kind != "stdout":
        refuse_overwrite(path, inputs)
    if kind != "file":
        folder = Path(tempfile.mkdtemp(prefix="mapdiff-out-"))  # private; removed after
        tmp = folder / f"out{suffix or (path.suffix if kind == 'stream' else '')}"
        try:
            yield tmp
            if not tmp.exists():
                raise FileNotFoundError(f"nothing was written to {tmp}")
            with open(tmp, "rb") as src:
                if kind == "stdout":
                    sys.stdout.flush()
                    shutil.copyfileobj(src, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
                else:
                    with open(path, "wb") as dst:  # a device or FIFO: written through, not replaced
                        shutil.copyfileobj(src, dst)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
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
