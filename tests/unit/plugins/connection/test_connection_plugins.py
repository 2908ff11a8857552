# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.ssh, local and docker as ansible-core loads them: by FQCN through connection_loader."""

from __future__ import annotations

import ansible_mitogen.connection
import pytest
from ansible.errors import AnsibleError
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from doc_sources import missing_sources

from ansible_collections.ns.mitogen.plugins.plugin_utils._connection import MitogenConnection

KINDS = ("ssh", "local", "docker")


@pytest.mark.parametrize("kind", KINDS)
def test_the_plugin_is_the_engines_class_with_ours_in_front(kind):
    cls = connection_loader.get("ns.mitogen." + kind, class_only=True)
    assert cls.__mro__[1] is MitogenConnection
    assert issubclass(cls, ansible_mitogen.connection.Connection)
    assert cls.__mro__[2].__module__ == "ansible_mitogen.plugins.connection.mitogen_" + kind
    assert cls.ns_mitogen_kind == kind


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_play_over_mitogen_it_says_what_to_set(kind):
    connection = connection_loader.get("ns.mitogen." + kind, PlayContext(), None)
    connection.set_options()
    with pytest.raises(AnsibleError, match="ns.mitogen.%s runs only over Mitogen: set strategy: ns.mitogen.linear" % kind):
        connection._connect()  # pylint: disable=protected-access


def test_ssh_options_are_settable_everywhere_stock_lets_them_be_set():
    """Fails when a new ansible-core adds an ssh option or a source that our documentation lacks."""
    from ansible.plugins.connection import ssh as stock  # pylint: disable=import-outside-toplevel

    cls = connection_loader.get("ns.mitogen.ssh", class_only=True)
    assert missing_sources(__import__(cls.__module__, fromlist=["DOCUMENTATION"]).DOCUMENTATION,
                           stock.DOCUMENTATION) == []


def test_options_the_engine_ignores_warn_when_set(capsys):
    connection = connection_loader.get("ns.mitogen.ssh", PlayContext(), None)
    connection.set_options(var_options={"ansible_pipelining": True})
    assert "ns.mitogen.ssh does not use these options, which are set: pipelining" in capsys.readouterr().err
