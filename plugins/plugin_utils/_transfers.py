# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File transfers: the engine's write and streamed transfer, replaced by ns.mitogen's durable ones.

Private: not a public API. The connection's ``put_data`` (small files, pipelined)
calls ``ansible_mitogen.target.write_path`` on the target; its ``put_file``
calls ``transfer_file`` there, and its ``fetch_file`` calls ``transfer_file`` on
the controller. These patches point those calls at
``plugins/module_utils/_target_files.py``, which the engine serves to its target
interpreters as it serves its own modules.
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.module_utils import _target_files
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

TEST = "tests/unit/plugins/module_utils/test__target_files.py::"

WRITE_PATH = _engine.Patch(
    name="transfers-fsync-small-files",
    target="ansible_mitogen.target.write_path",
    why="A small file sent whole is written to a hidden file, fsynced, renamed into place and its directory "
        "fsynced, so that a crash leaves the old file or the new one; the engine never fsynced (its sync flag "
        "called fsync after closing the file).",
    test=TEST + "test_a_small_file_is_synced_before_and_after_its_rename",
    make=lambda original: _target_files.write_path,
    shape=("path", "s", "owner", "group", "mode", "utimes", "sync"),
)

TRANSFER_FILE = _engine.Patch(
    name="transfers-fsync-streamed-files",
    target="ansible_mitogen.target.transfer_file",
    why="A streamed transfer (copy and template of larger files, fetch) is fsynced before its rename and its "
        "directory after it, as small files are; and a transfer whose connection drops removes its partial "
        "hidden file, which the engine's interpreter left behind when it ended.",
    test="tests/integration/plugins/callback/test_accelerate.py::test_a_run_killed_during_a_copy_leaves_what_stock_leaves",
    make=lambda original: _target_files.transfer_file,
    shape=("context", "in_path", "out_path", "sync", "set_owner"),
)
