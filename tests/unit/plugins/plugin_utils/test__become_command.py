# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Become steps the engine's own command line cannot say run the become plugin's own command."""

from __future__ import annotations

import shlex
import sys

import pytest
from ansible.errors import AnsibleError
from ansible.plugins.loader import become_loader, shell_loader

from ansible_collections.ns.mitogen.plugins.module_utils import _target_become, _target_runner
from ansible_collections.ns.mitogen.plugins.plugin_utils import _become_command, _engine


def sudo(**options):
    plugin = become_loader.get("ansible.builtin.sudo")
    plugin.set_options(direct=dict({"become_user": "app"}, **options))
    return plugin


class Spec(_engine.transport_config.PlayContextSpec):
    """The engine's spec of a target's become step, from a plugin and a few values."""

    def __init__(self, plugin, flags=""):  # pylint: disable=super-init-not-called
        self._plugin, self._flags = plugin, flags
        self._connection = type("Connection", (), {"_shell": shell_loader.get("sh")})()

    def become(self):
        return self._plugin

    def sudo_args(self):
        return shlex.split(self._flags)

    def become_user(self):
        return self._plugin.get_option("become_user")

    def inventory_name(self):
        return "web1"


ENGINE_STEP = {"method": "sudo", "enable_lru": True,
               "kwargs": {"username": "app", "password": "pw", "python_path": ["/usr/bin/python3"],
                          "sudo_path": None, "sudo_args": [], "connect_timeout": 10, "remote_name": None}}


@pytest.mark.parametrize("flags, native", [
    ("-H -S -n", True), ("--set-home", True), ("-E", True),
    ("-H -S -n --preserve-env=LANG", False), ("--intermediate-user x", False), ("-K", False), ("-u other", False),
])
def test_what_the_engine_s_own_sudo_cannot_say(flags, native):
    spec = Spec(sudo(become_flags=flags), flags)
    assert (_become_command.native_sudo_problem(spec) is None) is native


def test_sudo_chdir_needs_the_plugin_s_command():
    assert _become_command.native_sudo_problem(Spec(sudo(sudo_chdir="/tmp"), "-H")) == "sudo_chdir"


@pytest.mark.parametrize("flags, expected", [
    ("-H -S -n", True), ("-HS", True), ("--stdin", True), ("--set-home", False), ("-H", False), ("--Stdin", False),
])
def test_sudo_reads_the_password_from_stdin_with_s(flags, expected):
    assert _become_command.password_on_stdin(flags.split()) is expected


def test_the_step_runs_the_plugin_s_command_with_a_stable_prompt():
    connect = _become_command.SUDO_COMMAND.make(lambda spec: dict(ENGINE_STEP))
    steps = [connect(Spec(sudo(become_flags="-H -S -n --x y", become_pass="pw"), "-H -S -n --x y"))
             for _count in range(2)]
    assert steps[0] == steps[1]  # one interpreter per configuration, as for the engine's own sudo
    step = steps[0]
    assert step["method"] == "connect" and step["enable_lru"]
    kwargs = step["kwargs"]
    assert kwargs["method_name"] == _target_runner.BECOME_COMMAND_METHOD
    assert "sudo_path" not in kwargs and "sudo_args" not in kwargs and kwargs["password"] == "pw"
    assert kwargs["command"].startswith("sudo -H -S --x y -p ") and kwargs["command"].endswith("exec \"$@\"'")
    assert kwargs["prompt"].startswith("[sudo via ansible, key=") and kwargs["prompt"] in kwargs["command"]
    assert kwargs["password_to_stdin"] and "Sorry, try again." in kwargs["incorrect"]
    assert kwargs["incorrect_msg"] == "Incorrect sudo password" and kwargs["missing_msg"] == "Missing sudo password"


def test_a_configuration_the_engine_can_say_keeps_its_step():
    connect = _become_command.SUDO_COMMAND.make(lambda spec: dict(ENGINE_STEP))
    assert connect(Spec(sudo(become_flags="-H -S -n"), "-H -S -n")) == ENGINE_STEP


def test_a_mitogen_via_hop_s_unknown_flags_are_refused_in_one_line():
    hop = _engine.transport_config.MitogenViaSpec.__new__(_engine.transport_config.MitogenViaSpec)
    hop.sudo_args = lambda: ["-K"]
    hop.become_user = lambda: "root"
    hop.inventory_name = lambda: "bastion"
    hop._host_vars = {}  # pylint: disable=protected-access
    connect = _become_command.SUDO_COMMAND.make(lambda spec: dict(ENGINE_STEP))
    with pytest.raises(AnsibleError, match="no such option: -K"):
        connect(hop)


def test_a_failing_become_command_fails_the_task():
    methods = _become_command.BECOME_COMMAND_FAILS.make(["sudo", "su", "doas"])
    assert methods == ["sudo", "su", "doas", "connect"]


def test_the_multiplexer_knows_the_method_by_the_engine_s_name(monkeypatch):
    name = "mitogen." + _target_runner.BECOME_COMMAND_METHOD
    monkeypatch.delitem(sys.modules, name, raising=False)
    worker_main = _become_command.MUX_METHOD.make(lambda self: "ran")
    assert worker_main(None) == "ran"
    assert sys.modules[name].Connection is _target_become.connection_class()
    with pytest.raises(AttributeError):
        sys.modules[name].__path__  # pylint: disable=pointless-statement  # not a package: imports stop here
