# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection plugins' mix-in: options the engine ignores, and the strategy they need."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.ns.mitogen.plugins.connection import docker as docker_plugin
from ansible_collections.ns.mitogen.plugins.connection import ssh as ssh_plugin
from ansible_collections.ns.mitogen.plugins.plugin_utils import _connection


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
    assert _connection.ignored_options(plugin, "ssh") == [
        "pipelining (from var: ansible_pipelining)", "control_path (from var: ansible_control_path)"]
    assert _connection.ignored_options(FakePlugin({}), "ssh") == []


@pytest.mark.parametrize("kind, plugin_module", [("ssh", ssh_plugin), ("docker", docker_plugin)])
def test_not_applicable_options_are_documented_as_such(kind, plugin_module):
    options = yaml.safe_load(plugin_module.DOCUMENTATION)["options"]
    marked = sorted(name for name, spec in options.items() if "B(Not applicable.)" in str(spec["description"]))
    assert marked == sorted(_connection.NOT_APPLICABLE[kind])


def test_strategy_needed_message_is_one_actionable_line():
    msg = _connection.strategy_needed_message("docker")
    assert "\n" not in msg
    assert "strategy: ns.mitogen.linear" in msg and "community.docker.docker" in msg
