# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's target-side entry points are replaced by ns.mitogen's: module runs and async jobs."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import mitogen.core
import mitogen.select
import pytest
from ansible.errors import AnsibleError

from ansible_collections.ns.mitogen.plugins.module_utils import _target_runner
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine, _runner


def test_the_engine_calls_our_run_module_on_the_target():
    replacement = _runner.MODULE_FAILURES.make(lambda kwargs, econtext: None)
    assert replacement is _target_runner.run_module
    # The engine passes its ExternalContext to functions so marked, as to its own run_module.
    assert replacement.mitogen_takes_econtext is True
    # It is called on the target by module and name: a module the engine serves (ansible_collections.*).
    assert replacement.__module__ == "ansible_collections.ns.mitogen.plugins.module_utils._target_runner"


def test_async_job_ids_start_as_stock_s():
    # ansible-core: f'j{secrets.randbelow(999999999999)}'; the target adds ".<pid of the job>".
    prefixes = {_runner.job_prefix() for _count in range(20)}
    assert all(re.fullmatch(r"j\d{1,12}", p) for p in prefixes) and len(prefixes) > 1


class FakeContext:
    def __init__(self):
        self.router = object()
        self.calls = []

    def call_async(self, fn, **kwargs):
        self.calls.append((fn, kwargs))
        return "call"


class FakeReceiver:
    def __init__(self, router):
        self.router = router

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def to_sender(self):
        return "sender"


class FakeMessage:
    def __init__(self, receiver, value):
        self.receiver, self.value = receiver, value

    def unpickle(self):
        return self.value


def invoke(monkeypatch, started, from_call=False, async_dir="~/jobs"):
    """Run the async-jobs patch's replacement against fakes of the engine; (response, the target call's kwargs)."""
    context = FakeContext()

    class FakeSelect:
        def __init__(self, receivers):
            self.receivers = receivers

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def get(self):
            started_recv, call_recv = self.receivers
            return FakeMessage(call_recv if from_call else started_recv, None if from_call else started)

    monkeypatch.setattr(mitogen.core, "Receiver", FakeReceiver)
    monkeypatch.setattr(mitogen.select, "Select", FakeSelect)
    monkeypatch.setattr(_engine.planner, "_propagate_deps", lambda invocation, planner, ctx: None)
    invocation = SimpleNamespace(
        action=SimpleNamespace(get_shell_option=lambda name, default=None: async_dir if name == "async_dir" else None),
        connection=SimpleNamespace(spawn_isolated_child=lambda: context),
        timeout_secs=7, module_name="ansible.legacy.command")
    planner = SimpleNamespace(get_kwargs=lambda: {"runner_name": "NewStyleRunner", "env": {"A": "1"}})
    replacement = _runner.ASYNC_JOBS.make(lambda invocation, planner: None)
    response = replacement(invocation, planner)
    (fn, kwargs), = context.calls
    assert fn is _target_runner.run_module_async
    return response, kwargs


def test_an_async_job_starts_with_stock_s_result(monkeypatch):
    started = _target_runner.start_result("j1.2", "/home/u/.ansible_async/j1.2")
    response, kwargs = invoke(monkeypatch, started)
    # ansible-core's _execute_module marks the start as a change; the rest is what async_wrapper prints.
    assert json.loads(response["stdout"]) == dict(started, changed=True)
    assert kwargs["timeout_secs"] == 7 and kwargs["started_sender"] == "sender"
    assert re.fullmatch(r"j\d+", kwargs["job_prefix"])


def test_an_async_job_gets_its_directory_as_under_stock(monkeypatch):
    _response, kwargs = invoke(monkeypatch, {"started": True}, async_dir="/var/jobs")
    assert kwargs["async_dir_option"] == "/var/jobs"
    assert kwargs["kwargs"]["env"] == {"A": "1", "ANSIBLE_ASYNC_DIR": "/var/jobs"}


def test_an_async_job_that_ends_before_it_starts_fails_the_task(monkeypatch):
    with pytest.raises(AnsibleError, match="ended before it started"):
        invoke(monkeypatch, None, from_call=True)


def test_the_engine_starts_each_interpreter_with_our_code_loaded():
    replacement = _runner.PRELOADED.make(lambda econtext, log_level, candidate_temp_dirs: None)
    assert replacement is _target_runner.init_child and replacement.mitogen_takes_econtext is True


# ------------------------------------------------------------------ the module's open-file limit and directory

def templar(variables):
    # pylint: disable=import-outside-toplevel
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    return Templar(loader=DataLoader(), variables=variables)


def trusted(value):
    """`value` as a playbook's variable is: a string is a template."""
    from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel

    return trust_as_template(value) if isinstance(value, str) else value


@pytest.mark.parametrize("value, expected", [(None, 0), (123, 123), ("{{ 123 }}", 123), ("200", 200),
                                             ("{{ omit }}", 0)])
def test_the_open_file_limit_is_computed_as_ansible_core_computes_it(monkeypatch, value, expected):
    monkeypatch.delenv("ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE", raising=False)
    variables = {} if value is None else {"ansible_python_module_rlimit_nofile": trusted(value)}
    limit = _runner.rlimit_nofile(variables, templar(variables))
    assert limit == expected and type(limit) is int  # pylint: disable=unidiomatic-typecheck  # a plain int travels


def test_an_undefined_open_file_limit_fails_the_task(monkeypatch):
    from ansible.errors import AnsibleUndefinedVariable  # pylint: disable=import-outside-toplevel

    monkeypatch.delenv("ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE", raising=False)
    variables = {"ansible_python_module_rlimit_nofile": trusted("{{ undefined_variable }}")}
    with pytest.raises(AnsibleUndefinedVariable, match="undefined"):
        _runner.rlimit_nofile(variables, templar(variables))


def planner(variables, delegate_to=None):
    task = SimpleNamespace(delegate_to=delegate_to)
    inv = SimpleNamespace(task_vars=variables, templar=templar(variables), action=SimpleNamespace(_task=task))
    return SimpleNamespace(_inv=inv)


def test_the_target_runner_gets_the_open_file_limit_when_one_is_set(monkeypatch):
    monkeypatch.delenv("ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE", raising=False)
    get_kwargs = _runner.RLIMIT_NOFILE.make(lambda self: {"runner_name": "NewStyleRunner"})
    assert get_kwargs(planner({})) == {"runner_name": "NewStyleRunner"}
    assert get_kwargs(planner({"ansible_python_module_rlimit_nofile": 123}))["rlimit_nofile"] == 123
    # A delegated task's module is built with the delegated host's variables, as under ansible-core.
    delegated = {"ansible_python_module_rlimit_nofile": 1,
                 "ansible_delegated_vars": {"other": {"ansible_python_module_rlimit_nofile": 77}}}
    assert get_kwargs(planner(delegated, delegate_to="other"))["rlimit_nofile"] == 77


def test_the_target_runner_is_told_to_run_modules_in_the_login_s_directory():
    get_kwargs = _runner.WORKING_DIR.make(lambda self, **kwargs: kwargs)
    assert get_kwargs(None, cwd="/playbooks") == {"cwd": "/playbooks", "login_dir": True}
