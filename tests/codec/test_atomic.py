import os

import pytest

from codec.atomic import OutputExistsError, write_bytes_atomic
from codec.errors import CodecError


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    target = tmp_path / "out.msp"

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(CodecError, match="No space left"):
        write_bytes_atomic(target, b"x" * 10000)
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(CodecError):
        write_bytes_atomic(target, b"new", overwrite=True)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_no_overwrite_by_default(tmp_path):
    target = tmp_path / "a"
    write_bytes_atomic(target, b"1")
    with pytest.raises(OutputExistsError):
        write_bytes_atomic(target, b"2")
    assert target.read_bytes() == b"1"
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)
