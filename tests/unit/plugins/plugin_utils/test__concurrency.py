# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which tasks run side by side in an interpreter forked for them (tasks-side-by-side)."""

from __future__ import annotations

import sys
import types

import pytest
from ansible import context as cli_context

from ansible_collections.ns.mitogen.plugins.plugin_utils import _concurrency


def connection(transport="ssh", delegated=None, batch=("web1", "web2"), task_vars=True):
    return types.SimpleNamespace(transport=transport, delegate_to_hostname=delegated,
                                 _task_vars={"ansible_play_batch": list(batch)} if task_vars else None)


@pytest.mark.parametrize("conn, shares", [
    (connection(delegated="localhost"), True),
    (connection(transport="local", delegated="localhost"), True),
    (connection(transport="local"), True),  # hosts whose connection is local share the controller's interpreter
    (connection(), False),  # each host its own interpreter
    (connection(transport="local", batch=("web1",)), False),  # nothing runs beside it: no fork
    (connection(delegated="db1", batch=("web1",)), False),
    (connection(transport="local", task_vars=False), False),  # made by an action itself: the engine's path
])
def test_tasks_that_share_an_interpreter(conn, shares, monkeypatch):
    monkeypatch.setattr(cli_context, "CLIARGS", {"forks": 5})
    assert _concurrency.shares_interpreter(conn) is shares


def test_one_fork_runs_one_host_at_a_time(monkeypatch):
    monkeypatch.setattr(cli_context, "CLIARGS", {"forks": 1})
    assert not _concurrency.shares_interpreter(connection(transport="local"))


class Context:
    """Stands in for a mitogen Context: records the calls sent to it without a reply."""

    def __init__(self, name):
        self.name, self.sent = name, []

    def call_no_reply(self, fn, *args):
        self.sent.append((fn.__name__, args))

    def send(self, msg):  # a call chain's reset
        self.sent.append(("send", msg.handle))


class Connection:  # pylint: disable=too-few-public-methods
    """Stands in for the engine's connection of a task whose hosts share the controller's interpreter."""

    transport = "local"
    delegate_to_hostname = None

    def __init__(self, batch=("web1", "web2")):
        self._task_vars = {"ansible_play_batch": list(batch)}
        self.context, self.chain, self.forked = Context("shared"), object(), []

    def spawn_isolated_child(self):
        self.forked.append(Context("fork%d" % len(self.forked)))
        return self.forked[-1]


@pytest.fixture(name="forks")
def fixture_forks(monkeypatch):
    monkeypatch.setattr(cli_context, "CLIARGS", {"forks": 5})


def get_chain():
    return _concurrency.SIDE_BY_SIDE.make(lambda self, use_login=False, use_fork=False: (
        "login" if use_login else "fork" if use_fork else self.chain))


def test_a_task_of_several_hosts_runs_in_an_interpreter_forked_for_it(forks):  # pylint: disable=unused-argument
    conn = Connection()
    chain = get_chain()(conn)
    assert conn.forked and chain.context is conn.forked[0]
    assert get_chain()(conn) is chain  # the next call of the task: the same interpreter and chain
    assert get_chain()(conn, use_login=True) == "login" and get_chain()(conn, use_fork=True) == "fork"
    conn.chain = object()  # a loop item that keeps the connection: a new chain to the same interpreter
    assert get_chain()(conn) is not chain and get_chain()(conn).context is conn.forked[0] and len(conn.forked) == 1
    _concurrency.ENDED.make(lambda self: None)(conn)  # ansible-core closes the connection
    assert conn.forked[0].sent[-1] == ("raise_signal", (15,))  # after what was sent before
    get_chain()(conn)
    assert len(conn.forked) == 2  # a later use forks anew


def test_a_task_of_one_host_keeps_the_shared_interpreter(forks):  # pylint: disable=unused-argument
    conn = Connection(batch=("web1",))
    assert get_chain()(conn) is conn.chain and not conn.forked
    _concurrency.ENDED.make(lambda self: None)(conn)


def test_a_module_gets_its_files_where_it_runs(forks):  # pylint: disable=unused-argument
    conn = Connection()
    seen = []
    propagate = _concurrency.MODULE_FILES.make(lambda inv, planner, context: seen.append(context))
    propagate(types.SimpleNamespace(connection=conn), None, conn.context)
    propagate(types.SimpleNamespace(connection=conn), None, "isolated")  # an async job's own fork: as it was
    assert seen == [conn.forked[0], "isolated"]
    _concurrency.ENDED.make(lambda self: None)(conn)


def test_a_fork_starts_without_its_parents_module_fetches(monkeypatch):
    importer = types.SimpleNamespace(_callbacks={"ansible.module_utils.basic": [print]})
    forked = []

    def fork(on_fork):
        on_fork()  # what the child runs first
        forked.append(dict(importer._callbacks))  # pylint: disable=protected-access
        return "child"

    econtext = types.SimpleNamespace(importer=importer, router=types.SimpleNamespace(fork=fork))
    spawn = _concurrency.FORKS.make(None)
    assert spawn.mitogen_takes_econtext
    monkeypatch.setitem(sys.modules, "mitogen.parent", types.SimpleNamespace(upgrade_router=lambda econtext: None))
    monkeypatch.setitem(sys.modules, "ansible_mitogen.target", types.SimpleNamespace(FORK_SUPPORTED=True))
    assert spawn(econtext) == "child" and forked == [{}]
