# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's gaps that ns.mitogen closes (plugins/plugin_utils/_mitogen.py).

Each test runs the same playbook twice: under the engine's own strategy loaded
by path (how users run Mitogen today), where the gap shows, and under
ns.mitogen.linear, where it is closed. Should a new engine release close a gap
itself, the "engine" case fails and tells us the fix can go.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import ENGINE, NS, activation_env

PLAYBOOKS = Path(__file__).parent / "playbooks"
TRANSPORT = Path(__file__).resolve().parents[2] / "playbooks" / "transport.yml"
STRATEGIES = [pytest.param(ENGINE, False, id="engine"), pytest.param(NS, True, id="ns.mitogen")]


def ssh_vars(lab) -> str:
    return ("ansible_user=deploy ansible_ssh_private_key_file=%s "
            "ansible_ssh_common_args='-o UserKnownHostsFile=%s' ansible_python_interpreter=/usr/bin/python3"
            % (lab["key"], lab["known_hosts"]))


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
def test_fqcn_connection_names_run_through_mitogen(lab, tmp_path, container, strategy, closed):
    t1, t2, t3 = (h["ip"] for h in lab["hosts"])
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("\n".join([
        "builtin-ssh ansible_host=%s ansible_connection=ansible.builtin.ssh %s" % (t1, ssh_vars(lab)),
        "legacy-ssh ansible_host=%s ansible_connection=ansible.legacy.ssh %s" % (t2, ssh_vars(lab)),
        "smart ansible_host=%s ansible_connection=smart %s" % (t3, ssh_vars(lab)),
        "builtin-local ansible_connection=ansible.builtin.local ansible_python_interpreter=%s" % sys.executable,
        "fq-docker ansible_host=%s ansible_connection=community.docker.docker "
        "ansible_python_interpreter=/usr/bin/python3" % container,
        "",
    ]))
    result = run_playbook(TRANSPORT, inventory, env=strategy)
    assert result.rc == 0, result.stdout[-3000:]
    transport = {host: "(mitogen:" in res["stdout"] for host, res in result.results("Transport").items()}
    assert transport == dict.fromkeys(["builtin-ssh", "legacy-ssh", "smart", "builtin-local", "fq-docker"], closed)


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
@pytest.mark.parametrize("spelling", ["hop-connection", "hop-become"])
def test_fqcn_names_in_mitogen_via_hops(lab, tmp_path, strategy, closed, spelling):
    t1, t2 = lab["hosts"][0], lab["hosts"][1]
    if spelling == "hop-connection":   # the bastion's own connection is named by FQCN
        bastion, via = "bastion ansible_connection=ansible.builtin.ssh", "bastion"
    else:                              # the hop becomes root with an FQCN become method
        bastion, via = "bastion", "ansible.builtin.sudo:root@bastion"
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("\n".join([
        "%s ansible_host=%s %s" % (bastion, t1["ip"], ssh_vars(lab)),
        # Reached from the bastion: password login, and the bastion knows no host keys.
        "behind ansible_host=%s ansible_user=deploy ansible_password=%s ansible_host_key_checking=false "
        "ansible_python_interpreter=/usr/bin/python3 mitogen_via=%s" % (t2["ip"], lab["users"]["deploy"], via),
        "",
    ]))
    result = run_playbook(TRANSPORT, inventory, "--limit", "behind", env=strategy)
    behind = result.results("Transport")["behind"]
    if closed:
        assert result.rc == 0, result.stdout[-3000:]
        assert "client=%s" % t1["ip"] in behind["stdout"]  # the SSH session came from the bastion
    else:
        assert result.rc != 0
        assert behind.get("unreachable") or behind.get("failed")
        assert "ansible.builtin." in behind["msg"] and "cannot use" not in behind["msg"]


def test_unsupported_become_in_a_hop_names_method_and_host(lab, tmp_path):
    t1, t2 = lab["hosts"][0], lab["hosts"][1]
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("\n".join([
        "bastion ansible_host=%s %s" % (t1["ip"], ssh_vars(lab)),
        "behind ansible_host=%s ansible_user=deploy ansible_password=x ansible_python_interpreter=/usr/bin/python3 "
        "mitogen_via=community.general.sudosu:root@bastion" % t2["ip"],
        "",
    ]))
    result = run_playbook(TRANSPORT, inventory, "--limit", "behind", env=NS)
    assert result.rc != 0
    msg = result.results("Transport")["behind"]["msg"]
    assert "become method 'community.general.sudosu'" in msg and "'bastion'" in msg and "mitogen_via" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
