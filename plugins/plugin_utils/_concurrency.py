# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Work that several hosts send to one interpreter runs side by side, as under stock Ansible.

Private: not a public API. Hosts whose connection is local share one interpreter
on the controller (per account), and the hosts of a delegated task
(``delegate_to``, ``local_action``) share the delegated host's. An interpreter
runs its calls one at a time, where stock Ansible runs each host's work in
processes of its own, up to ``forks`` at once. When such a task runs for a batch
of several hosts, its connection sends everything it would send to the shared
interpreter (modules, ``command``, ``script`` and ``raw`` commands, file
transfers, temporary directories) to an interpreter forked for the task from
the shared one's fork parent, under the same account, as the engine forks for
async tasks. It is made when the task first needs it, kept for the task's loop
items while they keep their connection, and ends when ansible-core closes the
connection at the task's end, after the calls sent to it before. A batch of one
host keeps the shared interpreter: no fork.

Forks from one fork parent that come while its other children fetch modules
through it could wait forever for a module (the engine's forks inherit the
record of their parent's fetches in flight): ``plugins/module_utils/_target_forks.py``
makes each fork start without them.
"""

from __future__ import annotations

import signal
import weakref

from ansible import context as cli_context

from ansible_collections.ns.mitogen.plugins.module_utils import _target_forks
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

TEST = "tests/parity/cases/local_hosts_concurrency.yml"


def shares_interpreter(connection) -> bool:
    """Whether the connection's task sends its work where other hosts of its batch send theirs: a delegated task,
    or a host whose connection is local, in a batch of several hosts (and more than one fork)."""
    task_vars = connection._task_vars  # pylint: disable=protected-access  # set when the action starts
    if task_vars is None or (connection.delegate_to_hostname is None and connection.transport != "local"):
        return False
    if (cli_context.CLIARGS.get("forks") or 2) < 2:
        return False
    return len(task_vars.get("ansible_play_batch") or ()) > 1


class TaskInterpreter:
    """The interpreter forked for one task's connection, and the call chain the task uses to reach it."""

    def __init__(self, connection) -> None:
        import mitogen.core  # pylint: disable=import-outside-toplevel

        self.shared = connection.context  # the interpreter it stands in for
        self.context = connection.spawn_isolated_child()
        self.alive = True
        self.chain = None
        self.made_for = None  # the connection's own chain when self.chain was made
        mitogen.core.listen(self.context, "disconnect", self.reset)

    def chain_for(self, connection):
        """A pipelined chain to the forked interpreter, new whenever the connection's own chain is new (a new
        loop item starts a new chain, so an error of one item never surfaces in the next)."""
        if self.made_for is not connection.chain:
            if self.chain is not None:
                self.chain.reset()
            self.chain = _engine.connection.CallChain(self, self.context, pipelined=True)
            self.made_for = connection.chain
        return self.chain

    def reset(self) -> None:
        """The interpreter went away (the chain calls this when a call was cut off): the next call forks anew."""
        self.alive = False

    def end(self) -> None:
        """End the interpreter once the calls sent to it before are done (a temporary directory's removal is
        sent without waiting for it). Sent outside the pipelined chain, so an earlier failure cannot stop it."""
        if self.alive:
            self.alive = False
            try:
                self.context.call_no_reply(signal.raise_signal, int(signal.SIGTERM))
            except Exception:  # pylint: disable=broad-except  # gone already: nothing to end
                pass


# connection -> its task's TaskInterpreter (in the worker that runs the task)
_FORKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def task_interpreter(connection) -> TaskInterpreter | None:
    """The connection's task interpreter, forked on first use, or None when the task keeps the shared one."""
    forked = _FORKED.get(connection)
    if forked is not None and (not forked.alive or forked.shared is not connection.context):
        _FORKED.pop(connection).end()
        forked = None
    if forked is None:
        if connection.context is None or not shares_interpreter(connection):
            return None
        forked = _FORKED[connection] = TaskInterpreter(connection)
    return forked


def _side_by_side(original):
    def get_chain(self, use_login=False, use_fork=False):
        chain = original(self, use_login, use_fork)
        if use_login or use_fork or chain is not self.chain:
            return chain  # the login account's or the fork parent's interpreter, as asked
        forked = task_interpreter(self)
        return chain if forked is None else forked.chain_for(self)
    return get_chain


SIDE_BY_SIDE = _engine.Patch(
    name="tasks-side-by-side",
    target="ansible_mitogen.connection.Connection.get_chain",
    why="Tasks of several hosts that share one interpreter (hosts whose connection is local, and delegated tasks: "
        "delegate_to, local_action) run side by side, up to forks at once as under stock Ansible, modules, script, "
        "raw and file transfers alike, each host's task in an interpreter forked for it; the engine alone ran them "
        "one after another in the shared interpreter (delegated-tasks-side-by-side forked only delegated modules).",
    test=TEST,
    make=_side_by_side,
    shape=("self", "use_login", "use_fork"),
)


def _module_files_to_it(original):
    def _propagate_deps(invocation, planner, context):
        connection = invocation.connection
        if context is not None and context is connection.context:
            forked = task_interpreter(connection)
            if forked is not None:
                context = forked.context  # the module runs there (get_chain)
        return original(invocation, planner, context)
    return _propagate_deps


MODULE_FILES = _engine.Patch(
    name="tasks-side-by-side-module-files",
    target="ansible_mitogen.planner._propagate_deps",
    why="A module of a task that runs side by side (tasks-side-by-side) gets its files in the interpreter forked "
        "for the task, where it runs.",
    test=TEST,
    make=_module_files_to_it,
    shape=("invocation", "planner", "context"),
)


def _ended_with_connection(original):
    def _put_connection(self):
        forked = _FORKED.pop(self, None)
        if forked is not None:
            forked.end()
        return original(self)
    return _put_connection


ENDED = _engine.Patch(
    name="tasks-side-by-side-ended",
    target="ansible_mitogen.connection.Connection._put_connection",
    why="The interpreter forked for a task that runs side by side (tasks-side-by-side) ends when the task's "
        "connection is closed or handed back (task end, failure, meta: reset_connection, a loop item that needs "
        "another connection).",
    test=TEST,
    make=_ended_with_connection,
    shape=("self",),
)


FORKS = _engine.Patch(
    name="forks-forget-parent-imports",
    target="ansible_mitogen.target.spawn_isolated_child",
    why="An interpreter the engine forks (tasks side by side, async jobs) starts without its fork parent's module "
        "fetches in flight; one forked while a sibling fetched a module through the parent could wait for that "
        "module forever (the play hung now and then).",
    test=TEST,
    make=lambda original: _target_forks.spawn_isolated_child,
    shape=("econtext",),
)
