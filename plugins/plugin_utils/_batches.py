# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""serial batches: the connections of a finished batch end with it, as under stock Ansible.

Private: not a public API. The engine's connection multiplexers keep every
target's interpreter until the run ends, so a long ``serial`` run over many
hosts kept one interpreter (and its SSH connection, file descriptors and
processes) per host of every finished batch (engine #897). Stock Ansible's
workers end with each batch. When a batch of a ``serial`` play ends, ns.mitogen
asks each multiplexer to shut down the connections it holds; a later batch or
play that needs a host connects again.
"""

from __future__ import annotations

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

CONTEXT_SERVICE = "ansible_mitogen.services.ContextService"


def is_serial(iterator) -> bool:
    """Whether the play that `iterator` runs is split into serial batches."""
    play = getattr(iterator, "_play", None)
    return bool(getattr(play, "serial", None))


def close_connections() -> None:
    """Shut down every connection the engine's multiplexers hold (from the top-level process)."""
    model = _engine.process._classic_worker_model if _engine.process else None  # pylint: disable=protected-access
    muxes = getattr(model, "_muxes", None)
    if not muxes:
        return  # the engine has not started its multiplexers in this process
    model.get_binding("")  # the top-level process's own broker, connected to a multiplexer
    try:
        for mux in muxes:
            model._reconnect(mux.path)  # pylint: disable=protected-access
            model.parent.call_service(CONTEXT_SERVICE, "shutdown_all")
    finally:
        model.on_binding_close()
