# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a module runs on the target: the engine's target-side entry points, replaced by ns.mitogen's.

Private: not a public API. The code that runs on the target is
``plugins/module_utils/_target_runner.py``; the engine serves it to its target
interpreters as it serves its own modules (it serves ``ansible_collections``).
``run_module`` runs a module; an async task starts ``run_module_async`` there,
in a process of its own, from the controller's ``_invoke_async_task`` here.
"""

from __future__ import annotations

import json
import secrets

from ansible.errors import AnsibleError

from ansible_collections.ns.mitogen.plugins.module_utils import _target_runner
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

PRELOADED = _engine.Patch(
    name="target-code-before-forks",
    target="ansible_mitogen.target.init_child",
    why="ns.mitogen's target code is loaded in each interpreter the engine starts before the engine forks the "
        "parent of its forked interpreters; forked interpreters that fetched it at the same time could wait for it "
        "forever (delegated tasks of several hosts side by side hung now and then).",
    test="tests/parity/cases/delegated_concurrency.yml",
    make=lambda original: _target_runner.init_child,
    shape=("econtext", "log_level", "candidate_temp_dirs"),
)

MODULE_FAILURES = _engine.Patch(
    name="module-failures-as-stock",
    target="ansible_mitogen.target.run_module",
    why="A module that raises an exception fails its task with the exception's message, as under ansible-core's "
        "module wrapper; the engine alone printed a traceback the controller could not read (\"Module result "
        "deserialization failed\").",
    test="tests/parity/cases/module_exception.yml",
    make=lambda original: _target_runner.run_module,
    shape=("kwargs", "econtext"),
)


def module_vars(invocation) -> dict:
    """The variables ansible-core builds a module with: the delegated host's for a delegated task."""
    task = getattr(invocation.action, "_task", None)
    if task is not None and task.delegate_to:
        return invocation.task_vars.get("ansible_delegated_vars")[task.delegate_to]
    return invocation.task_vars


def rlimit_nofile(task_vars, templar) -> int:
    """PYTHON_MODULE_RLIMIT_NOFILE for one module, as ansible-core's modify_module computes it.

    The setting (ansible_python_module_rlimit_nofile and the rest) is templated
    with '{{ omit }}' meaning 0 (the default: leave the limit); an undefined
    variable fails the task as under ansible-core.
    """
    # pylint: disable=import-outside-toplevel  # ansible-core's own templating, as modify_module uses it
    from ansible import constants as C
    from ansible._internal._templating._engine import TemplateOptions

    value = C.config.get_config_value("PYTHON_MODULE_RLIMIT_NOFILE", variables=task_vars)
    if not isinstance(value, int):
        value = templar._engine.template(value, options=TemplateOptions(value_for_omit=0))  # pylint: disable=protected-access
    return int(value)  # a plain int: a tagged one (from a variable) cannot travel to the target


def _with_rlimit_nofile(original):
    def get_kwargs(self):
        invocation = self._inv  # pylint: disable=protected-access
        limit = rlimit_nofile(module_vars(invocation), invocation.templar)
        kwargs = original(self)
        if limit:
            kwargs["rlimit_nofile"] = limit  # taken by the target runner (_target_runner._module_runner)
        return kwargs
    return get_kwargs


RLIMIT_NOFILE = _engine.Patch(
    name="module-rlimit-nofile",
    target="ansible_mitogen.planner.NewStylePlanner.get_kwargs",
    why="A Python module runs with the open-file soft limit of PYTHON_MODULE_RLIMIT_NOFILE "
        "(ansible_python_module_rlimit_nofile), as under ansible-core's module wrapper, and an undefined value "
        "fails the task; the engine ran modules with its interpreter's limit. The interpreter's own limit is "
        "restored after the module.",
    test="tests/parity/cases/module_rlimit_nofile.yml",
    make=_with_rlimit_nofile,
    shape=("self",),
)


def _in_login_dir(original):
    def get_kwargs(self, **kwargs):
        # The target runner then runs the module in its interpreter's starting directory, the login's
        # (_target_runner._working_dirs); the directory a connection names (the local one's) comes first.
        return original(self, login_dir=True, **kwargs)
    return get_kwargs


WORKING_DIR = _engine.Patch(
    name="module-working-directory",
    target="ansible_mitogen.planner.Planner.get_kwargs",
    why="Modules, and raw, run in the directory a login shell's command runs in under ansible-core (over ssh the "
        "login user's home, inherited under become), so relative paths in their arguments resolve as under stock; "
        "the engine ran every module after the first in its temporary directory (~/.ansible/tmp).",
    test="tests/parity/cases/relative_paths.yml",
    make=_in_login_dir,
    shape=("self", "kwargs"),
)


def job_prefix() -> str:
    """The first part of a job id, made as ansible-core's _execute_module makes it (the target adds ".<pid>")."""
    return "j%d" % secrets.randbelow(999999999999)


def _invoke_async_task(original):  # pylint: disable=unused-argument  # replaced whole
    def invoke_async_task(invocation, planner):
        # pylint: disable=import-outside-toplevel  # the engine's transport, loaded with it
        import mitogen.core
        import mitogen.select

        # ansible-core hands the job its directory in ANSIBLE_ASYNC_DIR, from the shell option async_status reads.
        async_dir = str(invocation.action.get_shell_option("async_dir", default=_target_runner.DEFAULT_ASYNC_DIR))
        kwargs = planner.get_kwargs()
        kwargs["env"] = dict(kwargs.get("env") or {}, ANSIBLE_ASYNC_DIR=async_dir)
        context = invocation.connection.spawn_isolated_child()
        _engine.planner._propagate_deps(invocation, planner, context)  # pylint: disable=protected-access
        with mitogen.core.Receiver(context.router) as started_recv:
            call_recv = context.call_async(
                _target_runner.run_module_async,
                kwargs=kwargs,
                job_prefix=job_prefix(),
                async_dir_option=async_dir,
                timeout_secs=int(invocation.timeout_secs),
                started_sender=started_recv.to_sender(),
            )
            # The job's start result, once its job file is written; or the call's exception.
            with mitogen.select.Select([started_recv, call_recv]) as select:
                msg = select.get()
            started = msg.unpickle()
            if msg.receiver is call_recv:
                raise AnsibleError("ns.mitogen: the async job of %s ended before it started (it returned %r)"
                                   % (invocation.module_name, started))
        # ansible-core's _execute_module marks every async start as a change.
        return {"stdout": json.dumps(dict(started, changed=True))}
    return invoke_async_task


ASYNC_JOBS = _engine.Patch(
    name="async-jobs-as-stock",
    target="ansible_mitogen.planner._invoke_async_task",
    why="async tasks behave as under ansible-core's async_wrapper: job ids j<random>.<pid>, the start result with "
        "results_file, stock's job file records, and a job that reaches its time limit has its whole process group "
        "killed (\"Timeout exceeded\"); the engine alone left the command running.",
    test="tests/parity/cases/async_jobs.yml",
    make=_invoke_async_task,
    shape=("invocation", "planner"),
)
