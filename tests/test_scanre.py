"""The guard's whole-part scans find the same with RE2 as with Python's ``re``.

The guard measures a copy's sheets with patterns that RE2 runs where google-re2 is installed and
``re`` runs where it is not (``syncd.workbook.scanre``). A pattern the two engines read differently
would let a stray cell past the guard on one install and not the other, so each pattern is run by
both over generated worksheet text: the bytes a cell tag may be written with, any other byte, and
parts cut at any point.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.workbook import extent, scanre

pytest.importorskip("re2")

# pieces of worksheet XML, the whitespace of both engines' "\s" (and the bytes only one counts),
# quotes, letters past Z and six-digit rows, and bytes of every kind
PIECES = [b'<c r="', b"<c", b"<c ", b'r="', b"r=", b"r", b" r =", b"r\t=", b"r\x0b=", b"r\x0c=", b"='",
          b"= ", b'"', b"'", b">", b"/>", b"<row ", b"</row>", b":c", b":row", b"<x:c", b"A1", b"AB12",
          b"XFD1048576", b"a100000", b"1000000", b"Z99999", b"\n", b"\r", b"\t", b" ", b"\x0b", b"\x0c",
          b"\x85", b"\xa0", b"\xff", b"\xc3\xa9", b"<v>1</v>", b"</c>", b"s=\"1\"", b"t=\"s\""]
parts = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=3)), max_size=40).map(b"".join)


def test_every_whole_part_pattern_of_the_guard_is_checked_here():
    for name in ("_QUICK", "_CELL_WITHOUT_R", "_MAY_BE_PREFIXED"):
        assert getattr(extent, name).pattern in scanre.PATTERNS
        assert type(getattr(extent, name)).__module__ == "re2"  # the dependency is installed: RE2 runs


@settings(max_examples=400, deadline=None)
@given(data=parts, cut=st.integers(min_value=0, max_value=200))
def test_re2_and_re_find_the_same(data, cut):
    for pattern in scanre.PATTERNS:
        by_re, by_re2 = scanre.rare(pattern, "re"), scanre.rare(pattern, "re2")
        assert by_re2.findall(data) == by_re.findall(data), pattern
        head = data[:cut]
        found_re, found_re2 = by_re.search(head), by_re2.search(head)
        assert (found_re2 and found_re2.span()) == (found_re and found_re.span()), pattern


@pytest.mark.parametrize("xml, found", [
    (b'<c r="A1"><v>1</v></c>', False),
    (b"<c>", True),
    (b"<c\n", True),
    (b'<c s="1" r="A1">', True),
    (b"<c r='A1'>", True),
    (b"<c r", True),  # a part cut inside the tag: unsure, as re says
    (b"<c r=", True),
    (b"<c ", True),
])
def test_a_cell_not_starting_with_its_reference_is_found_by_both(xml, found):
    pattern = next(p for p in scanre.PATTERNS if p.startswith(b"<c"))
    for engine in ("re", "re2"):
        assert bool(scanre.rare(pattern, engine).search(xml)) is found, (engine, xml)
