# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commands over the local connection give their output as ansible-core's local connection gives it."""

from __future__ import annotations

from types import SimpleNamespace

from ansible_collections.ns.mitogen.plugins.plugin_utils import _commands


def connection(transport):
    return SimpleNamespace(transport=transport, _play_context=SimpleNamespace(remote_addr="web1"))


def engine_exec_command(self, cmd, in_data="", sudoable=True, mitogen_chdir=None):
    """The engine's: a terminal unless there is input or the command is not sudoable, then ssh's notice."""
    tty = not in_data and sudoable
    end = b"\r\n" if tty else b"\n"
    return 0, b"out" + end, b"Shared connection to %s closed.%s" % (self._play_context.remote_addr.encode(), end)


def test_local_commands_run_without_a_terminal_and_without_ssh_s_notice():
    exec_command = _commands.LOCAL_COMMANDS.make(engine_exec_command)
    assert exec_command(connection("local"), "echo out") == (0, b"out\n", b"")


def test_ssh_commands_keep_the_terminal_as_stock_ssh_gives_it():
    exec_command = _commands.LOCAL_COMMANDS.make(engine_exec_command)
    assert exec_command(connection("ssh"), "echo out") == (0, b"out\r\n", b"Shared connection to web1 closed.\r\n")


def test_only_the_trailing_notice_goes():
    assert _commands.without_notice(b"err\nShared connection to web1 closed.\n", "web1") == b"err\n"
    assert _commands.without_notice(b"Shared connection to web2 closed.\n", "web1") == \
        b"Shared connection to web2 closed.\n"
