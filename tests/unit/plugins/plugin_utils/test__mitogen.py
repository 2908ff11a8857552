# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the seam: option resolution, warnings, messages, engine argument fixes."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleError
from doc_sources import missing_sources

from ansible_collections.ns.mitogen.plugins.connection import docker as docker_plugin
from ansible_collections.ns.mitogen.plugins.connection import ssh as ssh_plugin
from ansible_collections.ns.mitogen.plugins.plugin_utils import _mitogen as seam


class FakePlugin:
    """Answers get_option_and_origin like AnsiblePlugin does."""

    def __init__(self, set_options):
        self.set = set_options

    def get_option_and_origin(self, name):
        if name in self.set:
            return self.set[name], "var: ansible_" + name
        return None, "default"


def test_ignored_options_lists_only_what_the_user_set():
    plugin = FakePlugin({"pipelining": True, "control_path": "/tmp/cp", "port": 2222})
    assert seam.ignored_options(plugin, "ssh") == [
        "pipelining (from var: ansible_pipelining)", "control_path (from var: ansible_control_path)"]
    assert seam.ignored_options(FakePlugin({}), "ssh") == []


@pytest.mark.parametrize("kind, plugin_module", [("ssh", ssh_plugin), ("docker", docker_plugin)])
def test_not_applicable_options_are_documented_as_such(kind, plugin_module):
    options = yaml.safe_load(plugin_module.DOCUMENTATION)["options"]
    marked = sorted(name for name, spec in options.items() if "B(Not applicable.)" in str(spec["description"]))
    assert marked == sorted(seam.NOT_APPLICABLE[kind])


def test_strategy_needed_message_is_one_actionable_line():
    msg = seam.strategy_needed_message("docker")
    assert "\n" not in msg
    assert "strategy: ns.mitogen.linear" in msg and "community.docker.docker" in msg


class FakeSpec:
    def __init__(self, **values):
        self.values = values

    def __getattr__(self, name):
        return lambda: self.values.get(name)


def engine_args(spec):
    return {"method": "x", "kwargs": {"ssh_debug_level": spec.verbosity()}}


def test_ssh_debug_level_overrides_verbosity_only_when_set():
    connect = seam._ssh_fixes(engine_args)  # pylint: disable=protected-access
    assert connect(FakeSpec(verbosity=1))["kwargs"]["ssh_debug_level"] == 1
    assert connect(FakeSpec(verbosity=1, mitogen_ssh_debug_level="3"))["kwargs"]["ssh_debug_level"] == 3


def test_docker_path_is_passed_only_when_set():
    connect = seam._docker_with_path(lambda spec: {"method": "docker", "kwargs": {}})  # pylint: disable=protected-access
    assert "docker_path" not in connect(FakeSpec())["kwargs"]
    assert connect(FakeSpec(mitogen_docker_path="/opt/docker"))["kwargs"]["docker_path"] == "/opt/docker"


@pytest.mark.parametrize("value, expected", [
    ("a, b,c", ["a", "b", "c"]),
    (["a", " b "], ["a", "b"]),
    ("", []),
    (None, []),
])
def test_fork_module_lists(value, expected):
    assert seam._names(value, "x") == expected  # pylint: disable=protected-access


def test_fork_module_list_of_the_wrong_type_says_what_it_wants():
    with pytest.raises(AnsibleError, match="list of module names or a comma-separated string"):
        seam._names(42, "mitogen_fork_modules")  # pylint: disable=protected-access


def test_method_table_finds_fqcn_spellings_and_names_unknown_ones():
    table = seam.MethodTable({"sudo": "SUDO", "ssh": "SSH"})
    assert table["ansible.builtin.sudo"] == "SUDO"
    assert table["ns.mitogen.ssh"] == "SSH"
    with pytest.raises(seam.UnsupportedMethod) as info:
        table["community.general.sudosu"]  # pylint: disable=pointless-statement
    assert info.value.name == "community.general.sudosu"


