# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.ssh, ns.mitogen.local and ns.mitogen.docker on the lab."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nsmtest.ansible_run import ansible_env, run_playbook
from nsmtest.modes import ENGINE, NS

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "transport.yml"


def inventory_for(lab, tmp_path, container, extra="") -> Path:
    t1 = lab["hosts"][0]
    path = tmp_path / "hosts.ini"
    path.write_text("\n".join([
        "via-ssh ansible_connection=ns.mitogen.ssh ansible_host=%s ansible_user=deploy "
        "ansible_ssh_private_key_file=%s ansible_ssh_common_args='-o UserKnownHostsFile=%s' "
        "ansible_python_interpreter=/usr/bin/python3 %s" % (t1["ip"], lab["key"], lab["known_hosts"], extra),
        "via-local ansible_connection=ns.mitogen.local ansible_python_interpreter=%s" % sys.executable,
        "via-docker ansible_connection=ns.mitogen.docker ansible_host=%s ansible_python_interpreter=/usr/bin/python3"
        % container,
        "",
    ]))
    return path


def test_each_connection_runs_through_mitogen(lab, tmp_path, container):
    result = run_playbook(PLAYBOOK, inventory_for(lab, tmp_path, container), env=NS)
    assert result.rc == 0, result.stdout[-3000:]
    transport = {h: "(mitogen:" in r["stdout"] for h, r in result.results("Transport").items()}
    assert transport == {"via-ssh": True, "via-local": True, "via-docker": True}
    assert "client=%s" % lab["net"] in result.results("Transport")["via-ssh"]["stdout"]


@pytest.mark.one_activation
def test_under_a_stock_strategy_each_fails_with_one_line(lab, tmp_path, container):
    result = run_playbook(PLAYBOOK, inventory_for(lab, tmp_path, container), env={"ANSIBLE_STRATEGY": "linear"})
    assert result.rc != 0
    for host, res in result.results("Transport").items():
        kind = host.split("-")[1]
        assert res.get("failed") or res.get("unreachable"), (host, res)
        assert "ns.mitogen.%s runs only over Mitogen: set strategy: ns.mitogen.linear" % kind \
            in res["msg"], (host, res["msg"])
        assert "\n" not in res["msg"]


def test_not_applicable_options_warn_once_per_run(lab, tmp_path, container):
    inventory = inventory_for(lab, tmp_path, container, extra="ansible_ssh_pipelining=true ansible_ssh_retries=3")
    playbook = tmp_path / "twice.yml"
    playbook.write_text(PLAYBOOK.read_text() + PLAYBOOK.read_text().replace("Report the transport", "Again")
                        .split("\n", 1)[1])
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook), "--limit", "via-ssh"],
                          env=ansible_env(ANSIBLE_DEPRECATION_WARNINGS="False", **NS), capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    warnings = [line for line in (proc.stdout + proc.stderr).splitlines() if "[WARNING]" in line]
    assert len(warnings) == 1, warnings
    assert "ns.mitogen.ssh does not use these options" in warnings[0]
    assert "pipelining" in warnings[0] and "reconnection_retries" in warnings[0]


@pytest.mark.parametrize("strategy, closed", [pytest.param(ENGINE, False, id="engine"),
                                              pytest.param(NS, True, id="ns.mitogen")])
def test_custom_docker_executable_is_used(lab, tmp_path, container, strategy, closed):
    log = tmp_path / "docker-calls.log"
    wrapper = tmp_path / "my-docker"
    wrapper.write_text("#!/bin/sh\necho \"$@\" >> %s\nexec docker \"$@\"\n" % log)
    wrapper.chmod(0o755)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("%s ansible_connection=docker ansible_python_interpreter=/usr/bin/python3 "
                         "mitogen_docker_path=%s\n" % (container, wrapper))
    result = run_playbook(PLAYBOOK, inventory, env=strategy)
    assert result.rc == 0, result.stdout[-3000:]
    assert "(mitogen:" in result.results("Transport")[container]["stdout"]
    assert log.exists() is closed
    if closed:
        assert "exec" in log.read_text() and container in log.read_text()


@pytest.mark.parametrize("connection", ["ns.mitogen.docker", "docker", "community.docker.docker"])
def test_docker_names_run_through_mitogen_as_the_remote_user(lab, tmp_path, container, connection):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("%s ansible_connection=%s ansible_user=deploy ansible_python_interpreter=/usr/bin/python3\n"
                         % (container, connection))
    result = run_playbook(Path(__file__).parent / "observe.yml", inventory, env=NS)
    assert result.rc == 0, result.stdout[-3000:]
    assert result.results("Session")[container]["stdout"].startswith("user=deploy ")
    result = run_playbook(PLAYBOOK, inventory, env=NS)
    assert "(mitogen:" in result.results("Transport")[container]["stdout"]


def test_masked_remote_name(lab, tmp_path, container):
    inventory = inventory_for(lab, tmp_path, container, extra="mitogen_mask_remote_name=true")
    result = run_playbook(PLAYBOOK, inventory, "--limit", "via-ssh", env=NS)
    assert result.rc == 0, result.stdout[-3000:]
    process = result.results("Transport")["via-ssh"]["stdout"].splitlines()[0]
    assert "(mitogen:ansible)" in process and "@" not in process, process  # no controller user, host, PID


@pytest.mark.one_activation
@pytest.mark.parametrize("plugin", ["ssh", "local", "docker"])
def test_ansible_doc_renders_every_option(plugin):
    proc = subprocess.run(["ansible-doc", "-t", "connection", "--json", "ns.mitogen." + plugin],
                          capture_output=True, text=True, check=True)
    doc = json.loads(proc.stdout)["ns.mitogen." + plugin]["doc"]
    assert "mitogen_via" in doc["options"] and "mitogen_mask_remote_name" in doc["options"]
    for name, option in doc["options"].items():
        assert option.get("description"), name
    text = subprocess.run(["ansible-doc", "-t", "connection", "ns.mitogen." + plugin],
                          capture_output=True, text=True, check=True).stdout
    for name in doc["options"]:
        assert name in text
