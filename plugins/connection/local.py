# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: local
short_description: Run tasks on the controller, over Mitogen
description:
  - Runs tasks on the controller itself, like C(ansible.builtin.local), in a persistent Python interpreter
    per account (one for the controller's user, one per C(become_user)).
  - Commands run with the playbook's environment and in the playbook's directory, as under
    C(ansible.builtin.local).
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
options: {}
extends_documentation_fragment:
  - ns.mitogen.connection
"""

from ansible_collections.ns.mitogen.plugins.plugin_utils._connection import MitogenConnection
from ansible_collections.ns.mitogen.plugins.plugin_utils._engine import LocalConnection


class Connection(MitogenConnection, LocalConnection):
    """ansible.builtin.local, executed over Mitogen."""

    ns_mitogen_kind = "local"
