# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.ssh honours the stock ssh settings, observed on the target, as stock ssh does."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook

PLAYBOOK = Path(__file__).parent / "observe.yml"
STOCK = pytest.param({"ANSIBLE_STRATEGY": "linear"}, "ssh", id="stock")
NS = pytest.param({"ANSIBLE_STRATEGY": "ns.mitogen.linear"}, "ns.mitogen.ssh", id="ns.mitogen")


def observe(lab, tmp_path, strategy, connection, settings, known_hosts=None):
    host = lab["hosts"][0]
    known_hosts = known_hosts or lab["known_hosts"]
    settings = dict({"ansible_ssh_private_key_file": lab["key"], "ansible_python_interpreter": "/usr/bin/python3",
                     "ansible_ssh_common_args": "-o UserKnownHostsFile=%s" % known_hosts}, **settings)
    line = "target ansible_host=%s ansible_connection=%s " % (host["ip"], connection)
    line += " ".join("%s='%s'" % kv for kv in settings.items() if kv[1] is not None)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(line + "\n")
    env = dict(strategy)
    if connection == "ssh":
        # Stock ssh: its own ControlPersist sockets must not outlive a test (a live master skips host key
        # checks), and pipelining keeps scp/sftp (which ignore ssh_extra_args) out of the picture.
        env.update(ANSIBLE_SSH_CONTROL_PATH_DIR=str(tmp_path / "cp"), ANSIBLE_PIPELINING="True")
    result = run_playbook(PLAYBOOK, inventory, env=env)
    return result, result.results("Session")["target"]


def fields(res) -> dict:
    return dict(part.split("=", 1) for part in res["stdout"].split())


@pytest.mark.parametrize("strategy, connection", [STOCK, NS])
def test_user_and_port(lab, tmp_path, strategy, connection):
    result, res = observe(lab, tmp_path, strategy, connection, {"ansible_user": "guest", "ansible_port": "2222"})
    assert result.rc == 0, result.stdout[-2000:]
    assert (fields(res)["user"], fields(res)["port"]) == ("guest", "2222")


@pytest.mark.parametrize("strategy, connection", [STOCK, NS])
def test_ssh_args_common_args_and_extra_args(lab, tmp_path, strategy, connection):
    result, res = observe(lab, tmp_path, strategy, connection, {
        "ansible_ssh_args": "-o SetEnv=LC_NSM_ARGS=from-ssh-args",
        "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o Port=2222" % lab["known_hosts"],
        "ansible_ssh_extra_args": "-o User=guest",
    })
    assert result.rc == 0, result.stdout[-2000:]
    assert fields(res)["args"] == "from-ssh-args"   # ssh_args
    assert fields(res)["port"] == "2222"             # ssh_common_args
    assert fields(res)["user"] == "guest"            # ssh_extra_args


def test_password_login(lab, tmp_path):
    log = Path(lab["hosts"][0]["sshd_log"])
    before = log.read_text(errors="replace").count("Accepted password for deploy")
    result, res = observe(lab, tmp_path, {"ANSIBLE_STRATEGY": "ns.mitogen.linear"}, "ns.mitogen.ssh", {
        "ansible_user": "deploy", "ansible_password": lab["users"]["deploy"],
        "ansible_ssh_private_key_file": None, "ansible_ssh_extra_args": "-o PubkeyAuthentication=no"})
    assert result.rc == 0, result.stdout[-2000:]
    assert fields(res)["user"] == "deploy"
    assert log.read_text(errors="replace").count("Accepted password for deploy") == before + 1


@pytest.mark.parametrize("strategy, connection", [STOCK, NS])
@pytest.mark.parametrize("checking, extra, reachable", [
    ("true", "", False),                                 # unknown host key: refused
    ("false", "", True),                                 # checking off: accepted
    ("true", "-o StrictHostKeyChecking=no", True),       # the user's own ssh option decides, as in stock
])
def test_host_key_checking(lab, tmp_path, strategy, connection, checking, extra, reachable):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    result, res = observe(lab, tmp_path, strategy, connection, {
        "ansible_user": "deploy", "ansible_host_key_checking": checking,
        "ansible_ssh_common_args": ("-o UserKnownHostsFile=%s %s" % (empty, extra)).strip()}, known_hosts=empty)
    if reachable:
        assert result.rc == 0, result.stdout[-2000:]
        assert fields(res)["user"] == "deploy"
    else:
        assert res.get("unreachable"), res
        assert "host key" in res["msg"].lower(), res["msg"]
