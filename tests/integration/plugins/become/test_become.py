# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.sudo / su and the stock names take the engine's native path under ns.mitogen strategies,
and the same playbook passes under stock linear."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_run import run_playbook

PLAYBOOK = Path(__file__).parent / "become_methods.yml"


@pytest.mark.parametrize("strategy, native", [("ns.mitogen.linear", True), ("linear", False)])
def test_become_by_every_name(lab, inventory, strategy, native):
    result = run_playbook(PLAYBOOK, inventory, env={"ANSIBLE_STRATEGY": strategy})
    assert result.rc == 0, result.stdout[-3000:]
    runs = result.results("Become by name")["target1"]["results"]
    for run in runs:
        user, process = run["stdout"].split(" ", 1)
        assert user == run["item"]["user"], run["item"]
        # Natively, a Mitogen interpreter of that user runs the module: no shell command line for sudo/su.
        assert ("(mitogen:" in process) is native, (run["item"], process)
