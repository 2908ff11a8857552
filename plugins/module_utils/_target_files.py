# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File transfers as ns.mitogen makes them: written aside, fsynced, renamed into place, the directory fsynced.

Private: not a public API, and not for modules to import. The controller's
patches ``transfers-fsync`` (``plugin_utils/_transfers.py``) make the engine
call ``write_path`` (small files, sent whole) and ``transfer_file`` (files
streamed from the controller; a fetch streams from the target into the
controller the same way) here in place of its own functions of
``ansible_mitogen.target``. The engine serves this file to its target
interpreters as it serves any module it calls; it imports nothing of the
engine, it takes the engine's modules from the interpreter.

What changes from the engine's functions: the complete file is fsynced
before the rename and its directory after it (the engine's ``sync`` flag
called fsync after closing the file, so it could not work), and a streamed
transfer whose connection drops removes its partial file (the engine's
interpreter ended with it in place). Modes, owner, times, the hidden file's
name, and the removal of the hidden file on errors stay the engine's.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
import tempfile
import threading

ENGINE_TARGET = "ansible_mitogen.target"  # the engine's set_file_mode, set_file_owner and LOG
ENGINE_CORE = "mitogen.core"
ENGINE_SERVICE = "mitogen.service"  # FileService, which streams a file between two interpreters
PREFIX = ".ansible_mitogen_transfer-"  # the engine's name of the hidden file
SUFFIX = ".tmp"
NO_DIRECTORY_SYNC = (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP)  # filesystems that cannot fsync a directory
WATCHED = "_ns_mitogen_transfers_watched"  # marks a broker whose shutdown removes partial transfers

_LOCK = threading.Lock()
_PENDING = set()  # hidden files of streamed transfers in flight in this interpreter


def _engine(name):
    return sys.modules.get(name) or importlib.import_module(name)


def sync_directory(directory):
    """fsync `directory`, so that a rename in it survives a crash (where the filesystem can do it)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in NO_DIRECTORY_SYNC:
            raise
    finally:
        os.close(fd)


def _drop_pending():
    """The interpreter's broker shuts down (its connection is gone): remove the partial files in flight.

    The engine's interpreter ends right after its broker without unwinding the
    call in progress, so the call's own cleanup never runs.
    """
    with _LOCK:
        for tmp_path in _PENDING:
            try:
                os.unlink(tmp_path)
            except OSError:
                pass
        _PENDING.clear()


def _watch(broker):
    """Remove partial transfers when `broker` shuts down (once per broker)."""
    if not getattr(broker, WATCHED, False):
        setattr(broker, WATCHED, True)
        _engine(ENGINE_CORE).listen(broker, "shutdown", _drop_pending)


def _write_aside(path, fill, pending=False):
    """Write `path` as the engine does, through a hidden file beside it, durably.

    ``fill(fp, tmp_path)`` writes the hidden file, sets its attributes and
    returns its times (or None). Then: the times, fsync, close, rename over
    `path`, fsync of the directory.
    On any error the hidden file is removed. A `pending` file is also removed
    when the connection drops meanwhile.
    """
    path = os.path.abspath(path)
    fd, tmp_path = tempfile.mkstemp(suffix=SUFFIX, prefix=PREFIX, dir=os.path.dirname(path))
    fp = os.fdopen(fd, "wb", _engine(ENGINE_CORE).CHUNK_SIZE)
    _engine(ENGINE_TARGET).LOG.debug("write(%r) temporary file: %s", path, tmp_path)
    if pending:
        with _LOCK:
            _PENDING.add(tmp_path)
    try:
        try:
            utimes = fill(fp, tmp_path)
            fp.flush()  # before the times: a write would change them
            if utimes:
                os.utime(tmp_path, utimes)
            os.fsync(fp.fileno())
        finally:
            fp.close()
        with _LOCK:
            if pending and tmp_path not in _PENDING:
                raise IOError("the transfer to %r was interrupted: its connection was lost." % (path,))
            os.rename(tmp_path, path)
            _PENDING.discard(tmp_path)
    except BaseException:
        with _LOCK:
            _PENDING.discard(tmp_path)
        try:
            os.unlink(tmp_path)
        except OSError:
            pass  # already removed with the lost connection
        raise
    sync_directory(os.path.dirname(path))


def write_path(path, s, owner=None, group=None, mode=None, utimes=None, sync=False):  # pylint: disable=unused-argument
    """``ansible_mitogen.target.write_path``: write bytes `s` to `path`; always synced (`sync` is ignored)."""
    target = _engine(ENGINE_TARGET)

    def fill(fp, tmp_path):
        if mode:
            target.set_file_mode(tmp_path, mode, fd=fp.fileno())
        if owner or group:
            target.set_file_owner(tmp_path, owner, group, fd=fp.fileno())
        fp.write(s)
        return utimes

    _write_aside(path, fill)


def transfer_file(context, in_path, out_path, sync=False, set_owner=False):  # pylint: disable=unused-argument
    """``ansible_mitogen.target.transfer_file``: stream `in_path` from the FileService of `context` to `out_path`.

    Always synced (`sync` is ignored). The file's mode (and with `set_owner`, its
    owner) and times are those the FileService sends.
    """
    target = _engine(ENGINE_TARGET)

    def fill(fp, tmp_path):
        ok, found = _engine(ENGINE_SERVICE).FileService.get(context=context, path=in_path, out_fp=fp)
        if not ok:
            raise IOError("transfer of %r was interrupted." % (in_path,))  # the engine's words
        target.set_file_mode(tmp_path, found["mode"], fd=fp.fileno())
        if set_owner:
            target.set_file_owner(tmp_path, found["owner"], found["group"], fd=fp.fileno())
        return found["atime"], found["mtime"]

    _watch(context.router.broker)
    _write_aside(out_path, fill, pending=True)
