# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's exception is reported as ansible-core's module wrapper reports it; async jobs run as its async_wrapper."""

from __future__ import annotations

import json
import os
import signal
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest

from ansible_collections.ns.mitogen.plugins.module_utils import _target_runner


def reported(capsys, run_code) -> tuple[int, dict]:
    with pytest.raises(SystemExit) as exit_info:
        _target_runner._reporting(run_code)(None, None)  # pylint: disable=protected-access
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_an_exception_becomes_a_failed_result_with_its_message(capsys):
    def run_code(code, mod):
        raise ValueError("boom")

    code, result = reported(capsys, run_code)
    assert code == 1 and result["failed"] is True
    assert result["exception"]["event"]["msg"] == "boom"


def test_returning_without_exit_fails_as_ansible_core_says(capsys):
    code, result = reported(capsys, lambda code, mod: None)
    assert code == 1 and result["exception"]["event"]["msg"] == _target_runner.NO_EXIT


def test_the_module_s_own_exit_passes_through(capsys):
    def run_code(code, mod):
        raise SystemExit(0)

    with pytest.raises(SystemExit) as exit_info:
        _target_runner._reporting(run_code)(None, None)  # pylint: disable=protected-access
    assert exit_info.value.code == 0 and capsys.readouterr().out == ""


# ------------------------------------------------------------------ async jobs, as ansible-core's async_wrapper

def test_the_job_directory_is_the_controller_s_else_the_environment_s_else_the_default():
    home = os.path.expanduser("~")
    assert _target_runner.async_dir({}, "~/jobs", {}) == home + "/jobs"
    assert _target_runner.async_dir({"env": {"ANSIBLE_ASYNC_DIR": "/a"}}, None, {"ANSIBLE_ASYNC_DIR": "/b"}) == "/a"
    assert _target_runner.async_dir({"env": None}, None, {"ANSIBLE_ASYNC_DIR": "/b"}) == "/b"
    assert _target_runner.async_dir({}, None, {}) == home + "/.ansible_async"


def test_the_records_are_async_wrapper_s():
    assert _target_runner.start_result("j1.2", "/p/j1.2") == {
        "failed": False, "started": True, "finished": False, "ansible_job_id": "j1.2", "results_file": "/p/j1.2",
        "_ansible_suppress_tmpdir_delete": True}
    assert _target_runner.started_record("j1.2") == {"started": True, "finished": False, "ansible_job_id": "j1.2"}
    assert _target_runner.timeout_record(42) == {"msg": "Timeout exceeded", "failed": True, "child_pid": 42}


def test_a_module_s_result_is_written_as_it_printed_it():
    assert _target_runner.job_record("j1.2", '{"rc": 0, "changed": true}\n', "") == {"rc": 0, "changed": True}


def test_junk_after_the_result_is_a_warning_and_stderr_is_kept():
    record = _target_runner.job_record("j1.2", 'motd\n{"rc": 0, "warnings": "w"}\njunk\n', "oops")
    assert record["warnings"] == ["w", "Module invocation had junk after the JSON data: junk"]
    assert record["stderr"] == "oops" and "data" not in record and "ansible_job_id" not in record


def test_output_that_is_no_result_is_recorded_as_async_wrapper_records_it():
    record = _target_runner.job_record("j1.2", "no json here", "err")
    assert record["failed"] is True and record["ansible_job_id"] == "j1.2"
    assert record["data"] == "no json here" and record["stderr"] == "err" and "ValueError" in record["msg"]


def test_the_group_s_other_processes_are_killed(monkeypatch):
    kills = []
    monkeypatch.setattr(os, "getpid", lambda: 10)
    monkeypatch.setattr(os, "listdir", lambda path: ["10", "11", "12", "self", "13"])

    def getpgid(pid):
        if pid == 13:
            raise ProcessLookupError(pid)  # ended meanwhile
        return {10: 10, 11: 10, 12: 7}[pid]

    monkeypatch.setattr(os, "getpgid", getpgid)
    monkeypatch.setattr(os, "kill", lambda pid, sig: kills.append((pid, sig)))
    _target_runner.kill_group_but_self(10)
    assert kills == [(11, signal.SIGKILL)]


def test_a_record_replaces_the_job_file_whole(tmp_path):
    path = str(tmp_path / "j1.2")
    _target_runner.write_record(path, {"a": 1})
    _target_runner.write_record(path, {"b": 2})
    assert json.loads((tmp_path / "j1.2").read_text()) == {"b": 2} and os.listdir(tmp_path) == ["j1.2"]


