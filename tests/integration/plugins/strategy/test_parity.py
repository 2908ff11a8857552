# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A representative playbook gives the same per-task results under stock linear and ns.mitogen.linear."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from nsmtest.ansible_run import run_playbook

PLAYBOOKS = Path(__file__).parent / "playbooks"
COMPARED = ("changed", "failed", "skipped", "rc", "stdout", "stderr", "msg", "finished", "diff")


def summary(result) -> dict:
    """task -> host -> the fields a user's playbook can see, per loop item where there is a loop."""
    def fields(res):
        keep = {k: res[k] for k in COMPARED if k in res}
        if "results" in res:
            keep["results"] = [fields(r) for r in res["results"]]
        if "stat" in res:
            keep["stat"] = {k: res["stat"].get(k) for k in ("exists", "mode", "checksum", "size")}
        return keep

    out = {}
    for play in result.data["plays"]:
        for task in play["tasks"]:
            for host, res in task["hosts"].items():
                out.setdefault(task["task"]["name"], {})[host] = fields(res)
    # The controller's per-run temporary directories (diff headers) differ between any two runs.
    return json.loads(re.sub(r"/ansible-local-[^/\"]+/[^/\"]+/", "/ansible-local-TMP/", json.dumps(out)))


def test_results_do_not_depend_on_the_strategy(lab, inventory, tmp_path):
    runs = {}
    for strategy in ("ansible.builtin.linear", "ns.mitogen.linear"):
        for host in lab["hosts"]:  # both runs start from the same state
            shutil.rmtree(Path(host["root"], "home/deploy/parity"), ignore_errors=True)
        fetch = tmp_path / strategy
        result = run_playbook(PLAYBOOKS / "parity.yml", inventory, "--diff",
                              # the controller's /usr/bin/python3 also serves delegate_to: localhost
                              "-e", "parity_fetch_dir=%s" % fetch, "-e", "ansible_python_interpreter=/usr/bin/python3",
                              env={"ANSIBLE_STRATEGY": strategy})
        assert result.rc == 0, (strategy, result.stdout[-3000:])
        runs[strategy] = summary(result)
        fetched = sorted(p.relative_to(fetch).as_posix() for p in fetch.rglob("*") if p.is_file())
        assert fetched == ["%s/home/deploy/parity/hello.txt" % h["name"] for h in lab["hosts"]]
    stock, ours = runs["ansible.builtin.linear"], runs["ns.mitogen.linear"]
    assert sorted(stock) == sorted(ours)
    for task in stock:
        assert ours[task] == stock[task], task
    # The comparison compares something: the playbook's interesting results are there.
    command = stock["Command with stdout and stderr"]["target1"]
    assert (command["rc"], command["stdout"], command["stderr"]) == (3, "out", "err")
    assert stock["Shell with a pipe and CRLF"]["target1"]["stdout"] == "ONE\r\nTWO"
    assert stock["Note the handler"]["target1"]["changed"] is True
    assert stock["Wait for the job"]["target1"]["finished"] in (1, True)
