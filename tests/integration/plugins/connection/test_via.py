# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection delegation (mitogen_via) through bastions and chains, on firewalled lab targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import ENGINE, NS

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "transport.yml"


@pytest.fixture
def firewall(lab):
    """firewall(i, allowed_ips): only those may reach target i's sshd; all rules go afterwards."""
    instance = lab["lab"]
    touched = []

    def apply(i, allowed):
        touched.append(i)
        instance.firewall(i, allowed)

    yield apply
    for i in touched:
        instance.firewall(i, None)


def key_login(lab, name, i, extra=""):
    return ("%s ansible_host=%s ansible_user=deploy ansible_ssh_private_key_file=%s "
            "ansible_ssh_common_args='-o UserKnownHostsFile=%s' ansible_python_interpreter=/usr/bin/python3 %s"
            % (name, lab["hosts"][i - 1]["ip"], lab["key"], lab["known_hosts"], extra)).strip()


def password_login(lab, name, i, via, extra=""):
    # Reached from a hop: the hop has no key of ours, so a password, and the hop's system known_hosts.
    return ("%s ansible_host=%s ansible_user=deploy ansible_password=%s ansible_python_interpreter=/usr/bin/python3 "
            "mitogen_via=%s %s" % (name, lab["hosts"][i - 1]["ip"], lab["users"]["deploy"], via, extra)).strip()


def write(tmp_path, *lines):
    path = tmp_path / "hosts.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_target_reachable_only_through_a_bastion(lab, tmp_path, firewall):
    t1 = lab["hosts"][0]["ip"]
    firewall(2, [t1])
    inventory = write(tmp_path, key_login(lab, "bastion", 1), password_login(lab, "behind", 2, "bastion"),
                      key_login(lab, "direct", 2, "ansible_ssh_timeout=3"))
    result = run_playbook(PLAYBOOK, inventory, env=NS)
    direct = result.results("Transport")["direct"]
    assert direct.get("unreachable"), direct  # the firewall really keeps the controller out
    behind = result.results("Transport")["behind"]
    assert "(mitogen:" in behind["stdout"] and "client=%s" % t1 in behind["stdout"], behind


@pytest.mark.parametrize("mode", ["engine", "ns.mitogen"])
def test_a_templated_mitogen_via(lab, tmp_path, firewall, mode):
    """mitogen_via='{{ hop }}' (a host variable naming the bastion) is rendered; the engine alone fails on 2.19+."""
    t1 = lab["hosts"][0]["ip"]
    firewall(2, [t1])
    inventory = write(tmp_path, key_login(lab, "bastion", 1),
                      password_login(lab, "behind", 2, "'{{ hop }}'", "hop=bastion"))
    result = run_playbook(PLAYBOOK, inventory, "--limit", "behind", env=ENGINE if mode == "engine" else NS)
    behind = result.results("Transport")["behind"]
    if mode == "engine":
        assert "A required TemplateContext context is not active" in behind["msg"], behind
        return
    assert result.rc == 0, result.stdout[-3000:]
    assert "(mitogen:" in behind["stdout"] and "client=%s" % t1 in behind["stdout"], behind


@pytest.mark.parametrize("interpreter", ["auto", "auto_silent"])
def test_interpreter_discovery_behind_a_hop(lab, tmp_path, firewall, interpreter):
    """Discovery through mitogen_via finds the Python, once, and auto_silent prints no warning (engine #1376)."""
    firewall(2, [lab["hosts"][0]["ip"]])
    inventory = write(tmp_path, key_login(lab, "bastion", 1).replace(
        "ansible_python_interpreter=/usr/bin/python3", "ansible_python_interpreter=%s" % interpreter),
        password_login(lab, "behind", 2, "bastion").replace(
            "ansible_python_interpreter=/usr/bin/python3", "ansible_python_interpreter=%s" % interpreter))
    result = run_playbook(PLAYBOOK, inventory, "--limit", "behind", env=NS)
    assert result.rc == 0, result.stdout[-3000:]
    behind = result.results("Transport")["behind"]
    assert "client=%s" % lab["hosts"][0]["ip"] in behind["stdout"], behind
    assert behind["ansible_facts"]["discovered_interpreter_python"].startswith("/usr/bin/python3"), behind
    assert "Unhandled error in Python interpreter discovery" not in result.stdout + result.stderr
    warned = "is using the discovered Python interpreter" in result.stdout + result.stderr
    assert warned is (interpreter == "auto"), (result.stderr[-2000:])


