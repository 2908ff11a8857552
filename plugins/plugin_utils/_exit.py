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


def install() -> None:
    """Put CleanupFirst before the handlers of SIGTERM and SIGHUP of this process (once)."""
    for signum in SIGNALS:
        current = signal.getsignal(signum)
        if not isinstance(current, CleanupFirst) and current is not signal.SIG_IGN:
            try:
                signal.signal(signum, CleanupFirst(current))
            except ValueError:  # not the main thread of the main interpreter: nothing of ours to install
                return
