# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loop items keep their connection, and what the multiplexer answered for the module.

Private: not a public API. Before every action the engine hands the worker's
connection back to the multiplexer and asks for it again when the action runs a
module: two calls to the multiplexer per loop item, about a third of the
controller's time for a small command. The connection is kept for the next item
when that item would get the very same one (same host, same connection and
become steps, same credentials) and the target has not gone away; each item
still starts a new call chain, so an error of one item never surfaces in the
next. While it is kept, the items also share the module's module_utils map and
the knowledge that its files were pushed to the target (two more calls per item).
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

TEST = "tests/integration/plugins/plugin_utils/test__mitogen.py::test_loop_items_share_their_connection"


class HeldConnection:
    """What a worker's connection was made for, whether its target is still there, and
    what the multiplexer already answered for it."""

    def __init__(self, key) -> None:
        self.key = key
        self.alive = True
        self.module_maps: dict = {}
        self.propagated: set = set()

    def lost(self) -> None:
        self.alive = False


def hold(connection, stack) -> HeldConnection:
    """Remember what the connection just made was made for: the key _build_stack() gives."""
    import mitogen.core  # pylint: disable=import-outside-toplevel

    held = HeldConnection((connection.get_task_var("inventory_hostname"), stack))
    mitogen.core.listen(connection.context, "disconnect", held.lost)
    PlayState.current.held[connection] = held
    return held


def held_connection(connection, context=None) -> HeldConnection | None:
    """The kept connection of `connection`, when `context` (default: its own) is the kept one."""
    held = PlayState.current.held.get(connection)
    if held is None or connection.context is None or (context is not None and context is not connection.context):
        return None
    return held


def _remembered(original):
    def _connect_stack(self, stack):
        result = original(self, stack)
        hold(self, stack)
        return result
    return _connect_stack


REMEMBER = _engine.Patch(
    name="loop-connection-remembered",
    target="ansible_mitogen.connection.Connection._connect_stack",
    why="A connection remembers the steps it was made for and whether its target went away, so that the next "
        "loop item can keep it (loop-connection-kept).",
    test=TEST,
    make=_remembered,
    shape=("self", "stack"),
)


def _kept(original):
    def on_action_run(self, task_vars, delegate_to_hostname, loader_basedir):
        held = PlayState.current.held.pop(self, None)
        if self.context is None or held is None or not held.alive:
            return original(self, task_vars, delegate_to_hostname, loader_basedir)
        self._task_vars, self.delegate_to_hostname, self.loader_basedir = task_vars, delegate_to_hostname, loader_basedir
        try:
            same = self._build_stack() == held.key  # pylint: disable=protected-access
        except Exception:  # pylint: disable=broad-except  # the engine's own path reports it
            same = False
        if not same:
            return original(self, task_vars, delegate_to_hostname, loader_basedir)
        self.chain.reset()
        self.chain = _engine.connection.CallChain(self, self.context, pipelined=True)
        PlayState.current.held[self] = held
        return None
    return on_action_run


KEPT = _engine.Patch(
    name="loop-connection-kept",
    target="ansible_mitogen.connection.Connection.on_action_run",
    why="The items of a loop keep their connection to the target; the engine alone handed it back to its "
        "multiplexer before every item and fetched it again.",
    test=TEST,
    make=_kept,
    shape=("self", "task_vars", "delegate_to_hostname", "loader_basedir"),
)


def _module_map(original):
    def get_module_map(self):
        held = held_connection(self._inv.connection)  # pylint: disable=protected-access
        if held is None or self._module_map is not None:  # pylint: disable=protected-access
            return original(self)
        invocation = self._inv  # pylint: disable=protected-access
        key = (invocation.module_name, invocation.module_path, self.get_search_path())
        if key not in held.module_maps:
            held.module_maps[key] = original(self)
        self._module_map = held.module_maps[key]  # pylint: disable=protected-access
        return self._module_map  # pylint: disable=protected-access
    return get_module_map


MODULE_MAP = _engine.Patch(
    name="loop-module-map-shared",
    target="ansible_mitogen.planner.NewStylePlanner.get_module_map",
    why="The items of a loop share the multiplexer's module_utils map of their module; the engine alone asked "
        "for it again for every item.",
    test=TEST,
    make=_module_map,
    shape=("self",),
)


def _pushed_once(original):
    def _propagate_deps(invocation, planner, context):
        held = held_connection(invocation.connection, context)
        if held is None:
            return original(invocation, planner, context)
        key = (tuple(planner.get_push_files()),
               tuple(sorted(invocation._overridden_sources.items())),  # pylint: disable=protected-access
               tuple(sorted(invocation._extra_sys_paths)))  # pylint: disable=protected-access
        if key in held.propagated:
            return None
        result = original(invocation, planner, context)
        held.propagated.add(key)
        return result
    return _propagate_deps


PUSHED_ONCE = _engine.Patch(
    name="loop-module-files-pushed-once",
    target="ansible_mitogen.planner._propagate_deps",
    why="The items of a loop push their module's files to the target once; the engine alone asked the "
        "multiplexer to push them for every item.",
    test=TEST,
    make=_pushed_once,
    shape=("invocation", "planner", "context"),
)
