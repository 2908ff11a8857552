# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The accelerator of the callback: which plays it turns into ns.mitogen plays, and the hook it leaves."""

from __future__ import annotations

import pytest
from ansible.plugins.loader import strategy_loader
from ansible.plugins.strategy.linear import StrategyModule as LinearStrategy

from ansible_collections.ns.mitogen.plugins.plugin_utils import _accelerate
from ansible_collections.ns.mitogen.plugins.plugin_utils._play import EngineStrategy


def test_an_accelerated_class_is_made_once_per_base_and_keeps_its_name():
    cls = _accelerate.accelerated_class(LinearStrategy)
    assert cls is _accelerate.accelerated_class(LinearStrategy)
    assert cls.__mro__[1] is EngineStrategy and cls.__name__ == "StrategyModule"
    assert cls.__module__ == "ansible.plugins.strategy.linear"


def test_a_builtin_strategy_instance_is_accelerated_and_others_are_left_alone(capsys):
    accelerator = _accelerate.Accelerator()
    linear = LinearStrategy.__new__(LinearStrategy)
    assert accelerator.accelerate("linear", linear).__class__ is _accelerate.accelerated_class(LinearStrategy)
    assert _accelerate.runs_engine(linear)
    assert accelerator.accelerate("linear", linear) is linear  # not twice

    class ThirdParty:
        pass

    other = ThirdParty()
    accelerator.accelerate("some.collection.fast", other)
    accelerator.accelerate("some.collection.fast", other)
    assert other.__class__ is ThirdParty
    assert capsys.readouterr().err.count("plays with strategy some.collection.fast run without Mitogen") == 1


def test_the_hook_lasts_until_the_run_ends_and_leaves_the_loader_as_it_was(monkeypatch):
    accelerator = _accelerate.Accelerator()
    assert "get" not in vars(strategy_loader)
    accelerator.play_start()
    assert vars(strategy_loader)["get"] == accelerator._get  # pylint: disable=protected-access
    assert strategy_loader.get("linear", class_only=True) is LinearStrategy  # class loads pass through
    # The TaskQueueManager loads the play's strategy again for each serial batch: each one is accelerated.
    monkeypatch.setattr(_accelerate, "_is_task_queue_manager", lambda obj: True)
    monkeypatch.setattr(accelerator, "original_get", lambda name, *args, **kwargs: LinearStrategy.__new__(LinearStrategy))
    batches = [strategy_loader.get("linear", object()) for _batch in range(2)]
    assert all(_accelerate.runs_engine(strategy) for strategy in batches)
    monkeypatch.undo()
    accelerator.run_end()
    assert "get" not in vars(strategy_loader)


@pytest.mark.parametrize("call", ["play_start", "run_end"])
def test_one_accelerator_per_process(call):
    getattr(_accelerate.accelerator(), call)()
    assert _accelerate.accelerator() is _accelerate.accelerator()
    _accelerate.accelerator().run_end()
