# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failures of connecting and of calls in flight, reported in one line a user can act on.

Private: not a public API. A text that users or tools may already match on
(the engine's, ansible-core's) stays first; ns.mitogen's explanation follows
it after "ns.mitogen:". The host state and exception type stay the engine's.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleConnectionFailure

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._connect import BECOME_METHODS, UnsupportedMethod
from ansible_collections.ns.mitogen.plugins.plugin_utils._names import via_name


def explained(text: str, explanation: str) -> str:
    """The original one-line `text`, then ours."""
    return "%s; ns.mitogen: %s" % (text.rstrip(" ;:."), explanation)


# ------------------------------------------------------------------ methods the engine lacks

def unsupported_message(spec, name) -> str:
    """One line naming the method the engine cannot use, the host, and what it supports."""
    def ask(method):
        try:
            return method()
        except Exception:  # pylint: disable=broad-except  # only decorates a message
            return None

    table = _engine.connection.CONNECTION_METHOD
    kind = "connection" if name == ask(spec.transport) else "become method"
    via = " (a mitogen_via hop)" if isinstance(spec, _engine.transport_config.MitogenViaSpec) else ""
    connections = sorted(k for k in table if k not in BECOME_METHODS and "." not in k and not k.startswith("mitogen_"))
    return ("ns.mitogen: the Mitogen engine cannot use the %s %r of host %r%s; it supports the connections %s "
            "and the become methods %s: use one of those, or run this play with a stock strategy"
            % (kind, name, ask(spec.inventory_name), via, ", ".join(connections), ", ".join(BECOME_METHODS)))


def _unsupported_method(original):
    def _stack_from_spec(self, spec, stack=(), seen_names=()):
        try:
            return original(self, spec, stack=stack, seen_names=seen_names)
        except UnsupportedMethod as exc:  # the innermost call names the failing spec
            raise AnsibleConnectionFailure(unsupported_message(spec, exc.name)) from None
    return _stack_from_spec


UNSUPPORTED_METHOD = _engine.Patch(
    name="unsupported-method-named",
    target="ansible_mitogen.connection.Connection._stack_from_spec",
    why="A connection or become method the engine cannot use fails with one line naming it and the host; the "
        "engine alone raised a bare KeyError.",
    test="tests/integration/plugins/plugin_utils/test__mitogen.py::test_unsupported_become_in_a_hop_names_method_and_host",
    make=_unsupported_method,
    shape=("self", "spec", "stack", "seen_names"),
)


# ------------------------------------------------------------------ connecting

SSH_PASSWORD_MISSING = "SSH password was requested, but none specified"
EARLY_EOF = "EOF on stream; last 100 lines received:"


def connection_failure_message(text: str) -> str:
    """The engine's connection failure `text` as one line a user can act on, the engine's words first."""
    if text.strip() == SSH_PASSWORD_MISSING:
        return explained(text.strip(), "the target asked for an SSH password and none is set (a key login was "
                         "refused or no key was offered): check ansible_user and ansible_ssh_private_key_file, "
                         "or set ansible_password")
    head, newline, rest = text.partition("\n")
    if not newline:
        return text
    said = [line.strip() for line in rest.splitlines() if line.strip()]
    if head.strip() == EARLY_EOF:
        return "%s %s; ns.mitogen: the connection closed before the target's Python started" % (
            EARLY_EOF, " | ".join(said[-3:]) or "(nothing)")
    return " | ".join([head.strip()] + said)


def via_chain(connection) -> list[str]:
    """The mitogen_via hops of the connection's host, nearest first (cycles cut short)."""
    chain: list[str] = []
    templar = getattr(connection, "templar", None)
    via = via_name(templar, connection.get_task_var("mitogen_via"))
    hostvars = connection._get_task_vars().get("hostvars") or {}  # pylint: disable=protected-access
    while via and len(chain) < 16:
        hop = str(via).rpartition("@")[2]
        if hop in chain:
            break
        chain.append(hop)
        try:
            via = via_name(templar, hostvars[hop].get("mitogen_via")) if hop in hostvars else None
        except Exception:  # pylint: disable=broad-except  # only decorates a message
            via = None
    return chain


