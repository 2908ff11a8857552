# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loop item timing for the benchmark (tests/bench/bench.py enables it for every run).

For the task with the most loop items it records how long the first item took
from the task's start (process start, connection and the first module call) and
the median time between two items' results after that, and writes them as JSON
to the file named by NSM_BENCH_ITEMS_FILE.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_items
type: aggregate
short_description: Loop item timing for the ns.mitogen benchmark
description:
  - Writes the first item's time and the median time per item of the longest loop to a JSON file.
  - Only for the collection's own benchmark, not part of the collection.
"""

import json
import os
import statistics
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Records when each task starts and when each of its loop items reports."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_items"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks: list[tuple[float, list[float]]] = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks.append((time.monotonic(), []))

    def _item(self, result):
        if self.tasks:
            self.tasks[-1][1].append(time.monotonic())

    v2_runner_item_on_ok = v2_runner_item_on_failed = v2_runner_item_on_skipped = _item

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("NSM_BENCH_ITEMS_FILE")
        if not path or not self.tasks:
            return
        start, items = max(self.tasks, key=lambda task: len(task[1]))
        record = {"items": len(items), "first_item_s": None, "item_ms": None}
        if items:
            record["first_item_s"] = round(items[0] - start, 3)
        if len(items) > 2:
            record["item_ms"] = round(1000 * statistics.median(b - a for a, b in zip(items, items[1:])), 2)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(record, out)
