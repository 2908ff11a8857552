# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Play activation: the patches of a play, installed when it starts and removed when it ends.

Private: not a public API. ``EngineStrategy`` is what every ns.mitogen strategy
(and every play the callback accelerates) is made of, over a builtin strategy:
``class StrategyModule(EngineStrategy, LinearStrategy)``. When a play starts it
checks the controller and that the engine still has every attribute a patch
replaces, puts the engine's exit handler in front of SIGTERM and SIGHUP
(``_exit``), then installs ``PATCHES`` in order; when the play (or a ``serial``
batch of it) ends it closes a batch's connections (``_batches``) and removes
them, so plays under stock strategies in the same run see stock Ansible.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.utils.display import Display

from ansible_collections.ns.mitogen.plugins.plugin_utils import (
    _accounts, _batches, _become_command, _commands, _concurrency, _connect, _discovery, _engine, _exit, _failures,
    _loop, _modules, _names, _payload, _reset, _runner, _timeouts, _transfers)
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

# In the order they are installed: a later patch of the same engine symbol wraps the earlier one.
PATCHES: tuple[_engine.Patch, ...] = (
    # names, read by the engine's AnsibleWrappers when its own run() starts, after ours
    _names.FQCN_CONNECTIONS,
    _names.TEMPLATED_VIA,
    # connecting: the method table first, then its entries
    _connect.METHOD_TABLE,
    _connect.SSH_DEBUG_LEVEL,
    _connect.SSH_HOST_KEY_CHECKING,
    _connect.SSH_KEEPALIVE,
    _connect.DOCKER_PATH,
    _become_command.SUDO_COMMAND,
    _connect.DOAS,
    _connect.SU_MARKED,
    _connect.SU_FLAGS,
    _connect.SU_PROMPTS,
    # become windows: the multiplexer's after su-prompt-in-target-language, which copies the step it is given
    _timeouts.REQUEST_WINDOWS,
    _timeouts.STEP_WINDOW,
    # failures of connecting and of calls in flight
    _failures.UNSUPPORTED_METHOD,
    _failures.CONNECT_FAILURE,
    _timeouts.BECOME_TIMEOUT,
    _failures.LOST_CONNECTION,
    _failures.INTERPRETER_NOT_FOUND,
    # interpreter discovery, and meta: reset_connection
    _discovery.DISCOVERED_ONCE,
    _discovery.VIA_CANDIDATES,
    _discovery.DISCOVERY_INTERPRETERS,
    _discovery.OMITTED_INTERPRETER,
    _discovery.OMITTED_SCRIPT_INTERPRETER,
    _reset.NO_DISCOVERY,
    _reset.RESET,
    # loop items keep their connection
    _loop.REMEMBER,
    _loop.KEPT,
    _loop.MODULE_MAP,
    _loop.PUSHED_ONCE,
    # tasks of several hosts that share an interpreter run side by side (wrapping the loop's patches)
    _concurrency.SIDE_BY_SIDE,
    _concurrency.MODULE_FILES,
    _concurrency.ENDED,
    _concurrency.FORKS,
    # the module's payload as ansible-core builds it: arguments, serialization profile, checks (the embed
    # check first: it wraps none of the invoke patches below, so it sees the module name they resolved)
    _payload.PAYLOAD_CHECKS,
    _payload.ARGUMENTS,
    _payload.RESULT,
    _payload.IMPORT_CHECK,
    _payload.NEW_STYLE,
    _payload.RELATIVE_IMPORTS,
    # modules: which one, how it runs, what it answers
    _modules.FORK_MODULES,
    _modules.MODULE_REPLACER,
    _modules.COLLECTIONS_KEYWORD,
    _modules.ASYNC_MODULE_UTILS,
    _modules.ASYNC_FLAGS,
    _modules.COLLECTION_SCAN,
    # removing an account a task became: its interpreters end first
    _accounts.REMOVED_ACCOUNT,
    # the module's run on the target, and async jobs
    _runner.PRELOADED,
    _runner.MODULE_FAILURES,
    _runner.WORKING_DIR,
    _runner.RLIMIT_NOFILE,
    _runner.ASYNC_JOBS,
    # commands over the local connection, as its stock plugin runs them
    _commands.LOCAL_COMMANDS,
    # file transfers, and the multiplexers' sessions
    _transfers.WRITE_PATH,
    _transfers.TRANSFER_FILE,
    _exit.MUX_SESSION,
    # become commands of the plugin's own: failures fail the task; the multiplexer knows the method
    _become_command.BECOME_COMMAND_FAILS,
    _become_command.MUX_METHOD,
)


def engine_problem(patches=PATCHES) -> str | None:
    """One line saying why the engine cannot run this play with ns.mitogen's patches, or None."""
    problem = _engine.controller_problem()
    if problem is None:
        problem = next(filter(None, map(_engine.shape_problem, patches)), None)
    return problem


class EngineStrategy(_engine.EngineStrategyMixin):
    """The engine's strategy mix-in with ns.mitogen's play activation around it."""

    def __init__(self, *args, **kwargs):
        _engine.check_controller()
        super().__init__(*args, **kwargs)

    def run(self, iterator, play_context, result=0):
        problem = engine_problem()
        if problem is not None:
            raise AnsibleError(problem)
        PlayState.begin(_modules.configured_fork_modules())
        _exit.install()
        installed = _engine.Installed()
        try:
            for patch in PATCHES:
                installed.install(patch)
            return super().run(iterator, play_context, result)
        finally:
            try:
                if _batches.is_serial(iterator):
                    _batches.close_connections()
            except Exception as exc:  # pylint: disable=broad-except  # the play's own result or error stands
                Display().warning("ns.mitogen could not close the connections of a finished serial batch: %s" % exc)
            finally:
                installed.remove_all()
                PlayState.begin()
