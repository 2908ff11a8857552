# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta: reset_connection resets what exists and never connects, as under stock Ansible.

Private: not a public API. The engine's reset builds the connection's stack to
find the connection to drop; when the target's Python is not known yet, that
runs interpreter discovery, which connects, with the play's credentials of that
moment. When they come from variables set later (task vars, set_fact), the
connection fails and the whole playbook stops. A Python that still needs
discovering means no connection was made with that stack: there is nothing to
reset, so the reset ends there, as stock Ansible's does without a connection.
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

TEST = "tests/integration/plugins/plugin_utils/test__reset.py::test_reset_before_the_credentials_exist_is_a_no_op"
DISCOVERY_MODES = ("auto", "auto_legacy", "auto_silent", "auto_legacy_silent")


class NothingToReset(Exception):
    """The stack of the connection to reset would need interpreter discovery: no such connection exists."""


def needs_discovery(interpreter, task_vars) -> bool:
    """Whether `interpreter` (ansible_python_interpreter) is a discovery mode whose result is not known yet."""
    facts = (task_vars or {}).get("ansible_facts") or {}
    return (interpreter or "auto") in DISCOVERY_MODES and not facts.get("discovered_interpreter_python")


def _no_discovery_while_resetting(original):
    def run_interpreter_discovery_if_necessary(s, candidates, task_vars, action, rediscover_python):
        connection = getattr(action, "_connection", None)
        if connection is not None and connection in PlayState.current.resetting and needs_discovery(s, task_vars):
            raise NothingToReset()
        return original(s, candidates, task_vars, action, rediscover_python)
    return run_interpreter_discovery_if_necessary


NO_DISCOVERY = _engine.Patch(
    name="reset-never-discovers",
    target="ansible_mitogen.transport_config.run_interpreter_discovery_if_necessary",
    why="meta: reset_connection runs no interpreter discovery (which connects): a Python still to be discovered "
        "means there is no connection to reset (reset-connection-without-connecting).",
    test=TEST,
    make=_no_discovery_while_resetting,
    shape=("s", "candidates", "task_vars", "action", "rediscover_python"),
)


def _reset_without_connecting(original):
    def reset(self):
        resetting = PlayState.current.resetting
        resetting.add(self)
        try:
            return original(self)
        except NothingToReset:
            # The engine's reset stops before it undoes its temporary action object.
            if vars(self).pop("_action_monkey_patched_by_mitogen", False):
                vars(self).pop("_action", None)
            return None
        finally:
            resetting.discard(self)
    return reset


RESET = _engine.Patch(
    name="reset-connection-without-connecting",
    target="ansible_mitogen.connection.Connection.reset",
    why="meta: reset_connection before any connection exists does nothing, as under stock Ansible; the engine "
        "alone connected there with the credentials of that moment, and when they come from variables set later "
        "the whole playbook stopped.",
    test=TEST,
    make=_reset_without_connecting,
    shape=("self",),
)
