# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activation without a third-party strategy: what the ns.mitogen.accelerate callback does.

Private: not a public API. ansible-core creates callbacks in the controller
before any worker forks and tells them when each play starts, just before it
loads the play's strategy. The callback then arms a hook on the strategy
loader, until the run ends: each builtin strategy instance that the
TaskQueueManager gets (one per play, and one per ``serial`` batch)
is given the very classes an ns.mitogen strategy is made of (``EngineStrategy``
over the builtin one). So the play runs exactly as under ns.mitogen.<name>, and,
since no third-party strategy plugin is loaded, without a deprecation warning.
Plays whose strategy already runs the engine are left alone.
"""

from __future__ import annotations

import functools

from ansible.errors import AnsibleError
from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._names import resolve
from ansible_collections.ns.mitogen.plugins.plugin_utils._play import EngineStrategy

ACCELERATE_CALLBACK = "ns.mitogen.accelerate"


@functools.lru_cache(maxsize=None)
def accelerated_class(base: type) -> type:
    """The class an ns.mitogen strategy over `base` has (made once per base)."""
    return type(base.__name__, (EngineStrategy, base), {"__module__": base.__module__})


def runs_engine(strategy) -> bool:
    """Whether a strategy instance already runs plays over Mitogen (ns.mitogen.*, the engine's mitogen_*)."""
    return _engine.strategy is not None and isinstance(strategy, _engine.strategy.StrategyMixin)


def _is_task_queue_manager(obj) -> bool:
    from ansible.executor.task_queue_manager import TaskQueueManager  # pylint: disable=import-outside-toplevel

    return isinstance(obj, TaskQueueManager)


class Accelerator:
    """What the ns.mitogen.accelerate callback does, for one controller process."""

    def __init__(self) -> None:
        self.original_get = None
        self.had_own_get = False
        self.warned: set[str] = set()

    def play_start(self) -> None:
        """Arm the hook for the strategy of the play that starts."""
        if self.original_get is None:
            self.had_own_get = "get" in vars(strategy_loader)
            self.original_get = strategy_loader.get
            strategy_loader.get = self._get

    def run_end(self) -> None:
        """Disarm (at the end of the run; a play without hosts starts no strategy)."""
        if self.original_get is not None:
            if self.had_own_get:
                strategy_loader.get = self.original_get
            else:
                del strategy_loader.get  # the loader's own method shows again
            self.original_get = None

    def _get(self, name, *args, **kwargs):
        obj = self.original_get(name, *args, **kwargs)
        if kwargs.get("class_only") or not args or not _is_task_queue_manager(args[0]):
            return obj  # not the TaskQueueManager loading the play's strategy
        # Armed until the run ends: the TaskQueueManager loads the strategy again for each serial batch.
        return self.accelerate(name, obj)

    def accelerate(self, name: str, strategy):
        """The play's strategy instance, turned into its ns.mitogen counterpart when it is a builtin one."""
        if strategy is None or runs_engine(strategy):
            return strategy
        fqcn = resolve(strategy_loader, name) or name
        if not fqcn.startswith("ansible.builtin."):
            if fqcn not in self.warned:
                self.warned.add(fqcn)
                Display().warning("%s runs plays of the builtin strategies only: plays with strategy %s run without "
                                  "Mitogen; use ansible.builtin.linear, free or host_pinned" % (ACCELERATE_CALLBACK, fqcn))
            return strategy
        problem = _engine.controller_problem()
        if problem is not None:
            raise AnsibleError(problem)
        strategy.__class__ = accelerated_class(type(strategy))
        return strategy


@functools.lru_cache(maxsize=None)
def accelerator() -> Accelerator:
    """The process's Accelerator (one, however many times the callback is instantiated)."""
    return Accelerator()