def killed_at_time_limit(monkeypatch, tmp_path, group_leader):
    """What the time limit's handler writes and kills; the runner's directory is removed."""
    kills = []
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    monkeypatch.setattr(os, "getpgid", lambda pid: 4242 if group_leader else 1)
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: kills.append(("killpg", pgid, sig)))
    monkeypatch.setattr(os, "kill", lambda pid, sig: kills.append(("kill", pid, sig)))
    # The job's commands die before the record says so: nothing is recorded yet when they are killed.
    monkeypatch.setattr(_target_runner, "kill_group_but_self", lambda pgid: kills.append(
        ("others", pgid, (tmp_path / "j1.4242").exists())))
    runner_dir = tmp_path / "ansible_mitogen_runner_x"
    runner_dir.mkdir()
    (runner_dir / "module").write_text("")
    job = _target_runner._Job("j1.4242", str(tmp_path / "j1.4242"))  # pylint: disable=protected-access
    job.runner = SimpleNamespace(_temp_dir=str(runner_dir))
    job.on_time_limit(signal.SIGALRM, None)
    assert json.loads((tmp_path / "j1.4242").read_text()) == _target_runner.timeout_record(4242)
    assert not runner_dir.exists()
    return kills


def test_a_job_past_its_time_limit_has_its_process_group_killed(monkeypatch, tmp_path):
    kills = killed_at_time_limit(monkeypatch, tmp_path, group_leader=True)
    assert kills[:2] == [("others", 4242, False), ("killpg", 4242, signal.SIGKILL)]


def test_a_job_not_yet_detached_kills_only_itself_never_the_interpreter_s_group(monkeypatch, tmp_path):
    kills = killed_at_time_limit(monkeypatch, tmp_path, group_leader=False)
    assert kills == [("kill", 4242, signal.SIGKILL)]


class FakeRunner:
    """Stands in for one of the engine's runner classes."""

    made = []

    def __init__(self, econtext, **kwargs):
        self.kwargs = kwargs
        self._temp_dir = None
        FakeRunner.made.append(self)

    def run(self):
        return {"rc": 0, "stdout": self.kwargs["stdout"], "stderr": ""}


def run_job(monkeypatch, tmp_path, **kwargs):
    """Run the target side of an async job against a fake engine; (start result, job file, the runner's kwargs)."""
    monkeypatch.setitem(sys.modules, _target_runner.ENGINE_RUNNER,
                        SimpleNamespace(FakeRunner=FakeRunner, NewStyleRunner=type("NewStyleRunner", (), {})))
    sent, shutdown = [], []
    econtext = SimpleNamespace(broker=SimpleNamespace(shutdown=lambda: shutdown.append(True)))
    FakeRunner.made.clear()
    _target_runner.run_module_async(
        dict(runner_name="FakeRunner", **kwargs), job_prefix="j77", async_dir_option=str(tmp_path / "jobs"),
        timeout_secs=0, started_sender=SimpleNamespace(send=sent.append), econtext=econtext)
    assert shutdown == [True], "the job's interpreter ends with its job"
    (started,) = sent
    path = started.get("results_file")
    return started, json.loads(Path(path).read_text()) if path else None, FakeRunner.made


def test_an_async_job_on_the_target_runs_as_async_wrapper_runs_it(monkeypatch, tmp_path):
    started, record, (runner,) = run_job(monkeypatch, tmp_path, stdout='{"changed": true}')
    jid = "j77.%d" % os.getpid()
    assert started == _target_runner.start_result(jid, str(tmp_path / "jobs" / jid))
    assert record == {"changed": True}
    assert runner.kwargs["detach"] is True and runner.kwargs["emulate_tty"] is False  # as the engine's AsyncRunner


def test_a_job_directory_that_cannot_be_made_fails_the_start_as_under_stock(monkeypatch, tmp_path):
    (tmp_path / "jobs").write_text("")  # a file where the directory should be
    started, record, runners = run_job(monkeypatch, tmp_path, stdout="{}")
    assert started["failed"] is True and started["msg"].startswith("could not create directory: %s - " % (
        tmp_path / "jobs"))
    assert record is None and runners == []


def test_init_child_is_the_engine_s(monkeypatch):
    calls = []
    engine = type("EngineTarget", (), {"init_child": staticmethod(lambda *args: calls.append(args) or {"home": "/"})})
    monkeypatch.setitem(sys.modules, _target_runner.ENGINE_TARGET, engine)
    assert _target_runner.init_child("econtext", 10, ["/tmp"]) == {"home": "/"}
    assert calls == [("econtext", 10, ["/tmp"])]


def test_init_child_records_the_directory_the_interpreter_started_in(monkeypatch, tmp_path):
    engine = type("EngineTarget", (), {"init_child": staticmethod(lambda *args: {})})
    monkeypatch.setitem(sys.modules, _target_runner.ENGINE_TARGET, engine)
    monkeypatch.setattr(_target_runner, "START_DIR", None)
    monkeypatch.chdir(tmp_path)
    _target_runner.init_child("econtext", 10, ["/tmp"])
    assert _target_runner.START_DIR == os.getcwd()