@pytest.mark.parametrize("how", ["variable", "environment", "ansible.cfg"])
def test_user_listed_modules_always_fork(lab, inventory, tmp_path, strategy, closed, how):
    env = dict(strategy)
    args = []
    if how == "variable":
        args = ["-e", '{"mitogen_fork_modules": ["pid_report"]}']
    elif how == "environment":
        env["NS_MITOGEN_FORK_MODULES"] = "pid_report"
    else:
        cfg = tmp_path / "ansible.cfg"
        cfg.write_text("[ns_mitogen]\nfork_modules = pid_report, other_module\n")
        env["ANSIBLE_CONFIG"] = str(cfg)
    result = run_playbook(PLAYBOOKS / "fork.yml", inventory, *args, env=env)
    assert result.rc == 0, result.stdout[-3000:]
    listed = [r["pid"] for r in result.results("Listed module")["target1"]["results"]]
    unlisted = [r["stdout"] for r in result.results("Unlisted module")["target1"]["results"]]
    assert len(set(unlisted)) == 1          # the same interpreter ran every unlisted module
    assert (len(set(listed)) == 3) is closed  # a fresh process for each listed one


TEST_COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"


def with_test_collection(strategy: dict) -> dict:
    return dict(strategy, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (TEST_COLLECTIONS, os.environ["ANSIBLE_COLLECTIONS_PATH"]))


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
def test_collections_keyword_and_collection_roles(lab, inventory, strategy, closed):
    result = run_playbook(PLAYBOOKS / "collections_keyword.yml", inventory, env=with_test_collection(strategy))
    if not closed:
        assert result.rc != 0
        assert any("hello was not found" in r.get("msg", "")
                   for r in result.results("Collection module by short name").values())
        return
    assert result.rc == 0, result.stdout[-3000:]
    for host in lab["hosts"]:
        name = host["name"]
        assert result.results("Collection module by short name")[name]["msg"] == "hello, play"
        # The collection's module, not ansible.builtin.ping of the same short name.
        assert result.results("Short name shared with ansible.builtin")[name]["ping"] == "hello, nstest"
        assert result.results("The collection's module answered")[name]["msg"] == "All assertions passed"
        assert result.results("Builtin ping by short name")[name]["ping"] == "pong"


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
def test_async_collection_modules_finish(lab, inventory, strategy, closed):
    result = run_playbook(PLAYBOOKS / "async_collection.yml", inventory, "--limit", "target1",
                          env=with_test_collection(strategy), timeout=180)
    polled = result.results("Async with polling")["target1"]
    if not closed:
        # The job hangs in the importer until its time limit ends it.
        assert result.rc != 0
        assert "maximum time limit" in polled["msg"]
        return
    assert result.rc == 0, result.stdout[-3000:]
    assert polled["msg"] == "hello, async" and polled["finished"] in (1, True)
    assert result.results("Wait for the job")["target1"]["msg"] == "hello, later"
    rel = result.results("Async with relative, nested and function-level imports")["target1"]
    assert (rel["msg"], rel["lazy"]) == ("HELLO, REL", "lazy-ok")


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
def test_no_spurious_warnings(lab, inventory, strategy, closed):
    proc = subprocess.run(["ansible-playbook", "-i", inventory, str(PLAYBOOKS / "warnings.yml")],
                          env=activation_env(dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False",
                                                  **with_test_collection(strategy))),
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    warnings = [line for line in (proc.stdout + proc.stderr).splitlines() if "[WARNING]" in line]
    if closed:
        assert warnings == []
    else:
        assert any("'finished' of type int was converted to bool" in w for w in warnings), warnings
        assert any("does not have a MANIFEST.json file" in w for w in warnings), warnings


