# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""serial batches: which plays are batched, and every multiplexer is asked to close its connections."""

from __future__ import annotations

import types

from ansible_collections.ns.mitogen.plugins.plugin_utils import _batches


def test_only_serial_plays_are_batched():
    def iterator(serial):
        return types.SimpleNamespace(_play=types.SimpleNamespace(serial=serial))

    assert _batches.is_serial(iterator([1])) and _batches.is_serial(iterator(["30%"]))
    assert not _batches.is_serial(iterator([])) and not _batches.is_serial(types.SimpleNamespace())


class Model:
    """Stands for the engine's ClassicWorkerModel in the top-level process."""

    def __init__(self, paths):
        self._muxes = [types.SimpleNamespace(path=p) for p in paths]
        self.calls = []
        self.parent = types.SimpleNamespace(call_service=lambda *args: self.calls.append((self.path,) + args))
        self.path = None

    def get_binding(self, name):
        self.calls.append(("bind", name))

    def _reconnect(self, path):
        self.path = path

    def on_binding_close(self):
        self.calls.append(("close",))


def test_every_multiplexer_shuts_its_connections_down(monkeypatch):
    model = Model(["/tmp/mux0", "/tmp/mux1"])
    monkeypatch.setattr(_batches._engine.process, "_classic_worker_model", model)
    _batches.close_connections()
    assert model.calls == [("bind", ""),
                           ("/tmp/mux0", _batches.CONTEXT_SERVICE, "shutdown_all"),
                           ("/tmp/mux1", _batches.CONTEXT_SERVICE, "shutdown_all"),
                           ("close",)]


def test_nothing_to_close_before_the_engine_started(monkeypatch):
    monkeypatch.setattr(_batches._engine.process, "_classic_worker_model", None)
    _batches.close_connections()
