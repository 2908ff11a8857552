# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timeouts of connecting: how long a become step may take, counted as stock's ssh connection counts it.

Private: not a public API. Stock's ssh connection waits for privilege
escalation ``timeout`` + 2 seconds, counted from the start of the ssh command
that escalates. When that command logs in itself (pipelining), the login
counts too; without pipelining an earlier, unescalated command (the temporary
directory's) logged in, and the become counts alone. The engine gave each step
``timeout`` of its own. The worker marks each become step with its window;
the multiplexer, which starts the steps one after the other, gives the step
what is left of it. A step that runs out fails as stock's does.
"""

from __future__ import annotations

import functools
import threading
import time

from ansible.errors import AnsibleConnectionFailure, AnsibleError

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._connect import is_become_step

WINDOW_KEY = "ns_mitogen_become_window"
STOCK_GRACE = 2  # stock's select loop waits timeout + 2 seconds for the prompt
SHORTEST = 1.0  # a step is never given less than this
# A shared window also covers starting the new account's Python, which stock's does not (it ends when the
# escalated shell prints its marker): without this, a login and a become that together just fit stock's window
# would fail under ns.mitogen.
INTERPRETER_START = 2.0
TIMED_OUT = "Connection timed out."  # the engine's message when a connection step runs out of time


def become_window(timeout, shared: bool) -> dict:
    """The window of a become step: stock's seconds, and whether it started with the step before it."""
    return {"seconds": float(timeout) + STOCK_GRACE, "shared": bool(shared)}


def seconds_left(window: dict, now: float, previous_start: float | None) -> float:
    """What is left of `window` for a become step starting at `now`; previous_start: when the step it goes
    through started in the same request (None: that step was already up)."""
    if window["shared"] and previous_start is not None:
        return max(SHORTEST, previous_start + window["seconds"] + INTERPRETER_START - now)
    return max(SHORTEST, window["seconds"])


def logs_in_with_become(connection) -> bool:
    """Whether stock's ssh connection would log in with the escalating command itself: pipelining is on and
    the become plugin allows it (stock's is_pipelining_enabled; the engine's connection says it has none)."""
    become = getattr(connection, "become", None)
    if become is not None and not getattr(become, "pipelining", True):
        return False
    try:
        return bool(connection.get_option("pipelining"))
    except Exception:  # pylint: disable=broad-except  # no such option: stock's default, no pipelining
        return False


def marked_stack(stack, shared_last: bool) -> list:
    """The stack with each become step marked with its window; only the last one may share the ssh step's."""
    marked = list(stack)
    for index, step in enumerate(marked):
        timeout = (step.get("kwargs") or {}).get("connect_timeout")
        if is_become_step(step) and timeout:
            shared = shared_last and index == len(marked) - 1 and index > 0 and marked[index - 1].get("method") == "ssh"
            marked[index] = dict(step, **{WINDOW_KEY: become_window(timeout, shared)})
    return marked


def become_timeout_message(engine_text: str, step: dict, host) -> str:
    """The engine's words, ansible-core's sentence, then what waited."""
    kwargs = step.get("kwargs") or {}
    return ("%s Timeout (%ds) waiting for privilege escalation prompt: ns.mitogen: %s to %s on host %s did not "
            "answer; check become_exe and the password prompt on the target, or raise the timeout setting"
            % (engine_text.strip(), float(kwargs.get("connect_timeout") or 0) + STOCK_GRACE,
               kwargs.get("label") or step.get("method"), kwargs.get("username"), host))


def _windows(original):
    def _connect_stack(self, stack):
        try:
            return original(self, marked_stack(stack, logs_in_with_become(self)))
        except AnsibleConnectionFailure:
            raise
        except AnsibleError as exc:
            text = str(exc.message)
            if not text.endswith(TIMED_OUT) or not stack:
                raise
            # A become step that never answered: unreachable, as under stock Ansible.
            raise AnsibleConnectionFailure(become_timeout_message(
                text, stack[-1], self.get_task_var("inventory_hostname"))) from None
    return _connect_stack


BECOME_TIMEOUT = _engine.Patch(
    name="become-timeout-as-stock",
    target="ansible_mitogen.connection.Connection._connect_stack",
    why="A become step has stock's timeout + 2 seconds, shared with the ssh login when stock's escalating command "
        "logs in itself (pipelining), and one that never answers makes the host unreachable with ansible-core's "
        "'Timeout (N s) waiting for privilege escalation prompt:' after the engine's words; the engine alone gave "
        "each step timeout seconds of its own and failed the task with 'Connection timed out.'.",
    test="tests/integration/plugins/become/test_become.py::test_a_hanging_become_times_out_as_stock",
    make=_windows,
    shape=("self", "stack"),
)

# In the multiplexer: the windows of the request a pool thread works on, and when its last step started.
_REQUEST = threading.local()


def _request_windows(original):
    @functools.wraps(original)  # keeps the engine's service exposure and argument checks
    def get(self, stack):
        windows = {}
        plain = []
        for step in stack:
            if isinstance(step, dict) and WINDOW_KEY in step:
                step = dict(step)
                window = step.pop(WINDOW_KEY)
                windows[id(step)] = window
            plain.append(step)
        _REQUEST.windows, _REQUEST.started = windows, None
        try:
            return original(self, plain)  # connections are keyed without the marks
        finally:
            _REQUEST.windows = _REQUEST.started = None
    return get


def _step_windows(original):
    def _connect(self, key, spec, via=None):
        now = time.time()
        window = (getattr(_REQUEST, "windows", None) or {}).get(id(spec))
        if window is not None:
            started = getattr(_REQUEST, "started", None)
            previous = started[1] if started and via is not None and started[0] is via else None
            spec = dict(spec, kwargs=dict(spec.get("kwargs") or {}, connect_timeout=seconds_left(window, now, previous)))
        result = original(self, key, spec, via=via)
        _REQUEST.started = (result.get("context"), now)
        return result
    return _connect


REQUEST_WINDOWS = _engine.Patch(
    name="become-window-per-request",
    target="ansible_mitogen.services.ContextService.get",
    why="The multiplexer takes the become windows off a connection request, so connections stay keyed and "
        "shared as before (become-timeout-as-stock).",
    test="tests/integration/plugins/become/test_become.py::test_a_hanging_become_times_out_as_stock",
    make=_request_windows,
    shape=("self", "stack"),
)

STEP_WINDOW = _engine.Patch(
    name="become-step-gets-what-is-left",
    target="ansible_mitogen.services.ContextService._connect",
    why="A become step started right after the ssh step it goes through gets what is left of their shared window "
        "(become-timeout-as-stock).",
    test="tests/integration/plugins/become/test_become.py::test_a_hanging_become_times_out_as_stock",
    make=_step_windows,
    shape=("self", "key", "spec", "via"),
)
