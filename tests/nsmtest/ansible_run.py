# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running ansible and ansible-playbook against the lab, with results parsed."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import subprocess
from pathlib import Path

from nsmtest.modes import activation_env


@dataclasses.dataclass
class PlayResult:
    """One ansible-playbook run with the ansible.posix.json callback."""

    rc: int
    stdout: str
    stderr: str

    @property
    def data(self) -> dict:
        start = self.stdout.find("{")
        if start < 0:
            raise AssertionError("no JSON in ansible output:\n%s\n%s" % (self.stdout[-3000:], self.stderr[-3000:]))
        return json.loads(self.stdout[start:])

    def results(self, task_name: str) -> dict[str, dict]:
        """host -> result of the task called task_name (merged over the plays and entries that ran it).

        A role's task matches by its own name too ("role : name").
        """
        found: dict[str, dict] = {}
        seen = False
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == task_name or task["task"]["name"].endswith(" : " + task_name):
                    seen = True
                    found.update(task["hosts"])
        if not seen:
            raise AssertionError("task %r did not run; output:\n%s" % (task_name, self.stdout[-3000:]))
        return found

    @property
    def stats(self) -> dict[str, dict]:
        return self.data["stats"]

    def seconds(self, task_name: str) -> float:
        """How long the task called task_name ran, by the json callback's own clock."""
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == task_name:
                    span = task["task"]["duration"]
                    start, end = (datetime.datetime.fromisoformat(span[k].replace("Z", "+00:00"))
                                  for k in ("start", "end"))
                    return (end - start).total_seconds()
        raise AssertionError("task %r did not run" % task_name)


def ansible_env(**extra: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_DEPRECATION_WARNINGS="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_LOCALHOST_WARNING="False",
    )
    env.update(extra)
    return activation_env({k: v for k, v in env.items() if v is not None})  # None: unset


def run_playbook(playbook: str | Path, inventory: str | Path, *args: str, env: dict | None = None,
                 timeout: float = 600, cwd: str | Path | None = None) -> PlayResult:
    """Run ansible-playbook with JSON output and return its parsed result."""
    full_env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", **(env or {}))
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook), *args],
                          env=full_env, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)
    return PlayResult(proc.returncode, proc.stdout, proc.stderr)