# ------------------------------------------------------------------ the module's open-file limit

def test_the_open_file_limit_is_set_for_the_run_then_restored():
    import resource  # pylint: disable=import-outside-toplevel

    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(before[0], 1024) - 1  # below the soft limit: always allowed
    with _target_runner.open_file_limit(wanted):
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (wanted, before[1])
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == before


def test_zero_leaves_the_open_file_limit_and_the_hard_limit_caps_it():
    import resource  # pylint: disable=import-outside-toplevel

    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    with _target_runner.open_file_limit(0):
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == before
    if before[1] != resource.RLIM_INFINITY:
        with _target_runner.open_file_limit(before[1] + 1):
            assert resource.getrlimit(resource.RLIMIT_NOFILE) == (before[1], before[1])
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == before


# ------------------------------------------------------------------ the module's working directory

def test_a_directory_is_entered_unless_it_is_already_the_working_one(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert _target_runner.enter(str(tmp_path / "missing")) is False and os.getcwd() == str(tmp_path)
    assert _target_runner.enter(None) is False
    (tmp_path / "sub").mkdir()
    assert _target_runner.enter(str(tmp_path / "sub")) is True and os.getcwd() == str(tmp_path / "sub")
    chdirs = []
    monkeypatch.setattr(os, "chdir", chdirs.append)
    assert _target_runner.enter(str(tmp_path / "sub")) is True and chdirs == []  # an inherited one is kept


def test_a_module_runs_in_the_connection_s_directory_else_the_start_one_and_waits_in_the_start_one(
        monkeypatch, tmp_path):
    start, named, temp = tmp_path / "start", tmp_path / "named", tmp_path / "temp"
    for directory in (start, named, temp):
        directory.mkdir()
    monkeypatch.setattr(_target_runner, "START_DIR", str(start))
    monkeypatch.chdir(temp)
    setup_cwd, revert_cwd = _target_runner._working_dirs(  # pylint: disable=protected-access
        SimpleNamespace(cwd=None, good_temp_dir=str(temp)))
    setup_cwd()
    assert os.getcwd() == str(start)
    os.chdir(temp)  # the module moved
    revert_cwd()
    assert os.getcwd() == str(start)
    setup_cwd, revert_cwd = _target_runner._working_dirs(  # pylint: disable=protected-access
        SimpleNamespace(cwd=str(named), good_temp_dir=str(temp)))
    setup_cwd()
    assert os.getcwd() == str(named)
    revert_cwd()
    assert os.getcwd() == str(start)


def test_a_start_directory_that_cannot_be_entered_again_gives_the_user_s_home(monkeypatch, tmp_path):
    home, temp = tmp_path / "home", tmp_path / "temp"
    home.mkdir()
    temp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(_target_runner, "START_DIR", str(tmp_path / "gone"))
    monkeypatch.chdir(temp)
    setup_cwd, revert_cwd = _target_runner._working_dirs(  # pylint: disable=protected-access
        SimpleNamespace(cwd=None, good_temp_dir=str(temp)))
    setup_cwd()
    assert os.getcwd() == str(home)
    os.chdir(temp)
    revert_cwd()
    assert os.getcwd() == str(home)


def test_a_module_imports_the_override_of_a_shipped_module_utils_and_the_interpreter_keeps_its_own(monkeypatch):
    shipped = types.ModuleType("ansible.module_utils.parity_shipped")
    monkeypatch.setitem(sys.modules, "ansible.module_utils.parity_shipped", shipped)
    seen = []
    impl = types.SimpleNamespace(
        module_map={"custom": [("ansible.module_utils.parity_shipped", "/role/module_utils/parity_shipped.py", False),
                               ("ansible_collections.ns.c.plugins.module_utils.x", "/c/x.py", False)]},
        setup=lambda: seen.append(sys.modules.get("ansible.module_utils.parity_shipped")),
        revert=lambda: seen.append("reverted"))
    setup, revert = _target_runner._own_module_utils(impl)  # pylint: disable=protected-access
    setup()
    assert seen == [None]  # the module's import finds the override, not what this interpreter imported
    revert()
    assert seen[-1] == "reverted" and sys.modules["ansible.module_utils.parity_shipped"] is shipped


def test_the_module_s_serialization_profile_replaces_the_engine_s_legacy(monkeypatch):
    basic = types.SimpleNamespace(_ANSIBLE_PROFILE=None)
    monkeypatch.setitem(sys.modules, "ansible.module_utils.basic", basic)
    setup = _target_runner._with_profile(  # pylint: disable=protected-access
        lambda: setattr(basic, "_ANSIBLE_PROFILE", "legacy"), "modern")
    setup()
    assert basic._ANSIBLE_PROFILE == "modern"  # pylint: disable=protected-access
