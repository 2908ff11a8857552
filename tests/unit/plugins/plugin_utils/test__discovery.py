# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The discovered interpreter comes back with the task that discovered it, and not again.

An interpreter setting rendered to omit is its default (discovery), or unset for a script module.
"""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleUndefinedVariable
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.ns.mitogen.plugins.plugin_utils import _discovery
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState


@pytest.fixture(autouse=True)
def fresh_state():
    PlayState.begin()


def engine_discovery(s, candidates, task_vars, action, rediscover_python):
    """As the engine: discovers when the fact is missing, and marks the action either way."""
    facts = task_vars.setdefault("ansible_facts", {})
    facts.setdefault(_discovery.FACT, "/usr/bin/python3")
    action._discovered_interpreter_key = _discovery.FACT  # pylint: disable=protected-access
    return facts[_discovery.FACT]


class Action:
    """Stands for an action plugin object (weakly referable), before any discovery."""

    def __init__(self):
        self._discovered_interpreter_key = None


def action():
    return Action()


def test_only_the_task_that_discovers_returns_the_fact():
    run = _discovery.DISCOVERED_ONCE.make(engine_discovery)
    task_vars: dict = {}
    first = action()
    assert run("auto", [], task_vars, first, False) == "/usr/bin/python3"
    run("auto", [], task_vars, first, False)  # the same task asks again: it still discovered it
    assert first._discovered_interpreter_key == _discovery.FACT  # pylint: disable=protected-access
    later = action()
    run("auto", [], task_vars, later, False)
    assert later._discovered_interpreter_key is None  # pylint: disable=protected-access


def test_a_rediscovery_is_left_to_the_engine():
    run = _discovery.DISCOVERED_ONCE.make(engine_discovery)
    rediscovering = action()
    run("auto", [], {"ansible_facts": {_discovery.FACT: "/usr/bin/python3"}}, rediscovering, True)
    assert rediscovering._discovered_interpreter_key == _discovery.FACT  # pylint: disable=protected-access


class ViaSpec:
    """Stands for the engine's MitogenViaSpec: host variables, and python_path reading the fallback from them."""

    def __init__(self, host_vars):
        self._host_vars = host_vars

    def python_path(self, rediscover_python=False):
        return list(self._host_vars.get(_discovery.FALLBACK_VAR, []))


def test_a_hop_tries_the_configured_fallback_interpreters():
    python_path = _discovery.VIA_CANDIDATES.make(ViaSpec.python_path)
    hop = ViaSpec({"ansible_python_interpreter": "auto_silent"})
    tried = python_path(hop)
    assert "/usr/bin/python3" in tried and len(tried) > 1
    assert _discovery.FALLBACK_VAR not in hop._host_vars  # pylint: disable=protected-access
    own = ViaSpec({_discovery.FALLBACK_VAR: ["/opt/python"]})
    assert python_path(own) == ["/opt/python"]


class Discovering:
    """Stands for an action object of the engine while it discovers the interpreter."""

    def __init__(self, candidates, starts):
        self._mitogen_discovering_interpreter = True
        self._mitogen_interpreter_candidates = candidates
        self.starts, self.started = starts, []

    def engine_execute(self, cmd, *args, **kwargs):
        """As the engine: tries each candidate (it would go on after one that starts) and fails with the last."""
        for candidate in self._mitogen_interpreter_candidates:
            self.started.append(candidate)
        if self._mitogen_interpreter_candidates[-1] not in self.starts:
            raise OSError("%s: not found" % self._mitogen_interpreter_candidates[-1])
        return {"rc": 0, "stdout": "FOUND\n/usr/bin/python3\nENDFOUND\n"}


def test_discovery_stops_at_the_first_interpreter_that_starts():
    execute = _discovery.DISCOVERY_INTERPRETERS.make(Discovering.engine_execute)
    action = Discovering(["/opt/nope", "/usr/bin/python3.11", "/usr/bin/python3"], {"/usr/bin/python3.11", "/usr/bin/python3"})
    assert execute(action, "echo FOUND")["rc"] == 0
    assert action.started == ["/opt/nope", "/usr/bin/python3.11"]
    assert action._mitogen_interpreter_candidates == ["/opt/nope", "/usr/bin/python3.11", "/usr/bin/python3"]


def test_without_a_candidate_that_starts_discovery_runs_on_ansible_core_s_last_resort():
    execute = _discovery.DISCOVERY_INTERPRETERS.make(Discovering.engine_execute)
    action = Discovering(["/usr/bin/does_not_exist"], {"/usr/bin/python3"})
    execute(action, "echo FOUND")
    assert action.started == ["/usr/bin/does_not_exist", "/usr/bin/python3"]
    nothing = Discovering([], set())
    with pytest.raises(OSError):
        execute(nothing, "echo FOUND")
    assert nothing.started == ["/usr/bin/python3"]


class Connection:
    """Stands for the engine's connection: the action's templar, set on it by the engine."""

    def __init__(self):
        self.templar = Templar(loader=DataLoader())


class PlaySpec:
    """Stands for the engine's PlayContextSpec: python_path renders the interpreter setting with that templar."""

    def __init__(self, setting):
        self._connection = Connection()
        self.setting = trust_as_template(setting)

    def python_path(self, rediscover_python=False):  # pylint: disable=unused-argument
        return self._connection.templar.template(self.setting)


def test_an_interpreter_setting_rendered_to_omit_is_its_default():
    python_path = _discovery.OMITTED_INTERPRETER.make(PlaySpec.python_path)
    omitted = PlaySpec("{{ omit }}")
    assert python_path(omitted) == "auto"
    assert isinstance(omitted._connection.templar, Templar)  # pylint: disable=protected-access  # its own again
    assert python_path(PlaySpec("{{ '/usr/bin/python3' }}")) == "/usr/bin/python3"
    with pytest.raises(AnsibleUndefinedVariable):  # as under ansible-core: the task fails
        python_path(PlaySpec("{{ undefined_variable }}"))


class Invocation:
    """Stands for the engine's Invocation: the task's variables and templar."""

    def __init__(self, task_vars):
        self.task_vars = task_vars
        self.templar = Templar(loader=DataLoader())


class ScriptPlanner:
    """Stands for the engine's ScriptPlanner: the interpreter variable of the module's #! line, else the line's."""

    def __init__(self, task_vars):
        self._inv = Invocation(task_vars)

    def _rewrite_interpreter(self, path):
        key = "ansible_%s_interpreter" % os.path.basename(path)
        if key in self._inv.task_vars:
            return self._inv.templar.template(self._inv.task_vars[key])
        return path


def test_a_script_interpreter_variable_rendered_to_omit_is_unset():
    rewrite = _discovery.OMITTED_SCRIPT_INTERPRETER.make(ScriptPlanner._rewrite_interpreter)
    task_vars = {"ansible_sh_interpreter": trust_as_template("{{ omit }}"), "other": 1}
    omitted = ScriptPlanner(task_vars)
    assert rewrite(omitted, "/bin/sh") == "/bin/sh"
    assert omitted._inv.task_vars is task_vars  # pylint: disable=protected-access  # the task's own again
    assert rewrite(ScriptPlanner({"ansible_sh_interpreter": "/bin/dash"}), "/bin/sh") == "/bin/dash"