# A Module Replacer module, written where the test runs: as a file in the tree it would not pass sanity.
REPLACER_MODULE = """#!/usr/bin/python
#<<INCLUDE_ANSIBLE_MODULE_COMMON>>
def main():
    module = AnsibleModule(argument_spec={})
    module.exit_json(changed=False, style='replacer')
main()
"""
REPLACER_PLAYBOOK = """- name: Module Replacer
  hosts: target1
  gather_facts: false
  tasks:
    - name: Run a Module Replacer module
      legacy_replacer:
"""


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
def test_module_replacer_modules_fail_in_one_line(lab, inventory, tmp_path, strategy, closed):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "legacy_replacer.py").write_text(REPLACER_MODULE)
    (tmp_path / "replacer.yml").write_text(REPLACER_PLAYBOOK)
    result = run_playbook(tmp_path / "replacer.yml", inventory, env=strategy, timeout=180)
    assert result.rc != 0
    failed = result.results("Run a Module Replacer module")["target1"]
    if closed:
        assert failed["msg"] == "Task failed: " + (
            "module legacy_replacer uses the Module Replacer (#<<INCLUDE_ANSIBLE_MODULE_COMMON>>), which ns.mitogen "
            "cannot run: replace that line with 'from ansible.module_utils.basic import *', or run this task in a "
            "play under a stock strategy")
    else:
        # The engine runs it as a script, which dies with a traceback.
        assert "NameError: name 'AnsibleModule' is not defined" in failed["module_stdout"]
    stock = run_playbook(tmp_path / "replacer.yml", inventory, env={"ANSIBLE_STRATEGY": "linear"}, timeout=180)
    assert stock.rc == 0 and stock.results("Run a Module Replacer module")["target1"]["style"] == "replacer"


def service_calls(output: str) -> dict[str, int]:
    """How often each multiplexer service was called, from a -vvv run with MITOGEN_LOG_LEVEL=DEBUG."""
    calls: dict[str, int] = {}
    for line in output.splitlines():
        marker = line.find("calling service ")
        if marker >= 0:
            name = line[marker + len("calling service "):].split(" ", 1)[0]
            calls[name] = calls.get(name, 0) + 1
    return calls


@pytest.mark.parametrize("strategy, closed", STRATEGIES)
def test_loop_items_share_their_connection(lab, inventory, strategy, closed):
    proc = subprocess.run(["ansible-playbook", "-vvv", "-i", inventory, str(PLAYBOOKS / "loop_services.yml")],
                          env=activation_env(dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False",
                                                  MITOGEN_LOG_LEVEL="DEBUG", **strategy)),
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    calls = service_calls(proc.stdout + proc.stderr)
    per_loop = {name: calls.get(name, 0) for name in (
        "ansible_mitogen.services.ContextService.get", "ansible_mitogen.services.ContextService.put",
        "ansible_mitogen.services.ModuleDepService.scan", "mitogen.service.PushFileService.propagate_paths_and_modules")}
    # Five items: the engine asks the multiplexer four times for each; ns.mitogen once per loop.
    assert per_loop == dict.fromkeys(per_loop, 1 if closed else 5), calls


def test_loop_items_reconnect_when_they_must(lab, inventory):
    result = run_playbook(PLAYBOOKS / "loop_connection.yml", inventory, env=NS, timeout=180)
    items = {name: result.results(name)["target1"]["results"] for name in (
        "Interpreter of each item", "A different user per item", "Failing items between good ones",
        "The second item kills the interpreter", "The interpreter dies after the second item")}
    # The items of a loop run in one interpreter.
    assert len({r["stdout"] for r in items["Interpreter of each item"]}) == 1
    # A new become user per item gets its own connection, and the same user finds it again.
    assert [r["stdout"] for r in items["A different user per item"]] == ["root", "app", "app", "guest", "root"]
    # A failed item leaves nothing behind for the next one.
    assert [r.get("rc") for r in items["Failing items between good ones"]] == [1, 0, 3, 0]
    # The interpreter killed under item 2: item 2 is lost, items 3 and 4 run in a new interpreter.
    first, killed, third, fourth = items["The second item kills the interpreter"]
    assert killed.get("unreachable") or killed.get("failed"), killed
    assert not third.get("failed") and not third.get("unreachable"), third
    assert third["stdout"] == fourth["stdout"] != first["stdout"]
    # Gone between two items: the next item connects again.
    first, _killer, third, fourth = items["The interpreter dies after the second item"]
    assert not third.get("failed") and not third.get("unreachable"), third
    assert third["stdout"] == fourth["stdout"] != first["stdout"]
