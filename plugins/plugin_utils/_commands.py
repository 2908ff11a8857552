# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commands a connection runs (raw, script, an action's own): their output as the stock connection gives it.

Private: not a public API. The engine runs every such command as ansible-core's
ssh connection runs it: through a terminal (stderr merged into stdout, lines
ending in ``\\r\\n``) followed by ssh's ``Shared connection to ... closed.``
notice in stderr. ansible-core's local connection runs commands without a
terminal and prints no notice; so does ns.mitogen's local connection now.
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

# Transports whose stock connection plugin runs commands without a terminal.
NO_TERMINAL = ("local",)


def without_notice(stderr: bytes, address) -> bytes:
    """stderr without the ssh notice the engine appends after a command it ran without a terminal."""
    notice = b"Shared connection to %s closed.\n" % str(address).encode()
    return stderr[:-len(notice)] if stderr.endswith(notice) else stderr


def _as_the_connection_gives_it(original):
    def exec_command(self, cmd, in_data="", sudoable=True, mitogen_chdir=None):
        if self.transport not in NO_TERMINAL:
            return original(self, cmd, in_data=in_data, sudoable=sudoable, mitogen_chdir=mitogen_chdir)
        # Not sudoable: the engine then runs it without a terminal (sudoable means nothing else to it here).
        rc, stdout, stderr = original(self, cmd, in_data=in_data, sudoable=False, mitogen_chdir=mitogen_chdir)
        return rc, stdout, without_notice(stderr, self._play_context.remote_addr)  # pylint: disable=protected-access
    return exec_command


LOCAL_COMMANDS = _engine.Patch(
    name="local-commands-without-a-terminal",
    target="ansible_mitogen.connection.Connection.exec_command",
    why="raw and script over the local connection give their stdout and stderr apart, with plain line ends and no "
        "ssh notice, as ansible-core's local connection gives them; the engine ran them through a terminal and "
        "appended ssh's 'Shared connection to ... closed.'.",
    test="tests/parity/cases/local_commands.yml",
    make=_as_the_connection_gives_it,
    shape=("self", "cmd", "in_data", "sudoable", "mitogen_chdir"),
)
