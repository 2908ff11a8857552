# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta: reset_connection (plugins/plugin_utils/_reset.py), side by side with stock Ansible."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import ENGINE, NS, STOCK

PLAY = """\
- hosts: target1
  gather_facts: false
  tasks:
%s
"""
WITH_CREDENTIALS = """\
    - name: %s
      vars:
        ansible_user: deploy
        ansible_ssh_private_key_file: %s
      ansible.builtin.shell: echo "$(id -un) $PPID"
      changed_when: false
"""


def inventory_without_credentials(lab, tmp_path):
    """target1 with neither a user nor a key (they come from task vars), its Python to be discovered."""
    path = tmp_path / "hosts.ini"
    path.write_text("target1 ansible_host=%s ansible_ssh_common_args='-o UserKnownHostsFile=%s'\n"
                    % (lab["hosts"][0]["ip"], lab["known_hosts"]))
    return path


@pytest.mark.parametrize("mode", ["engine", "ns.mitogen"])
def test_reset_before_the_credentials_exist_is_a_no_op(lab, tmp_path, mode):
    play = tmp_path / "play.yml"
    play.write_text(PLAY % ("    - ansible.builtin.meta: reset_connection\n" + WITH_CREDENTIALS % ("After", lab["key"])))
    inventory = inventory_without_credentials(lab, tmp_path)
    stock = run_playbook(play, inventory, env=STOCK)
    ours = run_playbook(play, inventory, env=ENGINE if mode == "engine" else NS)
    assert stock.rc == 0, stock.stdout[-2000:]
    assert stock.results("After")["target1"]["stdout"].split()[0] == "deploy"
    if mode == "engine":  # the engine alone connects at the reset, without credentials, and the playbook stops
        assert ours.rc != 0 and "SSH password was requested" in ours.stdout + ours.stderr
        return
    assert ours.rc == 0, ours.stdout[-2000:] + ours.stderr[-2000:]
    assert ours.results("After")["target1"]["stdout"].split()[0] == "deploy"
    assert ours.stats == stock.stats


def test_reset_after_discovery_still_starts_a_new_interpreter(lab, tmp_path):
    """The Python was discovered by the first task: the reset finds the connection and drops it."""
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(Path(lab["inventory"]).read_text().replace("ansible_python_interpreter=/usr/bin/python3", ""))
    play = tmp_path / "play.yml"
    step = "    - name: %s\n      ansible.builtin.shell: echo $PPID\n      changed_when: false\n"
    play.write_text(PLAY % (step % "Before" + "    - ansible.builtin.meta: reset_connection\n" + step % "After"))
    result = run_playbook(play, inventory, "--limit", "target1", env=NS)
    assert result.rc == 0, result.stdout[-2000:]
    assert result.results("Before")["target1"]["stdout"] != result.results("After")["target1"]["stdout"]
