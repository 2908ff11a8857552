# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failures (plugins/plugin_utils/_failures.py) as stock Ansible reports them, side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import ENGINE, NS, STOCK

PLAYBOOKS = Path(__file__).parent / "playbooks"
SAME = ("failed", "changed", "rc", "msg")


@pytest.mark.parametrize("mode", ["engine", "ns.mitogen"])
def test_a_missing_interpreter_fails_the_task_as_stock(lab, tmp_path, mode):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(Path(lab["inventory"]).read_text().replace(
        "ansible_python_interpreter=/usr/bin/python3", "ansible_python_interpreter=/nonexistent/python3"))
    stock = run_playbook(PLAYBOOKS / "missing_interpreter.yml", inventory, env=STOCK)
    ours = run_playbook(PLAYBOOKS / "missing_interpreter.yml", inventory, env=ENGINE if mode == "engine" else NS)
    want = stock.results("Command with the missing interpreter")["target1"]
    assert want["failed"] and want["rc"] == 127 and want["msg"] == (
        "The module interpreter '/nonexistent/python3' was not found."), want
    got = ours.results("Command with the missing interpreter")["target1"]
    if mode == "engine":  # the engine alone: unreachable, so ignore_errors cannot apply and the play ends
        assert got.get("unreachable") and ours.stats["target1"]["unreachable"] == 1
        return
    assert {k: got.get(k) for k in SAME} == {k: want.get(k) for k in SAME}
    assert ours.stats == stock.stats and ours.rc == stock.rc
    for task in ("Failure not counted", "Rescue runs", "Keys of the first result"):
        assert ours.results(task)["target1"].get("msg") == stock.results(task)["target1"].get("msg"), task
