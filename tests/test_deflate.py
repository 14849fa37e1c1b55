"""ISA-L deflate (``workbook.deflate``): the same format as zlib's, so nothing that reads the files changes."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from syncd.core import codec
from syncd.model import Table
from syncd.workbook import deflate

XML = b"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Launch plan</t></is></c></row>" * 20_000


def test_an_entry_deflated_with_isal_reads_back_with_zipfile_and_zlib():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        with zout.open("xl/worksheets/sheet1.xml", "w") as out:
            deflate.fast_entry(out)
            out.write(XML[:1000])
            out.write(XML[1000:])
    with zipfile.ZipFile(buf) as zin:
        info = zin.getinfo("xl/worksheets/sheet1.xml")
        assert zin.testzip() is None  # the checksum zipfile wrote matches what it reads
        assert zin.read(info) == XML == deflate.read_entry(zin, info)
        raw = buf.getvalue()[info.header_offset + 30 + len(info.filename) + len(info.extra):][:info.compress_size]
        assert zlib.decompress(raw, -15) == XML  # plain deflate: any reader of .xlsx files reads it


def test_the_codec_swap_takes_effect_on_this_python():
    # zipfile has no hook for another codec: if a Python renames what fast_entry swaps, syncd
    # silently falls back to zlib's slower deflate; this says so
    pytest.importorskip("isal")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        with zout.open("a.xml", "w") as out:
            assert "isal" in type(deflate.fast_entry(out)._compressor).__module__
    with zipfile.ZipFile(buf) as zin, zin.open("a.xml") as f:
        assert "isal" in type(deflate.fast_entry(f)._decompressor).__module__


def test_a_stored_entry_is_left_as_it_is():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zout:
        with zout.open("a.xml", "w") as out:
            deflate.fast_entry(out).write(XML)
    with zipfile.ZipFile(buf) as zin:
        assert deflate.read_entry(zin, "a.xml") == XML


def test_a_journal_table_written_with_zlib_by_an_earlier_version_still_reads():
    table = Table(("Task", "Owner"), (("Launch plan", "Ann"), ("Brief", None)), ("r1", "r2"))
    blob = codec.encode_table(table)
    assert zlib.decompress(blob)  # and the new blobs are zlib's format
    old = zlib.compress(zlib.decompress(blob), 6)
    assert codec.decode_table(old) == codec.decode_table(blob) == table


def test_a_damaged_stream_is_refused_not_misread():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        zout.writestr("a.xml", XML)
    data = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("a.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 40:start + 60] = b"\xff" * 20
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zin, pytest.raises(deflate.ERRORS + (zipfile.BadZipFile,)):
        deflate.read_entry(zin, "a.xml")