class InterpreterNotFound(AnsibleConnectionFailure):
    """The target has no Python at the configured path: stock Ansible fails the task there (rc 127), it does
    not mark the host unreachable. The action's run (interpreter-not-found-fails-the-task) turns it into
    stock's result; anywhere else it stays a connection failure."""

    def __init__(self, message: str, interpreter: str, output: str) -> None:
        super().__init__(message)
        self.interpreter, self.output = interpreter, output

    def result(self) -> dict:
        """The task result stock Ansible gives when the module interpreter is missing."""
        return {"failed": True, "changed": False, "rc": 127, "module_stdout": "", "module_stderr": self.output,
                "msg": "The module interpreter %r was not found." % self.interpreter}


def missing_interpreter(text: str, stack) -> InterpreterNotFound | None:
    """The InterpreterNotFound that the engine's connection failure `text` shows, if it shows one."""
    for step in stack or ():
        python = (step.get("kwargs") or {}).get("python_path") or []
        python = [python] if isinstance(python, str) else list(python)
        if not python:
            continue
        if re.search(r"%s: (?:No such file or directory|not found|command not found)" % re.escape(python[0]), text):
            lines = [line.strip() for line in text.splitlines()[1:] if line.strip()]
            return InterpreterNotFound(connection_failure_message(text), " ".join(python),
                                       "\n".join(lines[-3:]) + "\n")
        # The local connection starts the interpreter itself: "Child start failed: [Errno 2] No such file ..."
        local = re.search(r"\[Errno 2\] No such file or directory: '%s'" % re.escape(python[0]), text)
        if local:
            return InterpreterNotFound(connection_failure_message(text), " ".join(python), local.group(0) + "\n")
    return None


def _connect_failure(original):
    def _connect_stack(self, stack):
        try:
            return original(self, stack)
        except AnsibleConnectionFailure as exc:
            text = str(exc.message)
            missing = missing_interpreter(text, stack)
            if missing is not None:
                raise missing from None
            chain = via_chain(self) if len(stack) > 1 else []
            if not chain:
                if connection_failure_message(text) == text:
                    raise
                raise AnsibleConnectionFailure(connection_failure_message(text)) from None
            # The engine's message does not say which machine it could not reach.
            raise AnsibleConnectionFailure("%s (%s is reached through mitogen_via: %s; check that each hop is up "
                                           "and can reach the next)" % (
                                               connection_failure_message(text), self.get_task_var(
                                                   "inventory_hostname"), " -> ".join(reversed(chain)))) from None
    return _connect_stack


CONNECT_FAILURE = _engine.Patch(
    name="connect-failure-in-one-line",
    target="ansible_mitogen.connection.Connection._connect_stack",
    why="A refused login or connection is one line saying what to check, and names the mitogen_via hops; the "
        "engine alone passed on ssh's output over several lines or named no cause.",
    test="tests/integration/faults/test_faults.py::test_wrong_credentials_fail_fast_and_clearly",
    make=_connect_failure,
    shape=("self", "stack"),
)


# ------------------------------------------------------------------ calls in flight

def call_aborted(original: str) -> str:
    """The engine's message for a connection lost during a call: its first sentence, then ours."""
    first = original[:original.index(". ") + 1]
    return first + (" Original error was: %s. ns.mitogen: the target's Python interpreter exited or was killed, "
                    "or the network failed; the task may have run in part, and the next task or run connects again")


LOST_CONNECTION = _engine.Patch(
    name="lost-connection-explained",
    target="ansible_mitogen.connection.CallChain.call_aborted_msg",
    why="A connection lost while a task runs keeps the engine's sentence and says what happened and what "
        "follows; the engine alone asked for a bug report.",
    test="tests/integration/faults/test_faults.py::"
         "test_killed_interpreter_fails_its_host_the_others_finish_and_the_next_run_reconnects",
    make=call_aborted,
    shape=str,
)


def _failed_task(original):
    def run(self, tmp=None, task_vars=None):
        try:
            return original(self, tmp, task_vars)
        except InterpreterNotFound as exc:
            return exc.result()
    return run


INTERPRETER_NOT_FOUND = _engine.Patch(
    name="interpreter-not-found-fails-the-task",
    target="ansible_mitogen.mixins.ActionModuleMixin.run",
    why="A missing or wrong ansible_python_interpreter fails the task with stock's 'The module interpreter ... was "
        "not found.' and rc 127, so ignore_errors, rescue and failed_when apply; the engine alone made the host "
        "unreachable.",
    test="tests/integration/plugins/plugin_utils/test__failures.py::test_a_missing_interpreter_fails_the_task_as_stock",
    make=_failed_task,
    shape=("self", "tmp", "task_vars"),
)
