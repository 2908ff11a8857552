# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ns.mitogen remembers while one play runs, in one object.

Private: not a public API. ``PlayState.begin()`` makes a new one when a play
starts and when it ends, so nothing leaks from one play into the next. Forked
workers and the engine's connection multiplexer inherit the one that is current
when they start. What belongs to an engine object (a worker's connection, a
module's planner) is kept in weak maps here, never on the engine's object.
"""

from __future__ import annotations

import weakref
from typing import ClassVar


class PlayState:
    """Caches and per-object records of the play that runs."""

    current: ClassVar[PlayState]

    def __init__(self, fork_modules: list[str] | None = None) -> None:
        self.fork_modules: list[str] = list(fork_modules or ())  # from the environment or ansible.cfg
        self.resolved: dict[tuple[str, str], str | None] = {}  # (loader package, name) -> FQCN
        self.module_utils: dict[str, list[str]] = {}  # module path -> collection module_utils it imports
        self.module_replacer: dict[str, bool] = {}  # module path -> whether it is a Module Replacer module
        self.collection_dirs: list[str] | None = None  # every installed collection's directory
        self.held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> HeldConnection
        self.preloaded: weakref.WeakSet = weakref.WeakSet()  # planners whose async module_utils are added
        self.resetting: weakref.WeakSet = weakref.WeakSet()  # connections inside meta: reset_connection
        self.discovered: weakref.WeakSet = weakref.WeakSet()  # actions whose task discovered the interpreter
        self.profiles: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # action -> its module's profile
        self.payloads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # action -> (module name, path)
        self.relative_done: weakref.WeakSet = weakref.WeakSet()  # planners given their relative imports

    @classmethod
    def begin(cls, fork_modules: list[str] | None = None) -> PlayState:
        """Start from nothing (a play starts or ends)."""
        cls.current = cls(fork_modules)
        return cls.current


PlayState.begin()
