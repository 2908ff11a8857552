# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A playbook run by ansible-runner, as AWX and Ansible Automation Platform run them.

The collection is installed in the runner's private data directory, the
project's ansible.cfg switches the engine on (callback or strategy way, see
../conftest.py), and the results are read from the runner's events and artifacts.
Process isolation is off (the default): no container engine is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import yaml

from nsmtest.modes import ACCELERATE

REPO = Path(__file__).resolve().parents[4]
PLAYBOOK = Path(__file__).parent / "playbooks" / "runner.yml"
PROJECT_CFG = {"strategy": "[defaults]\nstrategy = ns.mitogen.linear\n",
               "callback": "[defaults]\ncallbacks_enabled = %s\n" % ACCELERATE}


def private_data_dir(tmp_path: Path, lab, activation: str, marker: str) -> Path:
    pdd = tmp_path / "runner"
    project = pdd / "project"
    project.mkdir(parents=True)
    shutil.copy(PLAYBOOK, project / "site.yml")
    (project / "ansible.cfg").write_text(PROJECT_CFG[activation])
    collections = pdd / "collections"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path / "dist"), str(REPO)],
                   check=True, capture_output=True, env=env)
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(collections),
                    str(next((tmp_path / "dist").glob("ns-mitogen-*.tar.gz")))], check=True, capture_output=True, env=env)
    (pdd / "inventory").mkdir()
    shutil.copy(lab["inventory"], pdd / "inventory" / "hosts")
    (pdd / "env").mkdir()
    # Only the runner's collections path: the collection comes from there, as in an execution environment.
    (pdd / "env" / "envvars").write_text(yaml.safe_dump({"ANSIBLE_COLLECTIONS_PATH": str(collections),
                                                         "ANSIBLE_NOCOLOR": "1"}))
    (pdd / "env" / "extravars").write_text(yaml.safe_dump({"marker": marker}))
    return pdd


def events(artifacts: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"),
                                                      key=lambda p: int(p.name.split("-")[0]))]


def test_ansible_runner_run(lab, tmp_path, activation):
    marker = uuid.uuid4().hex[:12]
    pdd = private_data_dir(tmp_path, lab, activation, marker)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "NSM_ACTIVATION"}
    proc = subprocess.run(["ansible-runner", "run", str(pdd), "-p", "site.yml", "--ident", "job"], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    artifacts = pdd / "artifacts" / "job"
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (artifacts / "rc").read_text().strip() == "0"
    assert (artifacts / "status").read_text().strip() == "successful"
    stdout = (artifacts / "stdout").read_text()
    assert "PLAY RECAP" in stdout

    names = sorted(h["name"] for h in lab["hosts"])
    found = events(artifacts)
    ok = [e["event_data"] for e in found if e["event"] == "runner_on_ok"]
    transport = {e["host"]: e["res"]["stdout"] for e in ok if e["task"] == "Transport"}
    assert sorted(transport) == names
    assert all("(mitogen:" in out for out in transport.values()), transport
    written = {e["host"]: e["res"]["changed"] for e in ok if e["task"] == "Write a file"}
    assert written == dict.fromkeys(names, True)
    stats = [e["event_data"] for e in found if e["event"] == "playbook_on_stats"][-1]
    assert stats["ok"] == dict.fromkeys(names, 2)
    assert stats["changed"] == dict.fromkeys(names, 1)
    assert not stats["failures"] and not stats["dark"]
    for host in lab["hosts"]:
        written_file = Path(host["root"]) / "home" / "deploy" / ("runner-%s.txt" % marker)
        assert written_file.read_text() == "%s %s\n" % (host["name"], marker)
        written_file.unlink()
    if activation == "callback":
        assert "DEPRECATION" not in stdout
