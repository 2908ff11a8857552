# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""serial batches (plugins/plugin_utils/_batches.py): a finished batch keeps no interpreter on its hosts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import ENGINE, NS, STOCK

PLAYBOOKS = Path(__file__).parent / "playbooks"


def left_on_earlier_hosts(result) -> dict[str, int]:
    """host of an earlier batch -> Python processes on it while the last batch runs."""
    last = result.results("Python processes on the hosts of earlier batches")["target3"]
    return {item["item"]: int(item["stdout"]) for item in last["results"]}


@pytest.mark.parametrize("mode", ["engine", "ns.mitogen"])
def test_a_finished_batch_keeps_no_interpreter(lab, inventory, mode):
    netns = json.dumps({"lab_netns": {h["name"]: h["netns"] for h in lab["hosts"]}})
    stock = run_playbook(PLAYBOOKS / "serial.yml", inventory, "-e", netns, env=STOCK)
    ours = run_playbook(PLAYBOOKS / "serial.yml", inventory, "-e", netns, env=ENGINE if mode == "engine" else NS)
    assert stock.rc == 0 and ours.rc == 0, (stock.stdout[-2000:], ours.stdout[-2000:])
    assert left_on_earlier_hosts(stock) == {"target1": 0, "target2": 0}
    if mode == "engine":  # the engine alone keeps every finished batch's interpreter until the run ends
        left = left_on_earlier_hosts(ours)
        assert sorted(left) == ["target1", "target2"] and all(n >= 1 for n in left.values()), left
        return
    assert left_on_earlier_hosts(ours) == {"target1": 0, "target2": 0}
    assert ours.stats == stock.stats
