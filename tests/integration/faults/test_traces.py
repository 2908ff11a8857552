# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run leaves on a target: only what its tasks wrote, and no password anywhere."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from nsmtest.ansible_run import ansible_env, run_playbook
from nsmtest.modes import NS

from faultlib import host_line, target_processes, wait_for, write_inventory

HERE = Path(__file__).parent
REPRESENTATIVE = HERE / "playbooks" / "representative.yml"
SECRETS = HERE / "playbooks" / "secrets.yml"

# What the playbook writes on the target, what every SSH login writes (login accounting), and the
# remote_tmp directory of each account, made once and left empty, as stock Ansible does.
INTENDED = {"home/deploy/ns-rep", "home/deploy/ns-rep/copied.txt", "home/deploy/ns-rep/content.txt",
            "home/deploy/ns-rep/templated.conf", "home/deploy/ns-rep/lines.txt", "home/deploy/ns-rep/tree",
            "home/deploy/ns-rep/tree/leaf", "root/ns-rep-root.txt"}
LOGIN_RECORDS = {"var/log/wtmp", "var/log/lastlog", "var/log/btmp"}
REMOTE_TMP = {"home/deploy/.ansible", "home/deploy/.ansible/tmp", "root/.ansible", "root/.ansible/tmp"}


def layer(upper: Path) -> dict[str, tuple]:
    """Every path in a target's own overlay layer, with what changes when it is written."""
    found = {}
    for path in upper.rglob("*"):
        st = path.lstat()
        found[str(path.relative_to(upper))] = (st.st_mtime_ns, st.st_size, st.st_mode)
    return found


def interpreters(lab, i: int) -> list[int]:
    return [pid for pid, argv in target_processes(lab, i).items() if "mitogen:" in " ".join(argv)]


def test_a_representative_run_leaves_only_what_its_tasks_wrote(lab, tmp_path):
    host = lab["hosts"][1]
    upper = Path(host["upper"])
    inventory = write_inventory(tmp_path / "hosts.ini", [host_line(lab, "target2", 2)])
    before = layer(upper)
    result = run_playbook(REPRESENTATIVE, inventory, "-e", "fetch_dir=%s" % (tmp_path / "fetched"), env=NS)
    try:
        assert result.rc == 0, result.stdout[-3000:]
        assert (tmp_path / "fetched" / "target2" / "etc" / "hostname").read_text() == "target2\n"
        # The run is over when the interpreters are gone: anything they would clean up is cleaned up.
        wait_for(lambda: not interpreters(lab, 2), 60, "target2's interpreters exiting")
        after = layer(upper)
        new_or_changed = {p for p, v in after.items() if before.get(p) != v}
        intended_dirs = {str(Path(p).parent) for p in INTENDED} | {"home/deploy", "root", "var/log"}
        assert INTENDED <= new_or_changed, INTENDED - new_or_changed
        leftovers = new_or_changed - INTENDED - LOGIN_RECORDS - intended_dirs - REMOTE_TMP
        assert not leftovers, "written besides what the tasks intended: %s" % sorted(leftovers)
        temp_left = [str(p.relative_to(upper)) for d in REMOTE_TMP if (upper / d).is_dir() and d.endswith("tmp")
                     for p in (upper / d).iterdir()]
        assert not temp_left, "left in a temporary directory: %s" % temp_left
    finally:
        run_playbook(REPRESENTATIVE, inventory, "-e", "clean=true", "--tags", "clean", env=NS)


def secrets_in_files(upper: Path, secrets: set[bytes]) -> list[str]:
    found = []
    for path in upper.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and any(s in path.read_bytes() for s in secrets):
                found.append(str(path.relative_to(upper)))
        except OSError:  # gone meanwhile
            continue
    return found


def test_passwords_appear_nowhere_on_the_target_nor_in_verbose_output(lab, tmp_path):
    ssh_password, su_password, sudo_password = lab["users"]["deploy"], lab["users"]["app"], lab["users"]["admin"]
    inventory = write_inventory(tmp_path / "hosts.ini", [
        # deploy logs in with its password and becomes app with su and app's password;
        # admin logs in with its password and uses sudo with it.
        host_line(lab, "su-host", 1, ansible_ssh_private_key_file=None, ansible_password=ssh_password,
                  ansible_ssh_extra_args="-o PubkeyAuthentication=no", ansible_become_method="su",
                  ansible_become_user="app", ansible_become_password=su_password),
        host_line(lab, "sudo-host", 2, ansible_user="admin", ansible_ssh_private_key_file=None,
                  ansible_password=sudo_password, ansible_ssh_extra_args="-o PubkeyAuthentication=no",
                  ansible_become_password=sudo_password),
    ])
    secrets = {s.encode() for s in (ssh_password, su_password, sudo_password)}
    found = []
    samples = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples[0] += 1
            for i in (1, 2):
                for pid, argv in target_processes(lab, i).items():
                    try:
                        environ = Path("/proc/%d/environ" % pid).read_bytes()
                    except OSError:
                        environ = b""
                    joined = " ".join(argv).encode()
                    found.extend(("target%d process" % i, joined[:120]) for s in secrets if s in joined + environ)
                if samples[0] % 10 == 0:  # files too, now and then, while the run goes on
                    upper = Path(lab["hosts"][i - 1]["upper"])
                    found.extend(("target%d file" % i, f) for f in secrets_in_files(upper, secrets))
            done.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = subprocess.run(["ansible-playbook", "-i", str(inventory), str(SECRETS), "-vvv"], capture_output=True,
                                text=True, timeout=300, check=False, env=ansible_env(**NS))
    finally:
        done.set()
        sampler.join()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "su-host" in result.stdout and "sudo-host" in result.stdout
    assert samples[0] > 20  # the processes were looked at all along the run
    for i in (1, 2):
        found.extend(("target%d file" % i, f) for f in secrets_in_files(Path(lab["hosts"][i - 1]["upper"]), secrets))
    assert not found, found
    output = result.stdout + result.stderr
    assert not [s for s in (ssh_password, su_password, sudo_password) if s in output], "a password is in -vvv output"
