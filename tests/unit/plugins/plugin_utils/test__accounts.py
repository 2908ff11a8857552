# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Before the user module removes an account, the interpreters that run as it end (on its host)."""

from __future__ import annotations

import pytest

from ansible_collections.ns.mitogen.plugins.module_utils import _target_accounts
from ansible_collections.ns.mitogen.plugins.plugin_utils import _accounts


@pytest.mark.parametrize("name", ["user", "ansible.builtin.user", "ansible.legacy.user"])
def test_each_name_of_the_user_module_removing_an_account(name):
    assert _accounts.removed_account(name, {"name": "tmptest", "state": "absent"}) == "tmptest"
    assert _accounts.removed_account(name, {"user": "tmptest", "state": "absent"}) == "tmptest"  # its alias


@pytest.mark.parametrize("name, args", [
    ("user", {"name": "tmptest"}),  # state present, the default
    ("user", {"name": "tmptest", "state": "present"}),
    ("user", {"name": "tmptest", "state": "absent", "_ansible_check_mode": True}),  # removes nothing
    ("group", {"name": "tmptest", "state": "absent"}),
    ("community.general.user_role", {"name": "tmptest", "state": "absent"}),
    ("user", None),
])
def test_other_calls_remove_no_account(name, args):
    assert _accounts.removed_account(name, args) is None


class Context:
    """Stands for an engine context: records the calls made in it."""

    def __init__(self, context_id):
        self.context_id = context_id
        self.calls = []

    def call(self, fn, **kwargs):
        self.calls.append((fn, kwargs))
        return [4242]


class Connection:
    """Stands for the engine's connection after it connected: the task's context, and its stack."""

    become_methods = ["sudo", "su", "doas"]

    def __init__(self, methods, login_context):
        self.context, self.login_context = Context(7), login_context
        self._methods = methods

    def _build_stack(self):
        return "target1", tuple({"method": m, "kwargs": {}} for m in self._methods)


def test_the_login_is_the_become_hop_s_parent_or_else_the_task_s_own_context():
    login = Context(3)
    assert _accounts.login_interpreter(Connection(["ssh", "sudo"], login)) is login
    no_hop = Connection(["ssh"], None)  # become: true, become_user the login user: the engine adds no hop
    assert _accounts.login_interpreter(no_hop) is no_hop.context
    behind_a_hop = Connection(["ssh", "ssh"], Context(2))  # mitogen_via: the engine's login_context is the hop's
    assert _accounts.login_interpreter(behind_a_hop) is behind_a_hop.context


class Invocation:
    """Stands for the engine's Invocation."""

    def __init__(self, module_name, module_args, connection):
        self.module_name, self.module_args, self.connection = module_name, module_args, connection


def test_a_removal_ends_the_account_s_interpreters_first_sparing_the_task_s_own():
    ran = []
    invoke = _accounts.REMOVED_ACCOUNT.make(lambda invocation: ran.append(invocation.module_name) or {"ok": 1})
    login = Context(3)
    connection = Connection(["ssh", "sudo"], login)
    assert invoke(Invocation("ansible.legacy.user", {"name": "tmptest", "state": "absent"}, connection)) == {"ok": 1}
    assert login.calls == [(_target_accounts.end_interpreters_of,
                            {"account": "tmptest", "spared": 7, "timeout": _accounts.TIMEOUT})]
    invoke(Invocation("ansible.legacy.command", {"_raw_params": "id"}, connection))
    assert len(login.calls) == 1 and ran == ["ansible.legacy.user", "ansible.legacy.command"]
