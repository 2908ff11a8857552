# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Interpreter discovery as stock Ansible reports it: the discovered interpreter comes back once.

Private: not a public API. ansible-core returns the ``discovered_interpreter_python``
fact with the result of the task that ran the discovery, and not again once the
fact is known. The engine marked every task of a host whose interpreter had
been discovered, so every result carried the fact again.
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

FACT = "discovered_interpreter_python"


def known_before(task_vars, rediscover_python) -> bool:
    """Whether the host's interpreter was discovered by an earlier task (and is not rediscovered now)."""
    facts = (task_vars or {}).get("ansible_facts") or {}
    return not rediscover_python and bool(facts.get(FACT))


def _discovered_once(original):
    def run_interpreter_discovery_if_necessary(s, candidates, task_vars, action, rediscover_python):
        known = known_before(task_vars, rediscover_python)
        found = original(s, candidates, task_vars, action, rediscover_python)
        discovered = PlayState.current.discovered
        if not known and getattr(action, "_discovered_interpreter_key", None):
            discovered.add(action)  # this task discovered it: its result carries the fact
        elif known and action not in discovered and hasattr(action, "_discovered_interpreter_key"):
            action._discovered_interpreter_key = None  # pylint: disable=protected-access
        return found
    return run_interpreter_discovery_if_necessary


DISCOVERED_ONCE = _engine.Patch(
    name="discovered-interpreter-once",
    target="ansible_mitogen.transport_config.run_interpreter_discovery_if_necessary",
    why="The discovered_interpreter_python fact comes back with the task that discovered the interpreter, as under "
        "stock Ansible; the engine alone returned it again with every later task of the host.",
    test="tests/parity/cases/interpreter_discovery.yml",
    make=_discovered_once,
    shape=("s", "candidates", "task_vars", "action", "rediscover_python"),
)
