# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File transfers under ns.mitogen.linear are atomic: a destination is always one whole version."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path

from nsmtest.modes import NS

from faultlib import (finish, host_line, kill_processes_of, start_playbook, target_processes, wait_for,
                      write_inventory, write_play)

DEST = "/home/deploy/shared.bin"


def copy_play(tmp_path, name: str, source: Path, times: int) -> Path:
    return write_play(tmp_path / ("%s.yml" % name), """\
    - name: Copy %s
      ansible.builtin.copy:
        src: %s
        dest: %s
        mode: "0644"
      loop: "{{ range(%d) | list }}"
""" % (name, source, DEST, times))


def test_overlapping_runs_leave_one_complete_version(lab, tmp_path):
    versions = {}
    for name, byte in (("a", b"a"), ("b", b"b")):
        versions[name] = (name.upper() + ":").encode() + byte * (2 * 1024 * 1024)
        (tmp_path / name).write_bytes(versions[name])
    inventory = write_inventory(tmp_path / "hosts.ini", [host_line(lab, "target1", 1)])
    on_target = Path(lab["hosts"][0]["root"], DEST.lstrip("/"))
    seen, bad = set(), []
    done = threading.Event()

    def watch():
        while not done.is_set():
            try:
                data = on_target.read_bytes()
            except FileNotFoundError:
                continue
            for name, content in versions.items():
                if data == content:
                    seen.add(name)
                    break
            else:
                bad.append((len(data), data[:2]))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        runs = [start_playbook(copy_play(tmp_path, name, tmp_path / name, 6), inventory, env=NS) for name in versions]
        results = [finish(proc) for proc in runs]
    finally:
        done.set()
        watcher.join()
        on_target.unlink(missing_ok=True)
    for result in results:
        assert result.rc == 0, result.stdout[-3000:]
    assert not bad, "read %d torn or partial versions, e.g. %r" % (len(bad), bad[:3])
    assert seen == {"a", "b"}, seen  # both runs did write, over each other


def test_killed_run_leaves_no_partial_destination(lab, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.writelines(os.urandom(1024 * 1024) for _mib in range(256))
    inventory = write_inventory(tmp_path / "hosts.ini", [host_line(lab, "target2", 2)])
    upper = Path(lab["hosts"][1]["upper"])
    on_target = Path(lab["hosts"][1]["root"], DEST.lstrip("/"))
    before = {p.name for p in on_target.parent.iterdir()} | {".ansible"}
    # A killed ansible-playbook cannot remove its temporary files (multiprocessing's pymp-*, ansible-core's local
    # temporary directory; under stock Ansible as well): they go to the test's own directory, not /tmp or ~.
    run_tmp = tmp_path / "tmp"
    run_tmp.mkdir()
    proc = start_playbook(copy_play(tmp_path, "big", big, 1), inventory,
                          env=dict(NS, TMPDIR=str(run_tmp), ANSIBLE_LOCAL_TEMP=str(run_tmp / "local")))
    try:
        def partial():
            # The transfer in progress: a growing file somewhere in the target's own layer.
            return next((p for p in upper.rglob("*") if p.is_file() and 1024 * 1024 < p.stat().st_size
                         < big.stat().st_size), None)

        in_flight = wait_for(partial, 180, "the transfer starting", step=0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        finish(proc)
        kill_processes_of(str(tmp_path))
    try:
        # The target's interpreters notice the lost connection and exit.
        wait_for(lambda: not any("mitogen:" in " ".join(a) for a in target_processes(lab, 2).values()), 60,
                 "target2's interpreters exiting")
        # No partial destination: none, or (a worker outlives its killed group and finishes, as under stock
        # Ansible) the complete file.
        assert not on_target.exists() or on_target.read_bytes() == big.read_bytes(), "a partial destination"
        # What was in flight went to the task's temporary directory, never beside the destination.
        assert in_flight.relative_to(upper).parts[:3] == ("home", "deploy", ".ansible"), in_flight
        # nothing beside the destination either
        assert {p.name for p in on_target.parent.iterdir()} <= before | {on_target.name}
    finally:
        on_target.unlink(missing_ok=True)
        shutil.rmtree(on_target.parent / ".ansible" / "tmp", ignore_errors=True)
