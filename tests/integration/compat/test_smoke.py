# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration smoke: what `./run matrix` runs on every ansible-core and controller Python.

It runs in CI on the newest combination, with the rest of the suite.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook

SMOKE = Path(__file__).parent / "playbooks" / "smoke.yml"


@pytest.mark.parametrize("strategy, callback", [("ns.mitogen.linear", ""), ("linear", "ns.mitogen.accelerate")])
def test_smoke(lab, inventory, strategy, callback):
    result = run_playbook(SMOKE, inventory, "-e", "smoke_dir=/home/deploy/ns-smoke", "-e",
                          "smoke_su_password=%s" % lab["users"]["app"],
                          env={"ANSIBLE_STRATEGY": strategy, "ANSIBLE_CALLBACKS_ENABLED": callback or None})
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    names = [h["name"] for h in lab["hosts"]]
    for name in names:
        assert "(mitogen:" in result.results("Transport")[name]["stdout"]  # over Mitogen, not stock
        python = result.results("Python that runs modules")[name]["stdout"]
        assert python.startswith("3."), python
        assert result.results("Sudo")[name]["stdout"] == "root"
        assert result.results("Su")[name]["stdout"] == "app"
        assert [r["stdout"] for r in result.results("Loop")[name]["results"]] == ["1", "2", "3"]
        want = hashlib.sha1(("smoke %s\n" % name).encode()).hexdigest()
        assert result.results("Stat")[name]["stat"]["checksum"] == want
        assert result.results("Copy content")[name]["changed"] is True
