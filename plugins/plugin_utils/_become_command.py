# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Become steps the engine's own command line cannot say, run with the become plugin's own command.

Private: not a public API. The engine runs sudo with a command line of its own
and a handful of options. A configuration that needs more (sudo options the
engine does not know, a ``become_exe`` that takes options of its own,
``sudo_chdir``) runs the command ansible-core's become plugin builds
(``build_become_command``), around the engine's bootstrap of the new
interpreter, on the target: ``plugins/module_utils/_target_become.py``. The
interpreter it starts persists as the engine's own sudo interpreters do, one
per target, account and configuration.
"""

from __future__ import annotations

import copy
import hashlib

from ansible_collections.ns.mitogen.plugins.module_utils import _target_runner
from ansible_collections.ns.mitogen.plugins.module_utils._target_runner import BECOME_COMMAND_METHOD
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._connect import (
    CONNECTION_METHOD, METHOD_SHAPE, become_option, check_sudo_flags)

ENGINE_CONNECT = "connect"  # the engine's Router.connect: the step names its method in method_name
# The plugin's command ends with this: the target's shell hands it the bootstrap as "$@" (_target_become).
COMMAND = 'exec "$@"'


def native_sudo_problem(spec) -> str | None:
    """Why the engine's own sudo command line cannot run this step's configuration, or None."""
    try:
        check_sudo_flags(spec.sudo_args(), spec.become_user(), spec.inventory_name())
    except Exception as exc:  # pylint: disable=broad-except  # the refusal's line says why
        return str(exc)
    if become_option(spec, "sudo_chdir", "ansible_sudo_chdir"):
        return "sudo_chdir"
    return None


def password_on_stdin(flags) -> bool:
    """Whether sudo's flags make it read the password from its standard input (-S, --stdin)."""
    return any(flag == "--stdin" or (flag.startswith("-") and not flag.startswith("--") and "S" in flag[1:])
               for flag in flags)


def command_step(plugin, shell, kwargs: dict) -> dict:
    """The engine's step that runs `plugin`'s own become command, from the engine's own step `kwargs`."""
    plugin = copy.copy(plugin)  # building the command sets the plugin's id, prompt and success marker
    command = plugin.build_become_command(COMMAND, shell)
    prompt = plugin.prompt if isinstance(plugin.prompt, str) and plugin.prompt else None
    # The plugin's id is random per task: a stable one keeps one interpreter per configuration.
    stable = hashlib.sha256(command.replace(plugin._id, "").encode("utf-8")).hexdigest()[:32]  # pylint: disable=protected-access
    command = command.replace(plugin._id, stable)  # pylint: disable=protected-access
    if prompt:
        prompt = prompt.replace(plugin._id, stable)  # pylint: disable=protected-access
    step = {k: v for k, v in kwargs.items() if k not in ("sudo_path", "sudo_args")}
    flags = (plugin.get_option("become_flags") or "").split()
    step.update(
        method_name=BECOME_COMMAND_METHOD, command=command, prompt=prompt, password_to_stdin=password_on_stdin(flags),
        incorrect=list(getattr(plugin, "fail", ()) or ()), missing=list(getattr(plugin, "missing", ()) or ()),
        # ansible-core's words (its ssh connection's) when the password is wrong or missing
        incorrect_msg="Incorrect %s password" % plugin.name, missing_msg="Missing %s password" % plugin.name,
        label=plugin.name,
    )
    return step


def _sudo(original):
    def connect(spec):
        result = original(spec)
        if native_sudo_problem(spec) is None:
            return result
        plugin = spec.become() if isinstance(spec, _engine.transport_config.PlayContextSpec) else None
        if plugin is None:  # a mitogen_via hop: no plugin of its own to build the command
            check_sudo_flags(spec.sudo_args(), spec.become_user(), spec.inventory_name())
            return result
        return dict(result, method=ENGINE_CONNECT, kwargs=command_step(
            plugin, spec._connection._shell, result["kwargs"]))  # pylint: disable=protected-access
    return connect


SUDO_COMMAND = _engine.Patch(
    name="sudo-as-the-plugin-builds-it",
    target=CONNECTION_METHOD + "['sudo']",
    why="sudo with become_flags the engine does not know, a become_exe that takes options of its own, or "
        "sudo_chdir runs the command ansible-core's sudo plugin builds, and answers its prompt, before the "
        "interpreter starts; the engine alone refused such flags and ignored sudo_chdir (a mitogen_via hop's "
        "flags are still refused in one line).",
    test="tests/integration/plugins/become/test_become.py::test_sudo_beyond_the_engine_s_options_runs_as_stock",
    make=_sudo,
    shape=METHOD_SHAPE,
)


BECOME_COMMAND_FAILS = _engine.Patch(
    name="become-command-failures-fail-the-task",
    target="ansible_mitogen.connection.Connection.become_methods",
    why="A become command that fails (a wrong password, a directory sudo_chdir cannot enter) fails the task, as "
        "the engine's own become methods and stock Ansible do; it does not make the host unreachable.",
    test="tests/integration/plugins/become/test_become.py::test_sudo_beyond_the_engine_s_options_runs_as_stock",
    make=lambda original: list(original) + [ENGINE_CONNECT],
    shape=list,
)


def _registered(original):
    def worker_main(self):
        _target_runner.register_become_command()  # the engine imports the method here too when a step starts
        return original(self)
    return worker_main


MUX_METHOD = _engine.Patch(
    name="become-command-method-in-the-multiplexer",
    target="ansible_mitogen.process.MuxProcess.worker_main",
    why="The multiplexer knows the become-command method by the engine's name for it, as the targets' "
        "interpreters do (their ns.mitogen init registers it).",
    test="tests/integration/plugins/become/test_become.py::test_sudo_beyond_the_engine_s_options_runs_as_stock",
    make=_registered,
    shape=("self",),
)
