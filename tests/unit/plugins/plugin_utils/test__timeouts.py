# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timeouts of connecting: a become step's window, as stock's ssh connection counts it, and its failure."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleConnectionFailure, AnsibleError

from ansible_collections.ns.mitogen.plugins.plugin_utils import _timeouts

SSH = {"method": "ssh", "kwargs": {"connect_timeout": 10, "hostname": "web1"}}
SUDO = {"method": "sudo", "kwargs": {"connect_timeout": 10, "username": "root"}}


def test_a_become_window_is_stocks_timeout_plus_two_counted_from_the_step_it_shares():
    own = _timeouts.become_window(10, shared=False)
    shared = _timeouts.become_window(10, shared=True)
    assert own["seconds"] == shared["seconds"] == 12
    assert _timeouts.seconds_left(own, now=100.0, previous_start=95.0) == 12  # the login came before: alone
    # what the login left, and the time to start the new account's Python
    assert _timeouts.seconds_left(shared, now=100.0, previous_start=95.0) == 7 + _timeouts.INTERPRETER_START
    assert _timeouts.seconds_left(shared, now=100.0, previous_start=None) == 12  # the login was already up
    assert _timeouts.seconds_left(shared, now=100.0, previous_start=80.0) == _timeouts.SHORTEST


class Become:
    def __init__(self, pipelining):
        self.pipelining = pipelining


class Connection:
    """Enough of the engine's Connection for the _connect_stack patch."""

    def __init__(self, pipelining=None, become=None, host="web1"):
        self.pipelining, self.become, self.host = pipelining, become, host

    def get_option(self, name):
        if self.pipelining is None:
            raise KeyError(name)
        return {"pipelining": self.pipelining}[name]

    def get_task_var(self, name):
        return {"inventory_hostname": self.host}.get(name)


@pytest.mark.parametrize("connection, logs_in", [
    (Connection(pipelining=True, become=Become(True)), True),
    (Connection(pipelining=True, become=Become(False)), False),  # su: stock never pipelines it
    (Connection(pipelining=False, become=Become(True)), False),
    (Connection(pipelining=None), False),
])
def test_stocks_escalating_command_logs_in_itself_only_when_pipelined(connection, logs_in):
    assert _timeouts.logs_in_with_become(connection) is logs_in


def test_only_become_steps_are_marked_and_only_the_last_after_ssh_shares():
    hop_sudo = dict(SUDO, kwargs=dict(SUDO["kwargs"], username="admin"))
    marked = _timeouts.marked_stack([SSH, hop_sudo, SSH, SUDO], shared_last=True)
    assert _timeouts.WINDOW_KEY not in marked[0] and _timeouts.WINDOW_KEY not in marked[2]
    assert marked[1][_timeouts.WINDOW_KEY] == {"seconds": 12, "shared": False}
    assert marked[3][_timeouts.WINDOW_KEY] == {"seconds": 12, "shared": True}
    assert _timeouts.marked_stack([SSH, SUDO], shared_last=False)[1][_timeouts.WINDOW_KEY]["shared"] is False
    assert _timeouts.WINDOW_KEY not in SUDO  # the worker's own stack is left as it was


def test_a_hanging_become_is_unreachable_with_the_engines_words_then_ansible_cores():
    seen = []

    def engine(self, stack):
        seen.append(stack)
        raise AnsibleError("error occurred on host web1: Connection timed out.")

    connect = _timeouts.BECOME_TIMEOUT.make(engine)
    with pytest.raises(AnsibleConnectionFailure) as info:
        connect(Connection(pipelining=True, become=Become(True)), [SSH, SUDO])
    message = str(info.value.message)
    assert message.startswith("error occurred on host web1: Connection timed out. Timeout (12s) waiting for "
                              "privilege escalation prompt: ns.mitogen: sudo to root on host web1 ")
    assert "\n" not in message
    assert seen[0][1][_timeouts.WINDOW_KEY]["shared"] is True

    def other_failure(self, stack):
        raise AnsibleError("something else")

    with pytest.raises(AnsibleError, match="something else"):
        _timeouts.BECOME_TIMEOUT.make(other_failure)(Connection(), [SUDO])


class Service:
    """Enough of the engine's ContextService: get() runs each step through _connect, as the engine does."""

    def __init__(self, connect):
        self.connect, self.calls = connect, []

    def get(self, stack):
        via = None
        for step in stack:
            assert _timeouts.WINDOW_KEY not in step  # connections are keyed without the marks
            via = self.connect(self, "key", step, via=via)["context"]
        return via


def test_the_multiplexer_gives_a_become_step_what_the_ssh_step_left(monkeypatch):
    clock = iter([100.0, 104.0])  # the ssh step starts at 100, the become step at 104
    monkeypatch.setattr(_timeouts.time, "time", lambda: next(clock))
    timeouts = []

    def engine_connect(self, key, spec, via=None):
        timeouts.append(spec["kwargs"]["connect_timeout"])
        return {"context": object()}

    def engine_get(self, stack):
        return Service(_timeouts.STEP_WINDOW.make(engine_connect)).get(stack)

    engine_get.mitogen_service__policies = ["exposed"]
    get = _timeouts.REQUEST_WINDOWS.make(engine_get)
    assert get.mitogen_service__policies == ["exposed"]  # the engine's service still exposes it
    get(None, _timeouts.marked_stack([SSH, SUDO], shared_last=True))
    # ssh: the engine's own; sudo: 12 s from the ssh step's start, and the time to start Python
    assert timeouts == [10, 8 + _timeouts.INTERPRETER_START]
