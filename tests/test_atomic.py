"""Atomic replacement of a file: the old file or the new one, never a half-written one."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from syncd.workbook.atomic import TEMP_SUFFIX, atomic_write, atomic_write_bytes, describe_os_error


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_new_content_replaces_the_file_and_the_temp_file_sits_beside_it(tmp_path):
    dest = tmp_path / "tasks.xlsx"
    dest.write_bytes(b"old")
    with atomic_write(dest) as tmp:
        assert tmp.parent == tmp_path  # same folder, so the final rename is atomic
        assert tmp.name.startswith(".") and tmp.name.endswith(TEMP_SUFFIX)
        assert dest.read_bytes() == b"old"  # nothing changes until the block is done
        tmp.write_bytes(b"new")
    assert dest.read_bytes() == b"new"
    assert names(tmp_path) == ["tasks.xlsx"]


def test_failure_while_writing_leaves_the_old_file_and_no_temp_file(tmp_path):
    dest = tmp_path / "tasks.xlsx"
    dest.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(dest) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("writer crashed")
    assert dest.read_bytes() == b"old"
    assert names(tmp_path) == ["tasks.xlsx"]


def test_before_replace_can_veto_and_its_error_comes_through_unchanged(tmp_path):
    dest = tmp_path / "tasks.xlsx"
    dest.write_bytes(b"old")

    class Changed(Exception):
        pass

    def check():
        raise Changed("someone saved the file meanwhile")

    with pytest.raises(Changed):
        with atomic_write(dest, before_replace=check) as tmp:
            tmp.write_bytes(b"new")
    assert dest.read_bytes() == b"old"
    assert names(tmp_path) == ["tasks.xlsx"]


def test_failed_rename_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    dest = tmp_path / "tasks.xlsx"
    dest.write_bytes(b"old")

    def locked(*args):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(PermissionError):
        atomic_write_bytes(dest, b"new")
    assert dest.read_bytes() == b"old"
    assert names(tmp_path) == ["tasks.xlsx"]


@pytest.mark.skipif(os.name != "posix", reason="permission bits are a POSIX notion")
def test_permissions_are_kept_and_a_new_file_is_readable_as_the_umask_allows(tmp_path):
    dest = tmp_path / "tasks.xlsx"
    dest.write_bytes(b"old")
    os.chmod(dest, 0o640)
    atomic_write_bytes(dest, b"new")
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640

    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.xlsx"
        atomic_write_bytes(fresh, b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o644  # colleagues can read it, as with any saved file


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_symlinked_file_is_replaced_where_it_really_lives(tmp_path):
    real = tmp_path / "shared" / "tasks.xlsx"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "tasks.xlsx"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "the disk is full — free some space"),
        (errno.EACCES, "open in another program"),
        (errno.EROFS, "read-only"),
        (errno.ENOENT, "folder does not exist"),
        (errno.EIO, "Input/output error"),
    ],
)
def test_errors_are_described_in_words_with_what_to_do(code, words):
    text = describe_os_error(OSError(code, os.strerror(code)))
    assert words in text
    assert "—" in text  # every message says what to do next
