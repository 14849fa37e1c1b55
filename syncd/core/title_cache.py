"""The titles a big tracker's last sync parsed, kept beside the journal for the next sync.

Why: the duplicate search compares every row's parsed title, and parsing 100,000 titles is 2-3.5 s
of Python, the largest single step of a big sync after reading the copies. Between two syncs only
the titles that were edited or added are new; a file holding the others, parsed, loads in a sixth
of the time (0.5 s against 3.7 s, measured on workload 2 of ``bench``). The file is a cache and
nothing more: any doubt about it (another syncd version, damaged, too big, not there) and the
titles are parsed again, with the same result.

It is written by the forked process that searched for duplicates, after it has sent its result
(``workers.beside``): the sync does not wait for it until the very end. It holds plain data (the
texts, and each title's fields as a tuple), read with an unpickler that builds no class at all, so
a file planted in the state folder cannot run code; its size is capped before it is read.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import unicodedata
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterator

import rapidfuzz

from syncd.merge import dupes
from syncd.merge.dupes.text import Title
from syncd.workbook import deflate

FOLDER = "titles"
MAGIC = b"syncd-titles\n"
#: A file bigger than this is not read (100,000 titles take about 8 MB).
MAX_BYTES = 200 * 1024 * 1024
#: what an inflated file may grow to: a deflate bomb stops here
MAX_INFLATED = 1024 * 1024 * 1024
#: titles in one part of the file (``loading``)
PART = 10_000

# what this process loaded or wrote last, per file, with the file's (mtime, size) then: the daemon
# keeps parsed titles in memory from one sync to the next, so it reads a file it has not seen only
_seen: dict[Path, tuple[int, int]] = {}


def cache_path(state_dir: Path, tracker_name: str) -> Path:
    # a tracker's name is the team's text: hashed, it is always a valid file name
    return state_dir / FOLDER / (hashlib.sha256(tracker_name.encode()).hexdigest()[:20] + ".pickle")


@lru_cache(maxsize=1)
def _fingerprint() -> bytes:
    """The code that parses titles: a file written by any other version of it is not used. Beyond
    our sources, a parse depends on Python's Unicode tables (folding accents) and on rapidfuzz
    (telling a misspelt verb): an upgrade of either parses again too."""
    digest = hashlib.sha256(f"{unicodedata.unidata_version} {rapidfuzz.__version__}\0".encode())
    folder = Path(dupes.__file__).parent
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest().encode()[:32] + b"\n"


class _OnlyData(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> type:
        raise pickle.UnpicklingError(f"{module}.{name}: the file holds plain data only")


#: fields of a Title, so that a file of another shape is not taken for one
_FIELDS = len(Title._fields)
_as_title = partial(tuple.__new__, Title)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load(path: Path) -> int:
    """Put the titles of ``path`` in this process's memo of parsed titles; how many. 0 when the
    file is missing, unusable, or already loaded (or written) by this process as it is now."""
    return sum(loading(path))


def loading(path: Path) -> Iterator[int]:
    """``load``, a part at a time (``PART`` titles, about 0.03 s): yields how many each part put in
    the memo, so that a caller loading while a core waits can stop between two parts (workload 2's
    last merge waited for the whole load, 0.4-0.6 s, when its copy came in just after it began)."""
    stamp = _stamp(path)
    if stamp is None or _seen.get(path) == stamp or stamp[1] > MAX_BYTES:
        return
    try:
        parts = _parts(path.read_bytes())
        for part in parts:
            taken = dupes.adopt_titles(part)
            if not taken:
                break  # the memo is full: the search parses the rest
            yield taken
    except Exception:  # noqa: BLE001 - a cache: whatever is wrong with it, the titles are parsed again
        pass
    # only once it is through: a load left halfway (a pass that ended early) starts over next time
    _seen[path] = stamp


def _parts(data: bytes) -> Iterator[dict[str, Title]]:
    head = MAGIC + _fingerprint()
    if not data.startswith(head):
        return
    unpickler = _OnlyData(io.BytesIO(deflate.decompress_capped(data[len(head):], MAX_INFLATED)))
    count = unpickler.load()
    if type(count) is not int:
        return
    for _ in range(count):
        enabled = gc.isenabled()
        gc.disable()  # thousands of new objects would run the collector over and over, for no garbage
        try:
            got = unpickler.load()
        finally:
            if enabled:
                gc.enable()
        if not (type(got) is tuple and len(got) == 2 and type(got[0]) is list and type(got[1]) is list
                and len(got[0]) == len(got[1])):
            return
        texts, fields = got
        if set(map(type, texts)) - {str} or set(map(type, fields)) - {tuple} or set(map(len, fields)) - {_FIELDS}:
            return
        yield dict(zip(texts, map(_as_title, fields)))


def save(path: Path, parsed: dict[str, Title]) -> None:
    """Write ``parsed`` to ``path`` in one step (a reader finds the old file or the new one).
    Failing to write is not a problem worth a word: the next sync parses the titles."""
    if not parsed:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # no fsync: a file cut short by a power cut fails to inflate, and is parsed again
        # parts of plain lists of strings and tuples: loading them builds no class instance in
        # Python, and a loader can stop between two parts
        texts = list(parsed)
        fields = [tuple(t) for t in parsed.values()]
        starts = range(0, len(texts), PART)
        out = io.BytesIO()
        # one pickler for all the parts: one unpickler reads them back, its memo running on across
        # them as the pickler's did (parts pickled apart would each number their objects from 0)
        pickler = pickle.Pickler(out, protocol=5)
        pickler.dump(len(starts))
        for i in starts:
            pickler.dump((texts[i:i + PART], fields[i:i + PART]))
        tmp.write_bytes(MAGIC + _fingerprint() + deflate.compress(out.getvalue()))
        os.replace(tmp, path)
        stamp = _stamp(path)
        if stamp is not None:
            _seen[path] = stamp
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
