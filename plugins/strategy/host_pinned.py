# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_pinned
short_description: Run each host without interruption, over Mitogen
description:
  - A host's play runs without interruption by other hosts, never more hosts at once than C(forks),
    exactly as the builtin C(ansible.builtin.host_pinned) strategy, with every task executed over
    Mitogen.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
extends_documentation_fragment:
  - ns.mitogen.strategy
"""

from ansible.plugins.strategy.host_pinned import StrategyModule as HostPinnedStrategy

from ansible_collections.ns.mitogen.plugins.plugin_utils._play import EngineStrategy


class StrategyModule(EngineStrategy, HostPinnedStrategy):
    """ansible.builtin.host_pinned, executed over Mitogen."""
