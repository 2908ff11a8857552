# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names: one canonical engine name for every spelling."""

from __future__ import annotations

import types

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import become_loader, connection_loader, module_loader

from ansible_collections.ns.mitogen.plugins.plugin_utils import _names
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState


@pytest.fixture(autouse=True)
def fresh_state():
    PlayState.begin()


@pytest.mark.parametrize("name, loaders, want", [
    ("ssh", (connection_loader,), "ssh"),
    ("ansible.builtin.ssh", (connection_loader,), "ssh"),
    ("ansible.legacy.ssh", (connection_loader,), "ssh"),
    ("smart", (connection_loader,), "ssh"),
    ("ns.mitogen.sudo", (become_loader,), "sudo"),
    ("ansible.builtin.sudo", (become_loader, connection_loader), "sudo"),
    ("community.general.doas", (), "doas"),
    ("community.docker.docker", (), "docker"),
    ("ansible.legacy.paramiko_ssh", (), "paramiko_ssh"),
    ("command", (module_loader,), "ansible.builtin.command"),
    ("ansible.legacy.command", (module_loader,), "ansible.builtin.command"),
    ("my.own.plugin", (), "my.own.plugin"),
])
def test_canonical_names(name, loaders, want):
    assert _names.canonical(name, loaders) == want


def test_resolution_is_cached_per_play():
    _names.resolve(connection_loader, "ssh")
    assert ("ansible.plugins.connection", "ssh") in PlayState.current.resolved
    PlayState.begin()
    assert PlayState.current.resolved == {}


@pytest.mark.parametrize("name, want", [
    ("ssh", "ssh"), ("ansible.builtin.ssh", "ssh"), ("smart", "ssh"), ("ansible.builtin.local", "local"),
    ("community.docker.docker", "docker"), ("paramiko", None), ("ns.mitogen.ssh", None), ("mitogen_ssh", None),
    ("", None), (None, None),
])
def test_engine_connection_redirects_only_what_the_engine_implements(name, want):
    assert _names.engine_connection(name) == want


def test_our_own_connections_are_ours():
    assert _names.is_ours("ns.mitogen.local") and not _names.is_ours("local") and not _names.is_ours(None)


def test_fqcn_connection_names_patch_asks_the_engine_for_its_own_plugin(monkeypatch):
    asked = []

    def engine_get(name, *args, **kwargs):
        asked.append(name)
        return types.SimpleNamespace(object=types.SimpleNamespace(ansible_name=name, ansible_aliases=[name]))

    monkeypatch.setattr(_names._engine.loaders, "connection_loader__get_with_context", engine_get)
    get = _names.FQCN_CONNECTIONS.make(None)
    play = PlayContext()
    play.connection = "ansible.builtin.ssh"
    for name in ("ansible.builtin.ssh", "smart", "paramiko"):
        get(name, play)
    play.connection = "paramiko"
    get("ssh", play)  # as the engine does: only when the play's own connection is redirected
    play.connection = "ns.mitogen.ssh"
    local = get("ansible.legacy.local", play)
    assert asked == ["mitogen_ssh", "mitogen_ssh", "paramiko", "ssh", "mitogen_local"]
    # Callbacks see the name the user's connection resolves to (task.connection), not the engine's plugin's.
    assert local.object.ansible_name == "ansible.builtin.local"
    # ansible-core keeps a loop's connection for its next item when the names match: the engine's plugin still does.
    assert local.object.ansible_aliases == ["ansible.builtin.local", "mitogen_local"]


class Templar:
    """Renders '{{ hop }}' as ansible-core's Templar would, with hop=bastion."""

    @staticmethod
    def is_possibly_template(value):
        return "{{" in value

    @staticmethod
    def template(value):
        return value.replace("{{ hop }}", "bastion")


def test_a_templated_mitogen_via_is_rendered_before_the_engine_reads_it():
    seen = []
    spec_from_via = _names.TEMPLATED_VIA.make(lambda self, name, via: seen.append(via))
    connection = type("Connection", (), {"templar": Templar()})()
    spec_from_via(connection, "behind", "sudo:root@{{ hop }}")
    spec_from_via(connection, "behind", "plain")
    assert seen == ["sudo:root@bastion", "plain"]
    assert _names.via_name(None, "{{ hop }}") == "{{ hop }}"  # no templar: as it is
