# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIGTERM and SIGHUP run the engine's exit handler first, then what was there before."""

from __future__ import annotations

import signal
import types

import pytest

from ansible_collections.ns.mitogen.plugins.plugin_utils import _exit


@pytest.fixture
def restore_handlers():
    saved = {s: signal.getsignal(s) for s in _exit.SIGNALS}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_the_engine_shuts_down_before_the_previous_handler(monkeypatch):
    calls = []
    monkeypatch.setattr(_exit._engine.process, "_worker_model", types.SimpleNamespace(
        _on_process_exit=lambda: calls.append("engine")))
    _exit.CleanupFirst(lambda signum, frame: calls.append(("previous", signum)))(signal.SIGTERM, None)
    assert calls == ["engine", ("previous", signal.SIGTERM)]


def test_no_play_yet_means_nothing_to_shut_down(monkeypatch):
    monkeypatch.setattr(_exit._engine.process, "_worker_model", None)
    _exit.shut_engine_down()


def test_installed_once_in_front_of_each_handler(restore_handlers):
    def previous(signum, frame):
        pass

    signal.signal(signal.SIGTERM, previous)
    _exit.install()
    _exit.install()
    handler = signal.getsignal(signal.SIGTERM)
    assert isinstance(handler, _exit.CleanupFirst) and handler.previous is previous
    assert isinstance(signal.getsignal(signal.SIGHUP), _exit.CleanupFirst)


def test_multiplexers_start_in_sessions_of_their_own(monkeypatch):
    calls = []
    monkeypatch.setattr(_exit.os, "setsid", lambda: calls.append("setsid"))
    worker_main = _exit.MUX_SESSION.make(lambda mux: calls.append(("worker_main", mux)))
    worker_main("mux")
    assert calls == ["setsid", ("worker_main", "mux")]
