"""Replace a file atomically: a reader sees the old file or the new one, never half of either.

The new content goes to a temporary file in the destination's own folder (``os.replace`` is only
atomic within one file system), is flushed to the disk, and only then takes the old file's place.
If anything fails on the way the old file is left exactly as it was and the temporary file is
removed. Nothing here knows about spreadsheets; callers turn ``OSError`` into their own message with
:func:`describe_os_error`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

#: Temporary files end with this, so folder watchers and copy scanners can recognise and skip them.
TEMP_SUFFIX = ".syncd-tmp"

# Windows refuses to replace a file that another program (antivirus, indexer, Excel) holds open
# for a moment; a short retry rides out the brief locks and still fails fast on a real one.
_REPLACE_ATTEMPTS = 5 if os.name == "nt" else 1
_REPLACE_PAUSE_S = 0.2


@contextlib.contextmanager
def atomic_write(
    dest: str | os.PathLike, *, before_replace: Callable[[], None] | None = None
) -> Iterator[Path]:
    """Yield a fresh temporary path next to ``dest``; when the block ends, make it ``dest``.

    Write the new content to the yielded path (it exists, empty, so any library can open it for
    writing). On leaving the block normally the file is fsynced, ``before_replace()`` is called (it
    may raise to abort, e.g. because ``dest`` changed meanwhile), ``dest`` is replaced in one step and
    the folder is fsynced so the rename itself survives a power cut. If ``dest`` is a symbolic link the
    file it points to is replaced, not the link. A new file gets the permissions the process's umask
    allows; a replaced file keeps its permission bits.

    On any exception (from the block, ``before_replace`` or the file system) the temporary file is
    deleted, ``dest`` is untouched, and the exception propagates unchanged.
    """
    target = Path(os.path.realpath(dest))
    tmp = _create_temp(target)
    try:
        yield tmp
        _fsync_file(tmp)
        _copy_mode(target, tmp)  # after the fsync: the old file's mode may be read-only
        if before_replace is not None:
            before_replace()
        _replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def atomic_write_bytes(dest: str | os.PathLike, data: bytes) -> None:
    """Atomically make ``dest`` contain exactly ``data`` (see :func:`atomic_write`)."""
    with atomic_write(dest) as tmp:
        tmp.write_bytes(data)


def remove_stale_temps(dest: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that interrupted :func:`atomic_write` calls for ``dest`` left
    beside it (the process was killed, or the machine lost power, before the rename). Returns what
    was removed. Call it only while no other process can be writing ``dest`` (syncd holds its state
    lock), since a live writer's temporary file looks the same.
    """
    target = Path(os.path.realpath(dest))
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}{re.escape(TEMP_SUFFIX)}")
    removed = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        if pattern.fullmatch(name):
            with contextlib.suppress(OSError):
                (target.parent / name).unlink()
                removed.append(target.parent / name)
    return removed


def describe_os_error(exc: OSError) -> str:
    """Say in a person's words why a file could not be written, and what to do about it.

    Returns a phrase to follow "could not write <file>: ", e.g. "the disk is full — free some space
    and run syncd again".
    """
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "the disk is full — free some space and run syncd again"
    if code == errno.EROFS:
        return "the disk or folder is read-only — choose a folder syncd may write to"
    if code == errno.ENOENT:
        return "its folder does not exist (any more) — create the folder or fix the path in the configuration"
    if code == errno.ENAMETOOLONG:
        return "the file name or path is too long — use a shorter folder or file name"
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EBUSY):
        return (
            "the file is open in another program or syncd is not allowed to write there — "
            "close the file (e.g. in Excel) and check the folder's permissions, then run syncd again"
        )
    detail = exc.strerror or str(exc) or type(exc).__name__
    return f"the system reported “{detail}” — fix that and run syncd again"


def _create_temp(target: Path) -> Path:
    """Create an empty, not yet existing temp file beside ``target`` (mode 0666 minus umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "could not find a free temporary file name", str(target))


def _copy_mode(target: Path, tmp: Path) -> None:
    # A replaced file should stay as readable by colleagues as before.
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(tmp: Path, target: Path) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            os.replace(tmp, target)
            return
        except PermissionError:
            if attempt + 1 == _REPLACE_ATTEMPTS:
                raise
            time.sleep(_REPLACE_PAUSE_S)


def _fsync_dir(folder: Path) -> None:
    # Directories cannot be opened for fsync on Windows; some file systems refuse it. The rename has
    # happened either way, so this is best effort.
    if sys.platform.startswith("win"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
