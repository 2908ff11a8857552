# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failures: the engine's or ansible-core's words first, ours after, the same host state."""

from __future__ import annotations

import ansible_mitogen.connection
import pytest
from ansible.errors import AnsibleConnectionFailure

from ansible_collections.ns.mitogen.plugins.plugin_utils import _failures
from ansible_collections.ns.mitogen.plugins.plugin_utils._connect import UnsupportedMethod

ENGINE_LOST = "Mitogen was disconnected from the remote environment while a call was in-progress."


@pytest.mark.parametrize("engine, want", [
    ("EOF on stream; last 100 lines received:\nssh: connect to host 10.0.0.1 port 22: Connection refused",
     "EOF on stream; last 100 lines received: ssh: connect to host 10.0.0.1 port 22: Connection refused; "
     "ns.mitogen: the connection closed before the target's Python started"),
    ("EOF on stream; last 100 lines received:\n",
     "EOF on stream; last 100 lines received: (nothing); ns.mitogen: the connection closed before the target's "
     "Python started"),
    ("SSH password was requested, but none specified",
     "SSH password was requested, but none specified; ns.mitogen: the target asked for an SSH password and none "
     "is set (a key login was refused or no key was offered): check ansible_user and ansible_ssh_private_key_file, "
     "or set ansible_password"),
    ("SSH password is incorrect", "SSH password is incorrect"),
    ("first\n  second\n\nthird", "first | second | third"),
])
def test_connection_failures_become_one_line_starting_with_the_engines_words(engine, want):
    assert _failures.connection_failure_message(engine) == want


class Connection:
    """Enough of the engine's Connection for the _connect_stack patches."""

    def __init__(self, task_vars):
        self.task_vars = task_vars

    def get_task_var(self, name):
        return self.task_vars.get(name)

    def _get_task_vars(self):
        return self.task_vars


def raising(exc):
    def _connect_stack(self, stack):
        raise exc
    return _connect_stack


def test_connect_failure_stays_unreachable_and_names_the_hops():
    hostvars = {"bastion": {"mitogen_via": "jump"}, "jump": {}}
    conn = Connection({"inventory_hostname": "web1", "mitogen_via": "sudo:root@bastion", "hostvars": hostvars})
    connect = _failures.CONNECT_FAILURE.make(raising(AnsibleConnectionFailure("SSH password is incorrect")))
    with pytest.raises(AnsibleConnectionFailure) as info:
        connect(conn, [{}, {}, {}])
    assert str(info.value.message) == ("SSH password is incorrect (web1 is reached through mitogen_via: jump -> "
                                       "bastion; check that each hop is up and can reach the next)")
    with pytest.raises(AnsibleConnectionFailure) as info:  # no hops: the engine's own exception, unchanged
        connect(Connection({"inventory_hostname": "web1"}), [{}])
    assert str(info.value.message) == "SSH password is incorrect"


def test_via_chain_stops_at_a_cycle():
    hostvars = {"a": {"mitogen_via": "b"}, "b": {"mitogen_via": "a"}}
    assert _failures.via_chain(Connection({"mitogen_via": "a", "hostvars": hostvars})) == ["a", "b"]


def test_lost_connection_keeps_the_engines_sentence_first():
    message = _failures.LOST_CONNECTION.make(ansible_mitogen.connection.CallChain.call_aborted_msg)
    text = message % ("ChannelError: channel closed",)
    assert text.startswith(ENGINE_LOST + " Original error was: ChannelError: channel closed. ns.mitogen: ")
    assert "file a bug" not in text and "\n" not in text


class Spec:
    def __init__(self, transport, name="web1"):
        self._transport, self._name = transport, name

    def transport(self):
        return self._transport

    def inventory_name(self):
        return self._name


def test_an_unsupported_method_is_named_with_its_host_and_what_the_engine_supports():
    stack_from_spec = _failures.UNSUPPORTED_METHOD.make(raising_stack(UnsupportedMethod("community.general.sudosu")))
    with pytest.raises(AnsibleConnectionFailure) as info:
        stack_from_spec(None, Spec("ssh"))
    msg = str(info.value.message)
    assert "become method 'community.general.sudosu' of host 'web1'" in msg
    assert "the become methods sudo, su, doas" in msg and "ssh" in msg and "\n" not in msg


def raising_stack(exc):
    def _stack_from_spec(self, spec, stack=(), seen_names=()):
        raise exc
    return _stack_from_spec


# ------------------------------------------------------------------ interpreter-not-found-fails-the-task

SSH_STEP = {"method": "ssh", "kwargs": {"python_path": ["/nonexistent/python3"]}}
NOT_FOUND = "EOF on stream; last 100 lines received:\nbash: line 1: /nonexistent/python3: No such file or directory"


def test_a_missing_interpreter_is_recognised_in_the_engines_output():
    missing = _failures.missing_interpreter(NOT_FOUND, [SSH_STEP, {"method": "sudo", "kwargs": {}}])
    assert isinstance(missing, AnsibleConnectionFailure)  # where nothing catches it: unreachable, as before
    assert missing.interpreter == "/nonexistent/python3"
    assert _failures.missing_interpreter("EOF on stream; last 100 lines received:\nPermission denied", [SSH_STEP]) is None
    assert _failures.missing_interpreter(NOT_FOUND, [{"method": "ssh", "kwargs": {"python_path": ["/usr/bin/python3"]}}]) is None


def test_a_missing_interpreter_of_the_local_connection_is_recognised():
    text = ("Child start failed: [Errno 2] No such file or directory: '/nonexistent/python3'. "
            "Command was: /nonexistent/python3 -c \"import sys\"")
    missing = _failures.missing_interpreter(text, [{"method": "local", "kwargs": {"python_path": ["/nonexistent/python3"]}}])
    assert missing.interpreter == "/nonexistent/python3" and missing.result()["rc"] == 127
    assert _failures.missing_interpreter(text, [{"method": "local", "kwargs": {"python_path": ["/usr/bin/python3"]}}]) is None


def test_the_action_fails_the_task_as_stock_does():
    connect = _failures.CONNECT_FAILURE.make(raising(AnsibleConnectionFailure(NOT_FOUND)))
    with pytest.raises(_failures.InterpreterNotFound) as info:
        connect(Connection({"inventory_hostname": "web1"}), [SSH_STEP])

    def action_run(self, tmp=None, task_vars=None):
        raise info.value

    result = _failures.INTERPRETER_NOT_FOUND.make(action_run)(None, None, {})
    assert result["failed"] and result["rc"] == 127 and not result["changed"]
    assert result["msg"] == "The module interpreter '/nonexistent/python3' was not found."
    assert "/nonexistent/python3: No such file or directory" in result["module_stderr"]
    assert _failures.INTERPRETER_NOT_FOUND.make(lambda self, tmp=None, task_vars=None: {"ok": 1})(None) == {"ok": 1}