def test_three_hop_chain(lab, tmp_path, firewall):
    t1, t2 = lab["hosts"][0]["ip"], lab["hosts"][1]["ip"]
    firewall(2, [t1])
    firewall(3, [t2])
    inventory = write(tmp_path, key_login(lab, "hop1", 1), password_login(lab, "hop2", 2, "hop1"),
                      password_login(lab, "far", 3, "hop2"))
    result = run_playbook(PLAYBOOK, inventory, "--limit", "far", env=NS)
    assert result.rc == 0, result.stdout[-3000:]
    assert "client=%s" % t2 in result.results("Transport")["far"]["stdout"]


def test_a_cycle_names_the_hosts(lab, tmp_path):
    inventory = write(tmp_path, password_login(lab, "alpha", 1, "beta"), password_login(lab, "beta", 2, "alpha"))
    result = run_playbook(PLAYBOOK, inventory, "--limit", "alpha", env=NS)
    assert result.rc != 0
    msg = result.results("Transport")["alpha"]["msg"]
    assert "creates a cycle" in msg and "alpha" in msg and "beta" in msg, msg


def test_an_unreachable_bastion_makes_its_targets_unreachable_naming_it(lab, tmp_path, firewall):
    firewall(1, [])  # nobody reaches the bastion
    inventory = write(tmp_path, key_login(lab, "bastion", 1, "ansible_ssh_timeout=3"),
                      password_login(lab, "behind", 2, "bastion"))
    result = run_playbook(PLAYBOOK, inventory, "--limit", "behind", env=NS, timeout=120)
    behind = result.results("Transport")["behind"]
    assert behind.get("unreachable"), behind
    assert "bastion" in behind["msg"], behind["msg"]


def test_a_missing_hop_password_is_reported(lab, tmp_path):
    inventory = write(tmp_path, key_login(lab, "bastion", 1),
                      password_login(lab, "behind", 2, "bastion").replace(
                          "ansible_password=%s " % lab["users"]["deploy"], "") + " ansible_ssh_timeout=5")
    result = run_playbook(PLAYBOOK, inventory, "--limit", "behind", env=NS, timeout=120)
    behind = result.results("Transport")["behind"]
    assert behind.get("unreachable") or behind.get("failed"), behind
    assert "password" in behind["msg"].lower() or "permission denied" in behind["msg"].lower(), behind["msg"]


def test_module_code_crosses_the_first_hop_once(lab, tmp_path):
    """The hop serves module code to the hosts behind it from its own cache."""
    instance = lab["lab"]
    t1 = lab["hosts"][0]["name"]
    inventory = write(tmp_path, key_login(lab, "hop", 1), password_login(lab, "behind1", 2, "hop"),
                      password_login(lab, "behind2", 3, "hop"))

    def bytes_to_hop(limit):
        before = instance.counters()[t1]["to_bytes"]
        result = run_playbook(PLAYBOOK, inventory, "--limit", limit, env=NS)
        assert result.rc == 0, result.stdout[-3000:]
        return instance.counters()[t1]["to_bytes"] - before

    one = bytes_to_hop("behind1")
    two = bytes_to_hop("behind1,behind2")
    # The second host behind the hop costs a fraction of the first: no second copy of the code.
    print("bytes to the hop: one host behind %d, two hosts behind %d" % (one, two))
    assert two - one < one / 2, (one, two)


def test_container_reached_through_its_docker_host(lab, tmp_path, container):
    """A container on another machine: docker exec runs on that machine, reached over SSH."""
    instance = lab["lab"]
    instance.make_docker_host(1)
    root = Path(lab["hosts"][0]["root"])
    calls = root / "root/docker-calls"
    calls.unlink(missing_ok=True)
    wrapper = root / "usr/local/bin/docker-logged"
    wrapper.write_text('#!/bin/sh\necho "$@" >> /root/docker-calls\nexec /usr/local/bin/docker "$@"\n')
    wrapper.chmod(0o755)
    inventory = write(tmp_path, key_login(lab, "dockerhost", 1),
                      "%s ansible_connection=ns.mitogen.docker ansible_python_interpreter=/usr/bin/python3 "
                      "mitogen_via=sudo:root@dockerhost mitogen_docker_path=/usr/local/bin/docker-logged" % container)
    result = run_playbook(PLAYBOOK, inventory, "--limit", container, env=NS)
    assert result.rc == 0, result.stdout[-3000:]
    assert "(mitogen:" in result.results("Transport")[container]["stdout"]
    # The docker client that ran was the one on the Docker host, as root there.
    assert container in calls.read_text()
