# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run stopped from outside (SIGTERM, SIGHUP) cleans up as a run stopped with Ctrl-C does.

Private: not a public API. The engine shuts its connection multiplexers down
(their UNIX sockets removed, the targets' interpreters ended with their
connections) from an atexit handler. SIGINT unwinds to it; SIGTERM makes
ansible-core pass the signal to its workers and then die of it, and SIGHUP
kills the process outright, so neither reaches atexit and the sockets and
interpreters stay behind. While a play over Mitogen has run, these signals
first run the engine's exit handler, then what was there before.

SIGKILL runs nothing. ansible-core starts each worker in a session of its own,
so a worker outlives a killed ansible-playbook (even its whole process group)
and finishes its task. The engine's multiplexers serve the workers and end when
the last of them has ended; the patch ``MUX_SESSION`` starts them in sessions
of their own too, so that a signal to ansible-playbook's process group does not
kill them under a worker that still needs them.
"""

from __future__ import annotations

import os
import signal

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def shut_engine_down() -> None:
    """What the engine does at exit, now: its multiplexers stop (idempotent, and a no-op before any play)."""
    model = getattr(_engine.process, "_worker_model", None) if _engine.process is not None else None
    on_exit = getattr(model, "_on_process_exit", None)
    if on_exit is not None:
        on_exit()


class CleanupFirst:
    """A signal handler: the engine's exit handler, then the handler it replaced (or the default action)."""

    def __init__(self, previous) -> None:
        self.previous = previous

    def __call__(self, signum, frame) -> None:
        shut_engine_down()
        if callable(self.previous):
            self.previous(signum, frame)
            return
        signal.signal(signum, signal.SIG_DFL if self.previous in (None, signal.SIG_DFL) else self.previous)
        os.kill(os.getpid(), signum)


def _own_session(original):
    def worker_main(self):
        os.setsid()  # as ansible-core's WorkerProcess does
        return original(self)
    return worker_main


MUX_SESSION = _engine.Patch(
    name="multiplexers-outlive-a-killed-group",
    target="ansible_mitogen.process.MuxProcess.worker_main",
    why="The connection multiplexers run in sessions of their own, as ansible-core's workers do: when "
        "ansible-playbook's process group is killed (SIGKILL), a worker in the middle of a copy finishes it as "
        "under stock Ansible, where the engine alone died under it, left its partial file on the target and the "
        "worker waiting forever.",
    test="tests/integration/plugins/callback/test_accelerate.py::test_a_run_killed_during_a_copy_leaves_what_stock_leaves",
    make=_own_session,
    shape=("self",),
)


def install() -> None:
    """Put CleanupFirst before the handlers of SIGTERM and SIGHUP of this process (once)."""
    for signum in SIGNALS:
        current = signal.getsignal(signum)
        if not isinstance(current, CleanupFirst) and current is not signal.SIG_IGN:
            try:
                signal.signal(signum, CleanupFirst(current))
            except ValueError:  # not the main thread of the main interpreter: nothing of ours to install
                return
