# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting: how each connection and become step of a target is started.

Private: not a public API. The engine turns every step (ssh, docker, sudo,
su, doas, ...) into keyword arguments through its CONNECTION_METHOD table;
these patches look names up by any spelling and make each method's arguments
behave as the stock plugin's options do.
"""

from __future__ import annotations

from ansible.errors import AnsibleError

from ansible_collections.ns.mitogen.plugins.module_utils._target_runner import BECOME_COMMAND_METHOD
from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._names import canonical

CONNECTION_METHOD = "ansible_mitogen.connection.CONNECTION_METHOD"
METHOD_SHAPE = ("spec",)
BECOME_METHODS = ("sudo", "su", "doas")


def is_become_step(step: dict) -> bool:
    """Whether a step of a connection stack becomes another user (the engine's methods, or a plugin's command)."""
    return step.get("method") in BECOME_METHODS or \
        (step.get("kwargs") or {}).get("method_name") == BECOME_COMMAND_METHOD


class UnsupportedMethod(KeyError):
    """A connection or become method the engine has no entry for."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class MethodTable(dict):
    """The engine's CONNECTION_METHOD table, looked up by any spelling of a name."""

    def __missing__(self, name):
        if name:
            short = canonical(name, (_engine.loaders.become_loader, _engine.loaders.connection_loader))
            if short != name and dict.__contains__(self, short):
                return dict.__getitem__(self, short)
        raise UnsupportedMethod(name)


def _method_table(original: dict) -> MethodTable:
    # The engine's own aliases go: they reach the (patched) entry they alias through canonical().
    return MethodTable((k, v) for k, v in original.items() if canonical(k) == k)


METHOD_TABLE = _engine.Patch(
    name="any-spelling-in-connection-stacks",
    target=CONNECTION_METHOD,
    why="mitogen_via hops and targets whose connection or become method is named by FQCN or alias "
        "(ansible.builtin.ssh, ansible.builtin.sudo) connect; the engine alone failed with a bare KeyError.",
    test="tests/integration/plugins/plugin_utils/test__mitogen.py::test_fqcn_names_in_mitogen_via_hops",
    make=_method_table,
    shape=dict,
)


def _method(original, adjust):
    """A CONNECTION_METHOD entry whose result adjust(spec, result) changes."""
    def connect(spec):
        result = original(spec)
        adjust(spec, result)
        return result
    return connect


def _unset(value) -> bool:
    return value in (None, "")


# ------------------------------------------------------------------ ssh

def _ssh_debug_level(spec, result) -> None:
    level = spec.mitogen_ssh_debug_level()
    if not _unset(level):
        result["kwargs"]["ssh_debug_level"] = int(level)


SSH_DEBUG_LEVEL = _engine.Patch(
    name="ssh-debug-level",
    target=CONNECTION_METHOD + "['ssh']",
    why="mitogen_ssh_debug_level sets ssh's -v level; the engine alone ignored it.",
    test="tests/unit/plugins/plugin_utils/test__connect.py::test_ssh_debug_level_overrides_verbosity_only_when_set",
    make=lambda original: _method(original, _ssh_debug_level),
    shape=METHOD_SHAPE,
)

_STRICT_HOST_KEY_MODES = {"no": "ignore", "off": "ignore", "yes": "enforce", "ask": "accept", "accept-new": "accept"}


def strict_host_key_checking(ssh_args) -> str | None:
    """The user's own StrictHostKeyChecking value in ssh arguments, if any (first one wins, as in ssh)."""
    args = list(ssh_args or ())
    for index, arg in enumerate(args):
        option = arg[2:] if arg.startswith("-o") and len(arg) > 2 else (
            args[index + 1] if arg == "-o" and index + 1 < len(args) else None)
        if option:
            key, _sep, value = option.replace("=", " ", 1).partition(" ")
            if key.lower() == "stricthostkeychecking":
                return value.strip().lower()
    return None


def _ssh_host_key_checking(spec, result) -> None:  # pylint: disable=unused-argument
    kwargs = result["kwargs"]
    mode = _STRICT_HOST_KEY_MODES.get(strict_host_key_checking(kwargs.get("ssh_args")) or "")
    if mode and kwargs.get("check_host_keys") == "enforce":
        kwargs["check_host_keys"] = mode


