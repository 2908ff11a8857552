# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Removing an account a task became: its interpreters end first, so userdel can remove it, as under stock Ansible.

Private: not a public API. The engine keeps one interpreter per account a task
became, on each host, until the run ends (see Interpreter reuse in the
differences guide). Under stock Ansible nothing runs as that account between
tasks, so a play that becomes an account and later removes it with the user
module succeeds; under the engine alone ``userdel`` refused ("user ... is
currently used by process N") and the task failed.

Before the user module (``user``, ``ansible.builtin.user``,
``ansible.legacy.user``) removes an account (``state: absent``, not in check
mode), ns.mitogen asks the connection's login interpreter on that host to shut
down the interpreters below it that run as that account, and waits until their
processes are gone (``plugins/module_utils/_target_accounts.py``). The
connection multiplexer forgets them when they disconnect; a later task that
becomes the account (once it exists again) starts a new one.
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.module_utils import _target_accounts
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

USER_MODULES = frozenset(("user", "ansible.builtin.user", "ansible.legacy.user"))
# How long the login interpreter waits, in all, for the account's interpreters to end.
TIMEOUT = 30.0


def removed_account(module_name, module_args) -> str | None:
    """The account a module call removes with the user module (state=absent, not in check mode), or None."""
    if module_name not in USER_MODULES:
        return None
    args = module_args or {}
    if args.get("state") != "absent" or args.get("_ansible_check_mode"):
        return None
    name = args.get("name", args.get("user"))
    return str(name) if isinstance(name, str) and name else None


def login_interpreter(connection):
    """The engine's first interpreter on the connection's host: below it, one per account a task became."""
    # The engine's own login_context is not that when become adds no hop (become_user is the login user).
    stack = connection._build_stack()[1]  # pylint: disable=protected-access  # as the engine's reset builds it
    if stack and stack[-1].get("method") in connection.become_methods:
        return connection.login_context
    return connection.context


def end_interpreters(connection, account) -> list:
    """End the engine's interpreters on the connection's host that run as `account`; their process ids."""
    login = login_interpreter(connection)
    if login is None:
        return []
    return login.call(_target_accounts.end_interpreters_of, account=account,
                      spared=connection.context.context_id, timeout=TIMEOUT)


def _ended_first(original):
    def invoke(invocation):
        account = removed_account(invocation.module_name, invocation.module_args)
        if account is not None:
            end_interpreters(invocation.connection, account)
        return original(invocation)
    return invoke


REMOVED_ACCOUNT = _engine.Patch(
    name="end-interpreters-of-removed-account",
    target="ansible_mitogen.planner.invoke",
    why="Before the user module removes an account (state=absent), the interpreters that run as that account on "
        "the host end, so userdel can remove it, as under stock Ansible; the engine alone kept them until the run "
        "ended and userdel refused (\"user ... is currently used by process N\").",
    test="tests/parity/cases/user_removal.yml",
    make=_ended_first,
    shape=("invocation",),
)
