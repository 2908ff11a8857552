# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-play state object."""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState


class Engine:
    """Stands for an engine object (a connection, a planner)."""


def test_begin_starts_from_nothing():
    state = PlayState.begin(["pid_report"])
    state.resolved["x"] = "y"
    state.collection_dirs = ["/c"]
    assert PlayState.current is state and state.fork_modules == ["pid_report"]
    fresh = PlayState.begin()
    assert PlayState.current is fresh and fresh.resolved == {} and fresh.collection_dirs is None
    assert fresh.fork_modules == []


def test_engine_objects_are_kept_weakly_and_never_changed():
    state = PlayState.begin()
    obj = Engine()
    state.held[obj] = "held"
    state.preloaded.add(obj)
    assert vars(obj) == {}
    del obj
    assert len(state.held) == 0 and len(state.preloaded) == 0
