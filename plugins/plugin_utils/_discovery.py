# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Interpreter discovery as stock Ansible does it: behind mitogen_via too, and reported once.

Private: not a public API. ansible-core returns the ``discovered_interpreter_python``
fact with the result of the task that ran the discovery, and not again once the
fact is known. The engine marked every task of a host whose interpreter had
been discovered, so every result carried the fact again. And for a
``mitogen_via`` hop it ran discovery with no interpreter to try, which failed
("Unhandled error in Python interpreter discovery"; engine #1376).

The engine needs a Python to run the discovery's shell command, so it tries
the candidate interpreters one by one as the connection's Python. ns.mitogen
stops at the first that starts and, when none does, tries ansible-core's own
last resort (``/usr/bin/python3``): discovery then finds what stock finds, and
says "No python interpreters found" as stock does.

An interpreter setting that renders to ``omit`` (``ansible_python_interpreter:
"{{ omit }}"``) is the setting's default (``auto``: discovery), as ansible-core
renders it; the engine rendered it itself and failed the task ("A template was
resolved to an Omit scalar"). So is a script module's interpreter setting
(``ansible_<name>_interpreter``) rendered to omit: unset, as in ansible-core.
"""

from __future__ import annotations

import os
from collections import ChainMap

from ansible import constants as C
from ansible.errors import AnsibleValueOmittedError
from ansible.executor.interpreter_discovery import _FALLBACK_INTERPRETER

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


FALLBACK_VAR = "ansible_interpreter_python_fallback"


def _via_candidates(original):
    def python_path(self, rediscover_python=False):
        if self._host_vars.get(FALLBACK_VAR):  # pylint: disable=protected-access
            return original(self, rediscover_python)
        host_vars = self._host_vars  # pylint: disable=protected-access
        fallback = C.config.get_config_value("INTERPRETER_PYTHON_FALLBACK", variables=host_vars)
        self._host_vars = ChainMap({FALLBACK_VAR: fallback}, host_vars)  # pylint: disable=protected-access
        try:
            return original(self, rediscover_python)
        finally:
            self._host_vars = host_vars  # pylint: disable=protected-access
    return python_path


VIA_CANDIDATES = _engine.Patch(
    name="discovery-behind-a-hop",
    target="ansible_mitogen.transport_config.MitogenViaSpec.python_path",
    why="Interpreter discovery for a mitogen_via hop tries the interpreters ansible-core's "
        "INTERPRETER_PYTHON_FALLBACK lists, as for any host; the engine alone tried none and failed with "
        "\"Unhandled error in Python interpreter discovery\".",
    test="tests/integration/plugins/connection/test_via.py::test_interpreter_discovery_behind_a_hop",
    make=_via_candidates,
    shape=("self", "rediscover_python"),
)


def candidates_to_try(candidates) -> list[str]:
    """The interpreters to start the discovery with, in order: the candidates, then ansible-core's last resort."""
    tried = [c for c in (candidates or []) if isinstance(c, str)]
    return tried + ([] if _FALLBACK_INTERPRETER in tried else [_FALLBACK_INTERPRETER])


def _first_that_starts(original):
    def _low_level_execute_command(self, cmd, *args, **kwargs):
        if not getattr(self, "_mitogen_discovering_interpreter", False):
            return original(self, cmd, *args, **kwargs)
        candidates = self._mitogen_interpreter_candidates  # pylint: disable=protected-access
        tried = candidates_to_try(candidates)
        try:
            for n, candidate in enumerate(tried, 1):
                self._mitogen_interpreter_candidates = [candidate]  # pylint: disable=protected-access
                try:
                    return original(self, cmd, *args, **kwargs)
                except Exception:  # pylint: disable=broad-except  # as the engine: the next candidate
                    if n == len(tried):
                        raise
            raise AssertionError("unreachable")
        finally:
            self._mitogen_interpreter_candidates = candidates  # pylint: disable=protected-access
    return _low_level_execute_command


DISCOVERY_INTERPRETERS = _engine.Patch(
    name="discovery-interpreters",
    target="ansible_mitogen.mixins.ActionModuleMixin._low_level_execute_command",
    why="Interpreter discovery runs its command with the first candidate interpreter that starts, then "
        "ansible-core's last resort (/usr/bin/python3), and finds and warns as stock does; the engine alone "
        "started every candidate and failed the task when none of the configured ones existed.",
    test="tests/parity/cases/interpreter_discovery.yml",
    make=_first_that_starts,
    shape=("self", "cmd", "sudoable", "in_data", "executable", "encoding_errors", "chdir"),
)


class _OmitAsDefault:
    """A templar whose template() gives `default` where the template renders to omit (ansible-core's value_for_omit)."""

    def __init__(self, templar, default):
        self._templar = templar
        self._default = default

    def __getattr__(self, name):
        return getattr(self._templar, name)

    def template(self, variable, *args, **kwargs):
        try:
            return self._templar.template(variable, *args, **kwargs)
        except AnsibleValueOmittedError:
            return self._default


def _omitted_interpreter(original):
    def python_path(self, rediscover_python=False):
        connection = self._connection  # pylint: disable=protected-access
        templar = getattr(connection, "templar", None)
        if templar is None:
            return original(self, rediscover_python)
        # The engine renders the interpreter setting with the connection's templar, as ansible-core
        # renders it: an omitted setting is the setting's default.
        connection.templar = _OmitAsDefault(templar, C.config.get_config_default("INTERPRETER_PYTHON"))
        try:
            return original(self, rediscover_python)
        finally:
            connection.templar = templar
    return python_path


OMITTED_INTERPRETER = _engine.Patch(
    name="omitted-interpreter-is-discovered",
    target="ansible_mitogen.transport_config.PlayContextSpec.python_path",
    why="ansible_python_interpreter (or interpreter_python) rendered to omit is the setting's default, auto, and "
        "the interpreter is discovered, as under stock Ansible; the engine alone failed the task with \"A template "
        "was resolved to an Omit scalar\".",
    test="tests/parity/cases/interpreter_discovery.yml",
    make=_omitted_interpreter,
    shape=("self", "rediscover_python"),
)


def _omitted_script_interpreter(original):
    def _rewrite_interpreter(self, path):
        try:
            return original(self, path)
        except AnsibleValueOmittedError:
            # As ansible-core: an interpreter variable rendered to omit is as if it were not set.
            invocation = self._inv  # pylint: disable=protected-access
            key = "ansible_%s_interpreter" % os.path.basename(path).strip()
            task_vars = invocation.task_vars
            invocation.task_vars = {k: v for k, v in task_vars.items() if k != key}
            try:
                return original(self, path)
            finally:
                invocation.task_vars = task_vars
    return _rewrite_interpreter


OMITTED_SCRIPT_INTERPRETER = _engine.Patch(
    name="omitted-script-interpreter-is-unset",
    target="ansible_mitogen.planner.ScriptPlanner._rewrite_interpreter",
    why="A script module's ansible_<name>_interpreter rendered to omit is unset: the module runs with the "
        "interpreter of its #! line, as under stock Ansible; the engine alone failed the task with \"A template "
        "was resolved to an Omit scalar\".",
    test="tests/parity/cases/interpreter_discovery.yml",
    make=_omitted_script_interpreter,
    shape=("self", "path"),
)
