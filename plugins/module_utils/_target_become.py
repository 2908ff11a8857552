# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A become command of ansible-core's become plugin, run on a target to start the engine's interpreter there.

Private: not a public API, and not for modules to import. The engine starts a
become step (sudo, su, doas) with a command line of its own. When the plugin's
configuration asks for more than that command line can say (sudo options the
engine does not know, a ``become_exe`` that takes options of its own,
``sudo_chdir``), the controller builds the command as ansible-core's plugin
builds it (``build_become_command``) and this connection method runs it in the
interpreter the step goes through: the plugin's command, then the engine's
bootstrap of the new interpreter in the new account. It answers the plugin's
password prompt once, and fails with ansible-core's words when the prompt
comes again or the plugin's failure message appears.

The engine finds a connection method by module name (``mitogen.<method>``):
``_target_runner.register_become_command`` makes that name lead here, in each
interpreter the engine starts and in its multiplexer. Nothing here is imported
until a step uses it; it imports the engine's ``mitogen`` only then.
"""

from __future__ import annotations

_CLASS = None


def connection_class():
    """The engine's connection class for a become command (made once per interpreter)."""
    global _CLASS  # pylint: disable=global-statement
    if _CLASS is None:
        _CLASS = _make_connection_class()
    return _CLASS


def shell_command(command: str, boot: list) -> list:
    """The argv that runs the plugin's `command` with the interpreter's bootstrap `boot` as its "$@".

    The controller built `command` around ``exec "$@"`` (the plugin's success
    marker, then the command); the shell here hands it the bootstrap's words as
    they are, with no quoting of them in between.
    """
    return ["/bin/sh", "-c", command + ' sh "$@"', "sh"] + list(boot)


def _encoded(text) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


def _make_connection_class():
    # pylint: disable=import-outside-toplevel  # the engine's, present in every interpreter it starts
    import mitogen.core
    import mitogen.parent

    class PasswordError(mitogen.core.StreamError):
        """The become command asked for a password it does not take, or for one nobody gave."""

    class Options(mitogen.parent.Options):  # pylint: disable=too-few-public-methods
        """The become step: the plugin's command, its prompt, its failure messages, and the password."""

        def __init__(self, command, username=None, password=None, prompt=None, password_to_stdin=False,
                     incorrect=(), missing=(), incorrect_msg="", missing_msg="", label="become", **kwargs):
            super().__init__(**kwargs)
            self.command = command
            self.username = username or ""
            self.password = mitogen.core.to_text(password) if password else None
            self.prompt = _encoded(prompt).rstrip() if prompt else None
            self.password_to_stdin = bool(password_to_stdin)
            self.incorrect = [_encoded(text) for text in incorrect or ()]
            self.missing = [_encoded(text) for text in missing or ()]
            self.incorrect_msg = incorrect_msg
            self.missing_msg = missing_msg
            self.label = label

    class SetupProtocol(mitogen.parent.RegexProtocol):
        """What the become command prints on its terminal before the interpreter starts."""

        answered = None  # the partial line whose prompt was answered

        def _fail(self, message):
            self.stream.conn._fail_connection(PasswordError(message))  # pylint: disable=protected-access

        def _failed(self, line) -> bool:
            options = self.stream.conn.options
            if any(text in line for text in options.incorrect):
                self._fail(options.incorrect_msg)
            elif any(text in line for text in options.missing):
                self._fail(options.missing_msg)
            else:
                return False
            return True

        def on_line_received(self, line):
            super().on_line_received(line)
            self._failed(line)

        def on_partial_line_received(self, line):
            super().on_partial_line_received(line)
            options = self.stream.conn.options
            if self._failed(line) or options.prompt is None or not line.rstrip().endswith(options.prompt):
                return
            if line == self.answered:  # the same prompt, reported again
                return
            if options.password is None:
                self._fail(options.missing_msg)
            elif self.answered is not None:  # asked again: the password was wrong
                self._fail(options.incorrect_msg)
            else:
                # sudo -S reads the password from its standard input; otherwise from its terminal.
                side = self.stream.conn.stdio_stream if options.password_to_stdin else self.stream
                side.transmit_side.write((options.password + "\n").encode("utf-8"))
                self.answered = line

    class Connection(mitogen.parent.Connection):
        """The engine's connection, started by the become plugin's own command."""

        diag_protocol_class = SetupProtocol
        options_class = Options
        create_child = staticmethod(mitogen.parent.hybrid_tty_create_child)
        create_child_args = {"escalates_privilege": True}
        child_is_immediate_subprocess = False

        def _get_name(self):
            return u"%s.%s" % (self.options.label, mitogen.core.to_text(self.options.username or "root"))

        def get_boot_command(self):
            return shell_command(self.options.command, super().get_boot_command())

    Connection.PasswordError = PasswordError
    return Connection
