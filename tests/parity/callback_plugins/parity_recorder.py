# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test callback: every event a callback can see, one JSON line each, into the file NSM_PARITY_EVENTS names.

An event is its name, the host and the task (by name) where there is one, and the
result as the callback received it (item results too) with the name of the
connection that ran it. The harness
(tests/nsmtest/parity.py) normalises and compares two such streams.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "parity_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("NSM_PARITY_EVENTS")

    def _write(self, event: str, **fields) -> None:
        if self._path:
            with open(self._path, "a", encoding="utf-8") as out:
                out.write(json.dumps(dict(event=event, **fields), default=repr, sort_keys=True) + "\n")

    def _result(self, event: str, result, **fields) -> None:
        task = result._task  # pylint: disable=protected-access
        # task.connection: the name ansible-core reports for the connection plugin that ran the task
        self._write(event, host=result._host.get_name(), task=task.get_name(),  # pylint: disable=protected-access
                    connection=task.connection, result=result._result, **fields)  # pylint: disable=protected-access

    def v2_playbook_on_play_start(self, play):
        self._write("play_start", play=play.get_name())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write("task_start", task=task.get_name())

    def v2_playbook_on_handler_task_start(self, task):
        self._write("handler_task_start", task=task.get_name())

    def v2_playbook_on_no_hosts_matched(self):
        self._write("no_hosts_matched")

    def v2_playbook_on_no_hosts_remaining(self):
        self._write("no_hosts_remaining")

    def v2_playbook_on_notify(self, handler, host):
        self._write("notify", handler=handler.get_name(), host=host.get_name())

    def v2_playbook_on_include(self, included_file):
        self._write("include", path=os.path.basename(included_file._filename),  # pylint: disable=protected-access
                    hosts=sorted(h.get_name() for h in included_file._hosts))  # pylint: disable=protected-access

    def v2_runner_on_start(self, host, task):
        self._write("runner_start", host=host.get_name(), task=task.get_name())

    def v2_runner_on_ok(self, result):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result, ignore_errors=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_runner_item_on_ok(self, result):
        self._result("item_ok", result)

    def v2_runner_item_on_failed(self, result):
        self._result("item_failed", result)

    def v2_runner_item_on_skipped(self, result):
        self._result("item_skipped", result)

    def v2_runner_retry(self, result):
        self._result("retry", result)

    def v2_runner_on_async_poll(self, result):
        self._result("async_poll", result)

    def v2_runner_on_async_ok(self, result):
        self._result("async_ok", result)

    def v2_runner_on_async_failed(self, result):
        self._result("async_failed", result)

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed)
        self._write("stats", recap={h: stats.summarize(h) for h in hosts})