@pytest.mark.parametrize("args, expected", [
    (["-o", "StrictHostKeyChecking=no"], "no"),
    (["-oStrictHostKeyChecking=accept-new"], "accept-new"),
    (["-o", "StrictHostKeyChecking yes", "-o", "StrictHostKeyChecking=no"], "yes"),
    (["-o", "UserKnownHostsFile=/x"], None),
    ([], None),
])
def test_users_strict_host_key_checking_is_found(args, expected):
    assert seam.strict_host_key_checking(args) == expected


@pytest.mark.parametrize("mode, args, expected", [
    ("enforce", ["-o", "StrictHostKeyChecking=no"], "ignore"),
    ("enforce", ["-o", "StrictHostKeyChecking=accept-new"], "accept"),
    ("enforce", [], "enforce"),
    ("ignore", ["-o", "StrictHostKeyChecking=yes"], "ignore"),  # host_key_checking=false still wins
])
def test_users_strict_host_key_checking_decides_like_stock(mode, args, expected):
    connect = seam._ssh_fixes(lambda spec: {"kwargs": {"check_host_keys": mode, "ssh_args": args}})  # pylint: disable=protected-access
    assert connect(FakeSpec())["kwargs"]["check_host_keys"] == expected


def test_ssh_options_are_settable_everywhere_stock_lets_them_be_set():
    """Fails when a new ansible-core adds an ssh option or a source that our documentation lacks."""
    from ansible.plugins.connection import ssh as stock  # pylint: disable=import-outside-toplevel

    assert missing_sources(ssh_plugin.DOCUMENTATION, stock.DOCUMENTATION) == []


@pytest.mark.parametrize("flags", [["-H", "-S", "-n"], ["-E"], ["-i"], ["-u", "root"], ["--set-home"], []])
def test_sudo_flags_the_engine_applies_pass(flags):
    seam.check_sudo_flags(flags, "root", "web1")


@pytest.mark.parametrize("flags, needle", [
    (["-K"], "no such option: -K"),
    (["-s"], "no such option: -s"),
    (["-H", "extra"], "unsupported sudo arguments"),
])
def test_unsupported_sudo_flags_fail_with_one_line(flags, needle):
    with pytest.raises(AnsibleError) as info:
        seam.check_sudo_flags(flags, "root", "web1")
    msg = str(info.value)
    assert needle in msg and "'web1'" in msg and "become_flags" in msg and "\n" not in msg


def test_conflicting_sudo_user_fails():
    with pytest.raises(AnsibleError, match="say -u app but become_user is root"):
        seam.check_sudo_flags(["-u", "app"], "root", "web1")


@pytest.mark.parametrize("timeout", [1, 3, 8, 10, 30, 120])
def test_keepalives_notice_a_silent_network_within_the_timeout(timeout):
    interval, count = seam.keepalive_for(timeout)
    assert interval >= 1 and count >= 1
    # ssh gives up after `count` unanswered probes, one every `interval` seconds.
    assert interval * (count + 1) <= max(timeout, 4)


@pytest.mark.parametrize("engine, want", [
    ("EOF on stream; last 100 lines received:\nssh: connect to host 10.0.0.1 port 22: Connection refused",
     "ns.mitogen: the connection closed before the target's Python started; last output: "
     "ssh: connect to host 10.0.0.1 port 22: Connection refused"),
    ("EOF on stream; last 100 lines received:\n",
     "ns.mitogen: the connection closed before the target's Python started; last output: none"),
    ("SSH password was requested, but none specified",
     "ns.mitogen: the target asked for an SSH password and none is set (a key login was refused or no key was "
     "offered): check ansible_user and ansible_ssh_private_key_file, or set ansible_password"),
    ("SSH password is incorrect", "SSH password is incorrect"),
    ("first\n  second\n\nthird", "first | second | third"),
])
def test_connection_failures_become_one_line(engine, want):
    assert seam.connection_failure_message(engine) == want
