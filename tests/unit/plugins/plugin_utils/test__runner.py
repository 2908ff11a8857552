# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's target-side entry point is replaced by ns.mitogen's."""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.module_utils import _target_runner
from ansible_collections.ns.mitogen.plugins.plugin_utils import _runner


def test_the_engine_calls_our_run_module_on_the_target():
    replacement = _runner.MODULE_FAILURES.make(lambda kwargs, econtext: None)
    assert replacement is _target_runner.run_module
    # The engine passes its ExternalContext to functions so marked, as to its own run_module.
    assert replacement.mitogen_takes_econtext is True
    # It is called on the target by module and name: a module the engine serves (ansible_collections.*).
    assert replacement.__module__ == "ansible_collections.ns.mitogen.plugins.module_utils._target_runner"
