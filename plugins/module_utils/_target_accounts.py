# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ns.mitogen runs on a target before the user module removes an account.

Private: not a public API, and not for modules to import. The controller's
patch ``end-interpreters-of-removed-account`` (``plugin_utils/_accounts.py``)
calls ``end_interpreters_of`` in the login interpreter of a connection (the
engine's first interpreter on the host, below which it starts one interpreter
per account a task becomes). It shuts down those that run as the account, with
everything below them, and waits until their processes are gone: ``userdel``
refuses to remove an account that a process still runs as. This file imports
nothing of the engine; it takes the engine's transport from the interpreter.
"""

from __future__ import annotations

import os
import pwd
import sys
import time

CORE = "mitogen.core"  # the engine's transport, loaded in every interpreter it starts


def _children(router):
    """(context, process id) of each interpreter started from this one: become interpreters, the fork parent."""
    parents = set(getattr(sys.modules["mitogen"], "parent_ids", ()))
    found = {}
    for stream in getattr(router, "get_streams", list)():  # a router that started none has no get_streams
        remote_id = stream.protocol.remote_id
        if remote_id not in parents:
            found[remote_id] = getattr(getattr(getattr(stream, "conn", None), "proc", None), "pid", None)
    return [(router.context_by_id(i), pid) for i, pid in sorted(found.items())]


def processes(econtext):
    """(effective uid, process ids of this interpreter and of those it started)."""
    return os.geteuid(), [os.getpid()] + [pid for context, pid in _children(econtext.router) if pid]


processes.mitogen_takes_econtext = True


def _alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another account's process (this login is not root)
        return True
    return True


def end_interpreters_of(account, spared, timeout, econtext):
    """Shut down the interpreters below this one that run as `account`, except `spared` (a context id).

    Returns the process ids that were ended. Waits at most `timeout` seconds in
    all; a process that outlives that is left to userdel's own message.
    """
    try:
        uid = pwd.getpwnam(account).pw_uid
    except KeyError:
        return []  # no such account: the user module has nothing to remove
    if uid == os.geteuid():
        return []  # the login itself runs as the account: as under stock Ansible, userdel refuses
    timeout_error = sys.modules[CORE].TimeoutError
    deadline = time.monotonic() + timeout
    ended, latches = [], []
    for child, pid in _children(econtext.router):
        if child.context_id == spared:
            continue
        try:
            euid, pids = child.call_async(processes).get(timeout=max(0.0, deadline - time.monotonic())).unpickle()
        except timeout_error:
            continue  # busy past the time limit: left running
        if euid == uid:
            latches.append(child.shutdown())
            ended.extend([pid] + pids if pid else pids)
    for latch in latches:
        try:
            latch.get(timeout=max(0.0, deadline - time.monotonic()))
        except timeout_error:
            pass
    while any(_alive(pid) for pid in ended) and time.monotonic() < deadline:
        time.sleep(0.05)
    return ended


end_interpreters_of.mitogen_takes_econtext = True