SSH_HOST_KEY_CHECKING = _engine.Patch(
    name="ssh-host-key-checking-option",
    target=CONNECTION_METHOD + "['ssh']",
    why="A StrictHostKeyChecking option in the user's ssh arguments decides host key checking, as for stock "
        "Ansible; the engine alone put its own option first, and ssh takes the first one.",
    test="tests/integration/plugins/connection/test_ssh.py::test_host_key_checking",
    make=lambda original: _method(original, _ssh_host_key_checking),
    shape=METHOD_SHAPE,
)


def keepalive_for(timeout) -> tuple[int, int]:
    """ssh keepalive (interval, count) that notice a silent network within `timeout` seconds."""
    count = 3
    return max(1, int(timeout) // (count + 1)), count


def _ssh_keepalive(spec, result) -> None:
    kwargs = result["kwargs"]
    if _unset(spec.mitogen_ssh_keepalive_interval()) and _unset(spec.mitogen_ssh_keepalive_count()) \
            and kwargs.get("connect_timeout"):
        kwargs["keepalive_interval"], kwargs["keepalive_count"] = keepalive_for(kwargs["connect_timeout"])


SSH_KEEPALIVE = _engine.Patch(
    name="ssh-keepalive-within-timeout",
    target=CONNECTION_METHOD + "['ssh']",
    why="A network that goes silent under an open connection makes the host unreachable within the connection "
        "timeout (unless mitogen_ssh_keepalive_interval or mitogen_ssh_keepalive_count is set); the engine alone "
        "waited about 300 s.",
    test="tests/integration/faults/test_faults.py::test_unreachable_target_within_the_timeout_the_others_finish",
    make=lambda original: _method(original, _ssh_keepalive),
    shape=METHOD_SHAPE,
)


# ------------------------------------------------------------------ docker

def _docker_path(spec, result) -> None:
    path = spec.mitogen_docker_path()
    if path:
        result["kwargs"]["docker_path"] = path


DOCKER_PATH = _engine.Patch(
    name="docker-path",
    target=CONNECTION_METHOD + "['docker']",
    why="mitogen_docker_path names the docker client to run; the engine alone ignored it.",
    test="tests/integration/plugins/connection/test_connections.py::test_custom_docker_executable_is_used",
    make=lambda original: _method(original, _docker_path),
    shape=METHOD_SHAPE,
)


# ------------------------------------------------------------------ become: sudo, doas, su

SUPPORTED_SUDO_FLAGS = "-H, -E, -i, -u USER, -r ROLE, -t TYPE (-S and -n are implied)"


def check_sudo_flags(flags: list[str], become_user, host) -> None:
    """Read become_flags as sudo(1) would; refuse what the engine cannot do, before connecting."""
    import mitogen.core  # pylint: disable=import-outside-toplevel
    import mitogen.sudo  # pylint: disable=import-outside-toplevel

    try:
        parsed = mitogen.sudo.parse_sudo_flags(list(flags))
    except mitogen.core.StreamError as exc:
        raise AnsibleError("ns.mitogen: become_flags %r of host %r: %s; under Mitogen sudo takes %s: "
                           "change become_flags, or run this play with a stock strategy"
                           % (" ".join(flags), host, exc, SUPPORTED_SUDO_FLAGS)) from None
    if parsed.user and become_user and parsed.user != become_user:
        raise AnsibleError("ns.mitogen: become_flags of host %r say -u %s but become_user is %s: "
                           "set the user with become_user only" % (host, parsed.user, become_user))


def become_option(spec, option: str, var: str):
    """A become plugin option of a target's spec, or a host variable of a mitogen_via hop's."""
    if isinstance(spec, _engine.transport_config.MitogenViaSpec):
        return spec._host_vars.get(var)  # pylint: disable=protected-access
    try:
        return spec.become().get_option(option)
    except (AttributeError, KeyError):
        return None


def refuse_become_flags(spec, method: str, hint: str) -> None:
    """Fail before connecting when become_flags are set for a method the engine runs without options."""
    flags = (spec.become_flags() or "").strip()
    if flags:
        raise AnsibleError("ns.mitogen: become_flags %r of host %r: under Mitogen %s runs without options: "
                           "remove become_flags (%s), or run this play with a stock strategy"
                           % (flags, spec.inventory_name(), method, hint))


def _doas(original):
    def connect(spec):
        refuse_become_flags(spec, "doas", "doas.conf decides, e.g. nopass")
        result = original(spec)
        prompts = become_option(spec, "prompt_l10n", "ansible_doas_prompt_l10n")
        if prompts:
            result["kwargs"]["password_prompt"] = prompts[0]
        return result
    return connect


DOAS = _engine.Patch(
    name="doas-flags-and-prompt",
    target=CONNECTION_METHOD + "['doas']",
    why="doas become_flags fail before connecting (the engine runs doas without options) and prompt_l10n names "
        "the prompt to answer; the engine alone waited for one fixed prompt.",
    test="tests/integration/plugins/become/test_become.py::test_become_flags_the_engine_cannot_pass_fail_before_connecting",
    make=_doas,
    shape=METHOD_SHAPE,
)

# The worker marks su steps with the prompts the user named; the multiplexer, which holds
# the context su is started from, asks that context which PAM prompt su will print there.
SU_PROMPTS_KEY = "ns_mitogen_su_prompts"


def _su_marked(spec, result) -> None:
    result["kwargs"][SU_PROMPTS_KEY] = list(become_option(spec, "prompt_l10n", "ansible_su_prompt_l10n") or [])


SU_MARKED = _engine.Patch(
    name="su-prompt-marked",
    target=CONNECTION_METHOD + "['su']",
    why="su steps carry the user's prompt_l10n to the multiplexer, which answers su in the target's language "
        "(su-prompt-in-target-language).",
    test="tests/integration/plugins/become/test_become.py::test_su_answers_a_localised_prompt",
    make=lambda original: _method(original, _su_marked),
    shape=METHOD_SHAPE,
)


def _su_flags(original):
    def connect(spec):
        refuse_become_flags(spec, "su", "su starts the account's interpreter itself; -l, -m and other options cannot be passed")
        return original(spec)
    return connect


SU_FLAGS = _engine.Patch(
    name="su-flags-refused",
    target=CONNECTION_METHOD + "['su']",
    why="su become_flags fail before connecting, in one line; the engine alone runs su without options and "
        "silently ignored them.",
    test="tests/integration/plugins/become/test_become.py::test_become_flags_the_engine_cannot_pass_fail_before_connecting",
    make=_su_flags,
    shape=METHOD_SHAPE,
)


def pam_messages(context) -> tuple[str, str] | None:
    """PAM's password prompt and failure message in the language su will use in `context`; None for English."""
    import gettext  # pylint: disable=import-outside-toplevel
    import locale  # pylint: disable=import-outside-toplevel

    import mitogen.core  # pylint: disable=import-outside-toplevel

    current = context.call(locale.setlocale, locale.LC_MESSAGES)
    try:
        # su calls setlocale(LC_ALL, ""): an uninstalled language leaves it in English.
        context.call(locale.setlocale, locale.LC_MESSAGES, "")
    except mitogen.core.CallError:
        return None
    try:
        return (context.call(gettext.dgettext, "Linux-PAM", "Password: "),
                context.call(gettext.dgettext, "Linux-PAM", "Authentication failure"))
    finally:
        context.call(locale.setlocale, locale.LC_MESSAGES, current)


def su_prompt_options(context, wanted: list[str]) -> dict:
    """The engine's su options for the prompts of `context`'s machine (empty: the engine's English ones)."""
    import mitogen.su  # pylint: disable=import-outside-toplevel

    if len(wanted) == 1:  # the user named the one prompt to expect
        return {"password_prompt": wanted[0]}
    messages = pam_messages(context)
    if not messages:
        return {}
    prompt, failure = messages
    word = prompt.strip().rstrip(":\uff1a").strip()
    options = {}
    if word and word.lower() != "password":
        options["password_prompt"] = word
    if failure and failure != "Authentication failure":
        options["incorrect_prompts"] = list(mitogen.su.Options.incorrect_prompts) + [failure]
    return options


def _su_prompts(original):
    def _connect(self, key, spec, via=None):
        kwargs = spec.get("kwargs") or {}
        if SU_PROMPTS_KEY in kwargs:
            kwargs = dict(kwargs)
            wanted = kwargs.pop(SU_PROMPTS_KEY)
            if via is not None:
                kwargs.update(su_prompt_options(via, wanted))
            elif len(wanted) == 1:
                kwargs["password_prompt"] = wanted[0]
            spec = dict(spec, kwargs=kwargs)
        return original(self, key, spec, via=via)
    return _connect


SU_PROMPTS = _engine.Patch(
    name="su-prompt-in-target-language",
    target="ansible_mitogen.services.ContextService._connect",
    why="su answers its password prompt in the target's language (Passwort:, Mot de passe :); the engine alone "
        "waited for the English prompt until the timeout.",
    test="tests/integration/plugins/become/test_become.py::test_su_answers_a_localised_prompt",
    make=_su_prompts,
    shape=("self", "key", "spec", "via"),
)
