"""Regular expressions that look through a whole sheet part (megabytes of XML) for a few matches.

Why: Python's ``re`` tries its pattern again at each byte that could start a match. In a
worksheet, nearly every cell has such bytes, and so the guard's quick scan of a 100,000-row copy
spent 0.15 s on one ``findall`` that found 22 matches in 57 MB. RE2 (google-re2) runs the same
pattern as an automaton that reads each byte once: 0.04 s for the same scan.

Both engines must give the same result. So only patterns that both read alike come here: no
lookaround, no possessive quantifiers, no back-references, and classes spelled out byte by byte
(``\\s`` is not the same set in the two). The patterns run on Latin-1, so each byte is one
character, as in ``re``. Where google-re2 cannot be imported, ``re`` runs them, with the same
results (``tests/test_scanre.py`` checks that on generated parts). RE2 only pays where matches
are rare: its ``findall`` is written in Python, one step per match.
"""

from __future__ import annotations

import re
from typing import Any

try:
    import re2
except ImportError:  # pragma: no cover - google-re2 is a dependency; re gives the same results
    re2 = None
if re2 is not None and not hasattr(re2, "Options"):  # pragma: no cover - another package's "re2" module
    re2 = None

#: The patterns compiled here, for the test that runs each through both engines.
PATTERNS: list[bytes] = []


def _with_re2(pattern: bytes) -> Any:
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.log_errors = False
    return re2.compile(pattern, options)


def rare(pattern: bytes, engine: str | None = None) -> Any:
    """``pattern`` compiled for ``search`` and ``findall`` over a whole part, by RE2 where it is
    installed (``engine``: ``"re"`` or ``"re2"`` to choose, for the tests)."""
    if engine is None:
        PATTERNS.append(pattern)
        engine = "re2" if re2 is not None else "re"
    return _with_re2(pattern) if engine == "re2" else re.compile(pattern)
