# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Target Pythons: modules run over Mitogen with every supported one (3.9 to 3.13, pyenv builds shown
read-only inside a target at their own path); 2.7 and 3.6 get the setup role's one-line error."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook

HERE = Path(__file__).parent
MODULES = HERE / "playbooks" / "target_python.yml"
SETUP = Path(__file__).resolve().parents[1] / "roles" / "playbooks" / "setup.yml"
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
UNSUPPORTED = ("2.7", "3.6")
TARGET = 3


def pyenv_builds() -> dict[str, Path]:
    """MAJOR.MINOR -> the newest pyenv build of it on this machine."""
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    builds: dict[str, Path] = {}
    for build in sorted(Path(root, "versions").glob("[23].*")) if root else ():
        builds[".".join(build.name.split(".")[:2])] = build
    return builds


@pytest.fixture(scope="module")
def pythons(lab):
    """The pyenv builds, mounted read-only into target 3 at their own path; target 3 restarts pristine after."""
    builds = pyenv_builds()
    missing = [v for v in SUPPORTED + UNSUPPORTED if v not in builds]
    if missing:
        pytest.skip("no pyenv build of Python %s on this machine (pyenv install them)" % ", ".join(missing))
    instance = lab["lab"]
    try:
        for version in SUPPORTED + UNSUPPORTED:
            instance.bind_ro(TARGET, builds[version], str(builds[version]))
        yield {v: "%s/bin/python%s" % (builds[v], v) for v in SUPPORTED + UNSUPPORTED}
    finally:
        instance.reset_host(TARGET)


def inventory(lab, tmp_path, pythons, versions, extra=""):
    host = lab["hosts"][TARGET - 1]
    lines = ["py%s ansible_host=%s ansible_user=root ansible_python_interpreter=%s %s"
             % (v.replace(".", ""), host["ip"], pythons[v], extra) for v in versions]
    # Five interpreters start on one target at once: a connection timeout with room for a busy machine.
    lines += ["[all:vars]", "ansible_timeout=40", "ansible_ssh_private_key_file=" + lab["key"],
              "ansible_ssh_common_args='-o UserKnownHostsFile=%s'" % lab["known_hosts"]]
    path = tmp_path / "hosts.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_modules_run_on_every_supported_target_python(lab, tmp_path, pythons):
    result = run_playbook(MODULES, inventory(lab, tmp_path, pythons, SUPPORTED),
                          env={"ANSIBLE_STRATEGY": "ns.mitogen.linear"})
    failed = {host: r.get("msg") for host, r in result.results("Facts").items() if r.get("failed") or r.get("unreachable")}
    assert result.rc == 0 and not failed, failed or result.stdout[-3000:]
    for version in SUPPORTED:
        name = "py" + version.replace(".", "")
        facts = result.results("Facts")[name]["ansible_facts"]["ansible_python"]
        assert "%d.%d" % (facts["version"]["major"], facts["version"]["minor"]) == version
        assert facts["executable"] == pythons[version]
        assert "(mitogen:" in result.results("Transport")[name]["stdout"]
        assert result.results("Copy")[name]["changed"] is True
        assert result.results("Read")[name]["stdout"] == "from %s" % name


def test_python_27_and_36_get_the_roles_error(lab, tmp_path, pythons):
    # The role runs under a stock strategy, as its guide says: over Mitogen even raw needs a usable Python.
    result = run_playbook(SETUP, inventory(lab, tmp_path, pythons, UNSUPPORTED), "-e", "setup_set_interpreter=false",
                          env={"ANSIBLE_STRATEGY": "linear"})
    assert result.rc != 0
    failed = result.results("Report | Fail the hosts that are not ready (setup_strict)")
    for version in UNSUPPORTED:
        name = "py" + version.replace(".", "")
        msg = failed[name]["msg"]
        # The newest supported Python on the target is the one to set (here a pyenv build).
        assert msg == ("Ansible would use %s on %s (Python %s): set ansible_python_interpreter=%s/bin/python3 "
                       "(Python %s) for this host" % (pythons[version], name, pythons[version].split("/")[-3],
                                                      pythons["3.13"].rsplit("/", 2)[0],
                                                      pythons["3.13"].split("/")[-3])), msg
