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
