# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's transfers are pointed at ns.mitogen's target code, with the engine's signatures."""

from __future__ import annotations

import inspect

from ansible_collections.ns.mitogen.plugins.module_utils import _target_files
from ansible_collections.ns.mitogen.plugins.plugin_utils import _transfers


def check_replacement(patch, replacement):
    # The engine's callers pass the engine's parameters: the replacement takes them all.
    assert tuple(inspect.signature(replacement).parameters) == patch.shape
    # Served to targets by module name, as the engine's own target functions.
    assert replacement.__module__ == "ansible_collections.ns.mitogen.plugins.module_utils._target_files"


def test_small_files_are_written_by_the_target_code():
    assert _transfers.WRITE_PATH.make(None) is _target_files.write_path
    check_replacement(_transfers.WRITE_PATH, _target_files.write_path)


def test_streamed_files_are_written_by_the_target_code():
    assert _transfers.TRANSFER_FILE.make(None) is _target_files.transfer_file
    check_replacement(_transfers.TRANSFER_FILE, _target_files.transfer_file)
