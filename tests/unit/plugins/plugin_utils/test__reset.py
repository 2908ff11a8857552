# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta: reset_connection never connects: no interpreter discovery while resetting."""

from __future__ import annotations

import types

import pytest

from ansible_collections.ns.mitogen.plugins.plugin_utils import _reset
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState


@pytest.fixture(autouse=True)
def fresh_state():
    PlayState.begin()


class Connection:
    """Stands for the engine's Connection (weakly referable, with an instance dict)."""


@pytest.mark.parametrize("interpreter, facts, needed", [
    ("auto", {}, True),
    (None, {}, True),
    ("auto_silent", {"discovered_interpreter_python": "/usr/bin/python3"}, False),
    ("/usr/bin/python3", {}, False),
])
def test_discovery_is_needed_only_for_an_unknown_auto_interpreter(interpreter, facts, needed):
    assert _reset.needs_discovery(interpreter, {"ansible_facts": facts}) is needed


def test_discovery_is_refused_only_while_resetting():
    discover = _reset.NO_DISCOVERY.make(lambda *args: "discovered")
    conn = Connection()
    action = types.SimpleNamespace(_connection=conn)
    assert discover("auto", [], {}, action, False) == "discovered"
    PlayState.current.resetting.add(conn)
    with pytest.raises(_reset.NothingToReset):
        discover("auto", [], {}, action, False)
    assert discover("/usr/bin/python3", [], {}, action, False) == "discovered"


def test_a_reset_with_nothing_to_reset_ends_quietly_and_cleans_up():
    conn = Connection()

    def engine_reset(self):
        assert self in PlayState.current.resetting
        self._action, self._action_monkey_patched_by_mitogen = "temporary", True
        raise _reset.NothingToReset()

    assert _reset.RESET.make(engine_reset)(conn) is None
    assert vars(conn) == {} and conn not in PlayState.current.resetting
    assert _reset.RESET.make(lambda self: "reset")(conn) == "reset"
