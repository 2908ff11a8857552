# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.linear, free and host_pinned as ansible-core loads them: by FQCN through strategy_loader."""

from __future__ import annotations

import importlib

import ansible_mitogen.strategy
import pytest
from ansible.plugins.loader import strategy_loader

from ansible_collections.ns.mitogen.plugins.plugin_utils._play import EngineStrategy


@pytest.mark.parametrize("name", ["linear", "free", "host_pinned"])
def test_the_strategy_is_the_engine_over_the_very_builtin_class(name):
    cls = strategy_loader.get("ns.mitogen." + name, class_only=True)
    builtin = importlib.import_module("ansible.plugins.strategy." + name).StrategyModule
    assert cls.__mro__[1:4] == (EngineStrategy, ansible_mitogen.strategy.StrategyMixin, builtin)


def test_loading_ours_leaves_the_builtin_strategy_module_alone():
    strategy_loader.get("ns.mitogen.linear", class_only=True)
    assert strategy_loader.get("linear", class_only=True).__module__ == "ansible.plugins.strategy.linear"
