# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loop items keep their connection while it is the one they would get, and no longer."""

from __future__ import annotations

import types

import pytest

from ansible_collections.ns.mitogen.plugins.plugin_utils import _loop
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState


@pytest.fixture(autouse=True)
def fresh_state():
    PlayState.begin()


class Chain:
    def __init__(self):
        self.was_reset = False

    def reset(self):
        self.was_reset = True


class Connection:
    """Enough of the engine's Connection: a context, a call chain, the stack it would build."""

    def __init__(self, stack=("web1", ("ssh",))):
        self.context = object()
        self.chain = Chain()
        self.stack = stack

    def _build_stack(self):
        return self.stack

    def get_task_var(self, name):
        return {"inventory_hostname": self.stack[0]}[name]


def keep(connection):
    PlayState.current.held[connection] = _loop.HeldConnection(connection.stack)


def test_the_next_item_keeps_the_same_connection_with_a_new_call_chain(monkeypatch):
    monkeypatch.setattr(_loop._engine.connection, "CallChain", lambda conn, context, pipelined: ("chain", pipelined))
    engine_calls = []
    on_action_run = _loop.KEPT.make(lambda *args: engine_calls.append(args))
    conn = Connection()
    keep(conn)
    held = PlayState.current.held[conn]
    on_action_run(conn, {"x": 1}, None, "/base")
    assert engine_calls == [] and conn.chain == ("chain", True) and PlayState.current.held[conn] is held
    assert conn._task_vars == {"x": 1} and conn.loader_basedir == "/base"  # pylint: disable=protected-access


@pytest.mark.parametrize("change", ["other stack", "target gone", "nothing kept"])
def test_an_item_connects_again_when_it_must(change):
    engine_calls = []
    on_action_run = _loop.KEPT.make(lambda *args: engine_calls.append(args))
    conn = Connection()
    if change != "nothing kept":
        keep(conn)
    if change == "other stack":
        conn.stack = ("web1", ("ssh", "sudo:postgres"))
    if change == "target gone":
        PlayState.current.held[conn].lost()
    on_action_run(conn, {}, None, "/base")
    assert len(engine_calls) == 1 and conn not in PlayState.current.held


def test_a_new_connection_is_remembered(monkeypatch):
    listened = []
    monkeypatch.setattr("mitogen.core.listen", lambda obj, name, func: listened.append((obj, name)))
    conn = Connection()
    connect = _loop.REMEMBER.make(lambda self, stack: "connected")
    assert connect(conn, ("ssh",)) == "connected"
    assert PlayState.current.held[conn].key == ("web1", ("ssh",))  # what _build_stack() gives for it
    assert listened == [(conn.context, "disconnect")]


def planner_for(conn, module="command"):
    invocation = types.SimpleNamespace(connection=conn, module_name=module, module_path="/m/" + module)
    return types.SimpleNamespace(_inv=invocation, _module_map=None, get_search_path=lambda: ("/lib",))


def test_items_share_the_module_map_only_while_the_connection_is_kept():
    asked = []
    get_module_map = _loop.MODULE_MAP.make(lambda planner: asked.append(1) or {"builtin": [len(asked)]})
    conn = Connection()
    keep(conn)
    first, second = planner_for(conn), planner_for(conn)
    assert get_module_map(first) == get_module_map(second) == {"builtin": [1]} and len(asked) == 1
    other = Connection()
    assert get_module_map(planner_for(other)) == {"builtin": [2]}


def test_module_files_are_pushed_once_per_kept_connection():
    pushed = []
    propagate = _loop.PUSHED_ONCE.make(lambda invocation, planner, context: pushed.append(context))
    conn = Connection()
    keep(conn)
    invocation = types.SimpleNamespace(connection=conn, _overridden_sources={}, _extra_sys_paths={"/c"})
    planner = types.SimpleNamespace(get_push_files=lambda: ["/m/command"])
    propagate(invocation, planner, conn.context)
    propagate(invocation, planner, conn.context)
    assert pushed == [conn.context]
    propagate(invocation, planner, object())  # another context than the kept one: the engine pushes
    assert len(pushed) == 2
