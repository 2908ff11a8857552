# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: free
short_description: Run each host as fast as it can, over Mitogen
description:
  - Task execution is as fast as possible per batch as defined by C(serial) (default all), exactly
    as the builtin C(ansible.builtin.free) strategy, with every task executed over Mitogen.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
extends_documentation_fragment:
  - ns.mitogen.strategy
"""

from ansible.plugins.strategy.free import StrategyModule as FreeStrategy

from ansible_collections.ns.mitogen.plugins.plugin_utils._play import EngineStrategy


class StrategyModule(EngineStrategy, FreeStrategy):
    """ansible.builtin.free, executed over Mitogen."""
