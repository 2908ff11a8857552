# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test callback: records, for each play, the class of the strategy object the TaskQueueManager got.

Writes one JSON line per play to the file named by NSM_STRATEGY_PROBE: the class's
module and name, and whether it is the very class that importing its module gives.
"""

from __future__ import annotations

import importlib
import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import strategy_loader


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "strategy_probe"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        original = strategy_loader.get

        def get(name, *args, **kwargs):
            obj = original(name, *args, **kwargs)
            if not kwargs.get("class_only") and args:
                builtin = importlib.import_module("ansible.plugins.strategy.linear").StrategyModule
                with open(os.environ["NSM_STRATEGY_PROBE"], "a", encoding="utf-8") as out:
                    out.write(json.dumps({"name": name, "module": type(obj).__module__,
                                          "bases": [c.__module__ + "." + c.__qualname__ for c in type(obj).__mro__],
                                          "is_builtin_linear": isinstance(obj, builtin)}) + "\n")
            return obj

        strategy_loader.get = get
