# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the engine forks an interpreter on a target: the fork forgets its parent's module requests.

Private: not a public API, and not for modules to import. The engine serves this
file to its target interpreters; the controller's patch ``forks-forget-parent-imports``
(``plugin_utils/_concurrency.py``) makes the engine call ``spawn_isolated_child``
here in place of its own ``ansible_mitogen.target.spawn_isolated_child``.

The engine forks its isolated interpreters (async jobs, tasks that run side by
side) from a fork parent, which fetches modules from upstream for the children
it forked before. A child forked while such a fetch is in flight inherited the
record of it: when it needed the same module, it waited for an answer that only
its parent would get, forever. Here each fork starts with no fetch in flight;
it asks for what it needs itself.
"""

from __future__ import annotations

import sys


def spawn_isolated_child(econtext):
    """A new interpreter forked from this one (the engine's fork parent), as the engine's function makes it."""
    parent = sys.modules["mitogen.parent"]
    target = sys.modules["ansible_mitogen.target"]
    importer = econtext.importer

    def forget_parent_requests():
        # In the child, just forked: no thread of its own has asked for a module yet.
        importer._callbacks.clear()  # pylint: disable=protected-access

    parent.upgrade_router(econtext)
    if target.FORK_SUPPORTED:
        return econtext.router.fork(on_fork=forget_parent_requests)
    return econtext.router.local()


spawn_isolated_child.mitogen_takes_econtext = True  # the engine passes its ExternalContext, as to its own
