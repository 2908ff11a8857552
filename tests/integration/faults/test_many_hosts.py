# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One faulty target among 50 does not stop the other 49."""

from __future__ import annotations

import json

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import NS

from faultlib import host_line, write_inventory, write_play

HOSTS = 50
FAULTY = 50  # unreachable: its firewall drops every packet to sshd


@pytest.fixture(scope="module")
def fifty(lab):
    """The lab grown to 50 targets for this module, and given back its usual size afterwards."""
    instance = lab["lab"]
    usual = instance.host_count()
    try:
        instance.up(HOSTS)
        instance.firewall(FAULTY, [])
        yield dict(json.loads(instance.info_file.read_text()), lab=instance)
    finally:
        instance.shrink(usual)


def test_one_faulty_host_among_fifty(fifty, tmp_path):
    hosts = fifty["hosts"]
    assert len(hosts) == HOSTS
    inventory = write_inventory(tmp_path / "hosts.ini",
                                [host_line(fifty, h["name"], i, ansible_timeout="8" if i == FAULTY else "60")
                                 for i, h in enumerate(hosts, 1)])
    play = write_play(tmp_path / "play.yml", """\
    - name: Write a file
      ansible.builtin.copy:
        content: "{{ inventory_hostname }}\\n"
        dest: /home/deploy/ns-many
        mode: "0644"
    - name: Read it back
      ansible.builtin.command: cat /home/deploy/ns-many
      changed_when: false
""")
    result = run_playbook(play, inventory, "--forks", str(HOSTS), env=NS, timeout=600)
    faulty = hosts[FAULTY - 1]["name"]
    assert result.rc == 4, result.stdout[-3000:]  # unreachable hosts only
    assert result.results("Write a file")[faulty].get("unreachable") is True
    read = result.results("Read it back")
    healthy = [h["name"] for h in hosts if h["name"] != faulty]
    assert set(read) == set(healthy), {n: result.results("Write a file")[n].get("msg") for n in set(healthy) - set(read)}
    assert {name: read[name]["stdout"] for name in healthy} == {name: name for name in healthy}
    assert all(result.stats[name]["failures"] == 0 and result.stats[name]["unreachable"] == 0 for name in healthy)
