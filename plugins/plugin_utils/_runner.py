# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a module runs on the target: the engine's target-side entry point, replaced by ns.mitogen's.

Private: not a public API. The code that runs on the target is
``plugins/module_utils/_target_runner.py``; the engine serves it to its target
interpreters as it serves its own modules (it serves ``ansible_collections``).
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.module_utils import _target_runner
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

MODULE_FAILURES = _engine.Patch(
    name="module-failures-as-stock",
    target="ansible_mitogen.target.run_module",
    why="A module that raises an exception fails its task with the exception's message, as under ansible-core's "
        "module wrapper; the engine alone printed a traceback the controller could not read (\"Module result "
        "deserialization failed\").",
    test="tests/parity/cases/module_exception.yml",
    make=lambda original: _target_runner.run_module,
    shape=("kwargs", "econtext"),
)
