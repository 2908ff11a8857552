# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: linear
short_description: Run tasks host by host in lock step, over Mitogen
description:
  - Task execution is in lock step per host batch as defined by C(serial) (default all), exactly as
    the builtin C(ansible.builtin.linear) strategy, with every task executed over Mitogen.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
extends_documentation_fragment:
  - ns.mitogen.strategy
"""

from ansible.plugins.strategy.linear import StrategyModule as LinearStrategy

from ansible_collections.ns.mitogen.plugins.plugin_utils._play import EngineStrategy


class StrategyModule(EngineStrategy, LinearStrategy):
    """ansible.builtin.linear, executed over Mitogen."""
