# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A become plugin's own command, run on the target to start the engine's interpreter in the new account."""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import pytest

from ansible_collections.ns.mitogen.plugins.module_utils import _target_become

PROMPT = "[sudo via ansible, key=k] password:"


def test_the_bootstrap_reaches_the_plugin_s_command_word_for_word():
    # As ansible-core's sudo plugin builds it around 'exec "$@"' (its success marker first), sudo left out.
    command = "cd / && /bin/sh -c 'echo BECOME-SUCCESS-k; exec \"$@\"'"
    argv = _target_become.shell_command(command, ["printf", "%s|", "a b", "c'd", "$HOME", ""])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert out == "BECOME-SUCCESS-k\na b|c'd|$HOME||"


class Side:
    def __init__(self):
        self.written = []

    def write(self, data):
        self.written.append(data)


def protocol(password="pw", to_stdin=True):
    klass = _target_become.connection_class()
    options = klass.options_class(command="sudo", username="app", password=password, prompt=PROMPT,
                                  password_to_stdin=to_stdin, incorrect=["Sorry, try again."],
                                  missing=["a password is required"], incorrect_msg="Incorrect sudo password",
                                  missing_msg="Missing sudo password", max_message_size=1 << 20)
    failures = []
    conn = SimpleNamespace(options=options, stdio_stream=SimpleNamespace(transmit_side=Side()),
                           _fail_connection=failures.append)
    proto = klass.diag_protocol_class()
    proto.stream = SimpleNamespace(conn=conn, name="become.app", transmit_side=Side())
    return proto, conn, failures


@pytest.mark.parametrize("to_stdin", [True, False])
def test_the_prompt_is_answered_once_where_sudo_reads(to_stdin):
    proto, conn, failures = protocol(to_stdin=to_stdin)
    proto.on_partial_line_received(PROMPT.encode())
    proto.on_partial_line_received(PROMPT.encode())  # the same prompt reported again
    answered = conn.stdio_stream.transmit_side if to_stdin else proto.stream.transmit_side
    other = proto.stream.transmit_side if to_stdin else conn.stdio_stream.transmit_side
    assert answered.written == [b"pw\n"] and other.written == [] and not failures


@pytest.mark.parametrize("lines, message", [
    ([(True, PROMPT), (True, PROMPT + "\n" + PROMPT)], "Incorrect sudo password"),  # asked again
    ([(True, PROMPT), (False, "Sorry, try again.")], "Incorrect sudo password"),
    ([(False, "sudo: a password is required")], "Missing sudo password"),
])
def test_wrong_and_missing_passwords_fail_with_ansible_core_s_words(lines, message):
    proto, _conn, failures = protocol()
    for partial, line in lines:
        (proto.on_partial_line_received if partial else proto.on_line_received)(line.encode())
    assert [str(f) for f in failures] == [message]


def test_no_password_for_a_prompt_is_a_missing_password():
    proto, _conn, failures = protocol(password=None)
    proto.on_partial_line_received(PROMPT.encode())
    assert [str(f) for f in failures] == ["Missing sudo password"]
