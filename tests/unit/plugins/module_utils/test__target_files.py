# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transfers write a hidden file, fsync it, rename it into place and fsync its directory, on real files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import mitogen.core
import mitogen.master
import mitogen.service
import pytest

import ansible_mitogen.target  # noqa: F401  # pylint: disable=unused-import  # the engine, as on a target

from ansible_collections.ns.mitogen.plugins.module_utils import _target_files


@pytest.fixture
def steps(monkeypatch):
    """What the transfer does to the disk, in order: ("fsync", path of the descriptor) and ("rename", src, dst)."""
    seen = []
    fsync, rename = os.fsync, os.rename

    def spy_fsync(fd):
        seen.append(("fsync", os.readlink("/proc/self/fd/%d" % fd)))
        fsync(fd)

    def spy_rename(src, dst):
        seen.append(("rename", str(src), str(dst)))
        rename(src, dst)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "rename", spy_rename)
    return seen


def assert_synced_around_the_rename(seen, dest: Path):
    hidden = seen[0][1]
    assert Path(hidden).parent == dest.parent and Path(hidden).name.startswith(_target_files.PREFIX), seen
    assert seen == [("fsync", hidden), ("rename", hidden, str(dest)), ("fsync", str(dest.parent))]


def test_a_small_file_is_synced_before_and_after_its_rename(tmp_path, steps):
    dest = tmp_path / "small.txt"
    dest.write_bytes(b"old")
    _target_files.write_path(str(dest), b"new content", mode=0o640, utimes=(1000000000, 1200000000))
    assert_synced_around_the_rename(steps, dest)
    assert dest.read_bytes() == b"new content"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640 and dest.stat().st_mtime == 1200000000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.txt"]


def test_a_failed_write_removes_its_hidden_file_and_keeps_the_old_one(tmp_path):
    dest = tmp_path / "small.txt"
    dest.write_bytes(b"old")
    with pytest.raises(TypeError):
        _target_files.write_path(str(dest), "text is not bytes")
    assert dest.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["small.txt"]


@pytest.fixture
def file_service():
    """An interpreter with the engine's FileService, as a fetch streams from a target's: (its Context, register)."""
    broker = mitogen.master.Broker()
    router = mitogen.master.Router(broker)
    try:
        child = router.local()

        def register(path):
            mitogen.service.call(call_context=child, service_name="mitogen.service.FileService",
                                 method_name="register", path=path)

        yield child, register
    finally:
        broker.shutdown()
        broker.join()


def test_a_streamed_file_is_synced_before_and_after_its_rename(tmp_path, file_service, steps):
    context, register = file_service
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(3 * mitogen.core.CHUNK_SIZE + 7))
    source.chmod(0o604)
    os.utime(source, (1000000000, 1200000000))
    register(str(source))
    dest = tmp_path / "out" / "dest.bin"
    dest.parent.mkdir()
    _target_files.transfer_file(context=context, in_path=str(source), out_path=str(dest))
    assert_synced_around_the_rename(steps, dest)
    assert dest.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o604 and dest.stat().st_mtime == 1200000000
    assert [p.name for p in dest.parent.iterdir()] == ["dest.bin"]


def test_a_lost_connection_removes_the_partial_file(tmp_path):
    # A broker's shutdown (the engine's interpreter is about to end) removes the files of transfers in flight.
    broker = mitogen.master.Broker()
    try:
        partial = tmp_path / (_target_files.PREFIX + "x.tmp")
        partial.write_bytes(b"part")
        _target_files._watch(broker)  # pylint: disable=protected-access
        _target_files._watch(broker)  # pylint: disable=protected-access  # once per broker
        with _target_files._LOCK:  # pylint: disable=protected-access
            _target_files._PENDING.add(str(partial))  # pylint: disable=protected-access
    finally:
        broker.shutdown()
        broker.join()
    assert not partial.exists() and not _target_files._PENDING  # pylint: disable=protected-access


def test_directories_that_cannot_be_synced_are_not_an_error(tmp_path, monkeypatch):
    def refuse(fd):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "fsync", refuse)
    _target_files.sync_directory(str(tmp_path))
