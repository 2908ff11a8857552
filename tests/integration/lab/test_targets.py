# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's targets behave like separate real hosts, under stock Ansible."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest

from nsmtest.ansible_run import ansible_env, run_playbook

PLAYBOOKS = Path(__file__).parent / "playbooks"


def test_each_target_has_its_own_filesystem(lab, inventory):
    t1, t2 = lab["hosts"][0], lab["hosts"][1]
    token = uuid.uuid4().hex
    result = run_playbook(PLAYBOOKS / "write_marker.yml", inventory, "--limit", t1["name"],
                          "-e", "token=" + token)
    assert result.rc == 0, result.stdout[-2000:]
    assert result.results("Write the marker file")[t1["name"]]["changed"] is True
    marker = "home/deploy/marker.txt"
    # The file is in target 1's own layer, and nowhere else.
    assert Path(t1["upper"], marker).read_text() == "%s on %s\n" % (token, t1["name"])
    assert not Path(t2["upper"], marker).exists()
    assert not Path(t2["root"], marker).exists()
    assert not Path("/", marker).exists()
    Path(t1["root"], marker).unlink()


def test_targets_are_separate_hosts(lab, inventory):
    proc = subprocess.run(["ansible", "targets", "-i", inventory, "-m", "ansible.builtin.setup",
                           "-a", "filter=ansible_hostname,ansible_default_ipv4"],
                          env=ansible_env(), capture_output=True, text=True, check=True)
    for host in lab["hosts"]:
        block = re.search(r"^%s \| SUCCESS => (\{.*?^\})" % host["name"], proc.stdout, re.M | re.S)
        assert block, proc.stdout
        assert '"ansible_hostname": "%s"' % host["name"] in block.group(1)
        assert '"address": "%s"' % host["ip"] in block.group(1)


EXPECTED_BECOME = {
    "Login as deploy": "deploy",
    "Sudo without password (deploy to root)": "root",
    "Sudo with password (admin to root)": "root",
    "Su to a user (deploy to app)": "app",
    "Su to root (guest to root)": "root",
}


@pytest.mark.parametrize("strategy", ["linear", "ns.mitogen.linear"])
def test_become_matrix(lab, inventory, strategy):
    result = run_playbook(PLAYBOOKS / "become_matrix.yml", inventory, env={"ANSIBLE_STRATEGY": strategy})
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for task, user in EXPECTED_BECOME.items():
        for host, res in result.results(task).items():
            assert res.get("stdout") == user, (task, host, res)
    for host, res in result.results("Sudo refused (guest has no sudo rights)").items():
        assert res["failed"] is True, (host, res)
        assert "guest is not in the sudoers file" in res.get("module_stdout", "") + res.get("msg", ""), res
    for host in lab["hosts"]:
        assert result.stats[host["name"]]["failures"] == 0
        assert result.stats[host["name"]]["ignored"] == 1


@pytest.mark.parametrize("connection", ["community.docker.docker", "docker"])
def test_task_over_docker_exec(container, tmp_path, connection):
    inventory = tmp_path / "containers.ini"
    inventory.write_text("%s ansible_connection=%s ansible_python_interpreter=/usr/bin/python3\n"
                         % (container, connection))
    proc = subprocess.run(["ansible", "all", "-i", str(inventory), "-m", "ansible.builtin.copy",
                           "-a", "content=hello dest=/root/greeting mode=0600"],
                          env=ansible_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    inside = subprocess.run(["docker", "exec", container, "cat", "/root/greeting"],
                            capture_output=True, text=True, check=True)
    assert inside.stdout == "hello"
