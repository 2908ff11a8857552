# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.linear, free and host_pinned run plays over Mitogen, however they are chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook

PLAYBOOKS = Path(__file__).parent / "playbooks"


def auth_events(lab) -> dict[str, int]:
    """Accepted SSH logins so far, per target, from each target's sshd log."""
    return {h["name"]: Path(h["sshd_log"]).read_text(errors="replace").count("Accepted publickey for ")
            for h in lab["hosts"]}


def logins_during(lab, action) -> tuple[object, dict[str, int]]:
    before = auth_events(lab)
    result = action()
    after = auth_events(lab)
    return result, {name: after[name] - before[name] for name in after}


@pytest.mark.parametrize("strategy", ["linear", "free", "host_pinned"])
def test_strategy_runs_loop_and_become_over_mitogen(lab, inventory, strategy):
    result, logins = logins_during(lab, lambda: run_playbook(
        PLAYBOOKS / "loop_and_become.yml", inventory, env={"ANSIBLE_STRATEGY": "ns.mitogen." + strategy}))
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    names = [h["name"] for h in lab["hosts"]]
    for name, res in result.results("Loop of 100 steps").items():
        assert [r["stdout"] for r in res["results"]] == [name] * 100
    assert sorted(result.results("Loop of 100 steps")) == sorted(names)
    assert {n: r["stdout"] for n, r in result.results("Become root").items()} == dict.fromkeys(names, "root")
    for name, res in result.results("Transport").items():
        assert "(mitogen:" in res["stdout"], (name, res["stdout"])
    # One SSH login per target for the whole run: become (sudo) rides on it.
    assert logins == dict.fromkeys(names, 1)


@pytest.mark.one_activation
@pytest.mark.parametrize("how", ["play keyword", "ansible.cfg", "environment"])
def test_strategy_chosen_every_way(lab, inventory, tmp_path, how):
    play = tmp_path / "play.yml"
    text = (PLAYBOOKS / "mixed.yml").read_text().split("\n- name: Under stock linear")[0]
    env = {}
    if how != "play keyword":
        text = text.replace("  strategy: ns.mitogen.linear\n", "")
    if how == "ansible.cfg":
        cfg = tmp_path / "ansible.cfg"
        cfg.write_text("[defaults]\nstrategy = ns.mitogen.linear\n")
        env["ANSIBLE_CONFIG"] = str(cfg)
    elif how == "environment":
        env["ANSIBLE_STRATEGY"] = "ns.mitogen.linear"
    play.write_text(text)
    result = run_playbook(play, inventory, env=env)
    assert result.rc == 0, result.stdout[-3000:]
    for name, res in result.results("Transport of the first play").items():
        assert "(mitogen:" in res["stdout"], (how, name)


@pytest.mark.one_activation
def test_stock_and_mitogen_plays_mix_in_one_playbook(lab, inventory):
    result = run_playbook(PLAYBOOKS / "mixed.yml", inventory)
    assert result.rc == 0, result.stdout[-3000:]
    for task, mitogen in (("Transport of the first play", True), ("Transport of the second play", False),
                          ("Transport of the third play", True)):
        for name, res in result.results(task).items():
            assert ("(mitogen:" in res["stdout"]) is mitogen, (task, name, res["stdout"])
