# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting: the method table and each connection and become method's arguments."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError

from ansible_collections.ns.mitogen.plugins.plugin_utils import _connect
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState


@pytest.fixture(autouse=True)
def fresh_state():
    PlayState.begin()


class FakeSpec:
    """Answers like the engine's Spec: one method per value, None when unset."""

    def __init__(self, **values):
        self.values = values

    def __getattr__(self, name):
        return lambda: self.values.get(name)


def engine_method(**kwargs):
    return lambda spec: {"method": "x", "kwargs": dict(kwargs)}


# ------------------------------------------------------------------ any-spelling-in-connection-stacks

def test_method_table_finds_every_spelling_and_names_unknown_ones():
    table = _connect.METHOD_TABLE.make({"sudo": "SUDO", "ssh": "SSH", "smart": "ENGINE-SMART", "doas": "DOAS",
                                        "community.general.doas": "ENGINE-DOAS"})
    assert "smart" not in dict(table) and "community.general.doas" not in dict(table)  # they reach the patched entry
    assert table["ansible.builtin.sudo"] == "SUDO" and table["ns.mitogen.ssh"] == "SSH" and table["smart"] == "SSH"
    assert table["community.general.doas"] == "DOAS"
    with pytest.raises(_connect.UnsupportedMethod) as info:
        table["community.general.sudosu"]  # pylint: disable=pointless-statement
    assert info.value.name == "community.general.sudosu" and isinstance(info.value, KeyError)


# ------------------------------------------------------------------ ssh-debug-level

def test_ssh_debug_level_overrides_verbosity_only_when_set():
    connect = _connect.SSH_DEBUG_LEVEL.make(lambda spec: {"kwargs": {"ssh_debug_level": spec.verbosity()}})
    assert connect(FakeSpec(verbosity=1))["kwargs"]["ssh_debug_level"] == 1
    assert connect(FakeSpec(verbosity=1, mitogen_ssh_debug_level="3"))["kwargs"]["ssh_debug_level"] == 3


# ------------------------------------------------------------------ ssh-host-key-checking-option

@pytest.mark.parametrize("args, expected", [
    (["-o", "StrictHostKeyChecking=no"], "no"),
    (["-oStrictHostKeyChecking=accept-new"], "accept-new"),
    (["-o", "StrictHostKeyChecking yes", "-o", "StrictHostKeyChecking=no"], "yes"),
    (["-o", "UserKnownHostsFile=/x"], None),
    ([], None),
])
def test_users_strict_host_key_checking_is_found(args, expected):
    assert _connect.strict_host_key_checking(args) == expected


@pytest.mark.parametrize("mode, args, expected", [
    ("enforce", ["-o", "StrictHostKeyChecking=no"], "ignore"),
    ("enforce", ["-o", "StrictHostKeyChecking=accept-new"], "accept"),
    ("enforce", [], "enforce"),
    ("ignore", ["-o", "StrictHostKeyChecking=yes"], "ignore"),  # host_key_checking=false still wins
])
def test_users_strict_host_key_checking_decides_like_stock(mode, args, expected):
    connect = _connect.SSH_HOST_KEY_CHECKING.make(engine_method(check_host_keys=mode, ssh_args=args))
    assert connect(FakeSpec())["kwargs"]["check_host_keys"] == expected


# ------------------------------------------------------------------ ssh-keepalive-within-timeout

@pytest.mark.parametrize("timeout", [1, 3, 8, 10, 30, 120])
def test_keepalives_notice_a_silent_network_within_the_timeout(timeout):
    interval, count = _connect.keepalive_for(timeout)
    assert interval >= 1 and count >= 1
    # ssh gives up after `count` unanswered probes, one every `interval` seconds.
    assert interval * (count + 1) <= max(timeout, 4)


def test_keepalives_are_set_unless_the_user_set_them():
    connect = _connect.SSH_KEEPALIVE.make(engine_method(connect_timeout=10, keepalive_interval=30))
    assert connect(FakeSpec())["kwargs"]["keepalive_interval"] == 2
    assert connect(FakeSpec(mitogen_ssh_keepalive_interval=30))["kwargs"]["keepalive_interval"] == 30


# ------------------------------------------------------------------ docker-path

def test_docker_path_is_passed_only_when_set():
    connect = _connect.DOCKER_PATH.make(engine_method())
    assert "docker_path" not in connect(FakeSpec())["kwargs"]
    assert connect(FakeSpec(mitogen_docker_path="/opt/docker"))["kwargs"]["docker_path"] == "/opt/docker"


# ------------------------------------------------------------------ sudo flags the engine applies itself

@pytest.mark.parametrize("flags", [["-H", "-S", "-n"], ["-E"], ["-i"], ["-u", "root"], ["--set-home"], []])
def test_sudo_flags_the_engine_applies_pass(flags):
    _connect.check_sudo_flags(flags, "root", "web1")


@pytest.mark.parametrize("flags, needle", [
    (["-K"], "no such option: -K"),
    (["-s"], "no such option: -s"),
    (["-H", "extra"], "unsupported sudo arguments"),
])
def test_unsupported_sudo_flags_fail_with_one_line(flags, needle):
    with pytest.raises(AnsibleError) as info:
        _connect.check_sudo_flags(flags, "root", "web1")
    msg = str(info.value)
    assert needle in msg and "'web1'" in msg and "become_flags" in msg and "\n" not in msg


def test_conflicting_sudo_user_fails():
    with pytest.raises(AnsibleError, match="say -u app but become_user is root"):
        _connect.check_sudo_flags(["-u", "app"], "root", "web1")


# ------------------------------------------------------------------ doas-flags-and-prompt

class DoasPlugin:
    def __init__(self, prompts):
        self.prompts = prompts

    def get_option(self, name):
        return {"prompt_l10n": self.prompts}[name]


def test_doas_refuses_flags_and_takes_the_first_localised_prompt():
    connect = _connect.DOAS.make(engine_method(password_prompt="Password:"))
    with pytest.raises(AnsibleError, match="doas runs without options"):
        connect(FakeSpec(become_flags="-s", inventory_name="bsd1"))
    plugin = DoasPlugin(["Passwort:", "Password:"])
    assert connect(FakeSpec(become=plugin))["kwargs"]["password_prompt"] == "Passwort:"
    assert connect(FakeSpec(become=DoasPlugin([])))["kwargs"]["password_prompt"] == "Password:"


def test_become_option_of_a_hop_comes_from_its_host_vars(monkeypatch):
    class ViaSpec:
        _host_vars = {"ansible_su_prompt_l10n": ["Passwort"]}

    monkeypatch.setattr(_connect._engine.transport_config, "MitogenViaSpec", ViaSpec)
    assert _connect.become_option(ViaSpec(), "prompt_l10n", "ansible_su_prompt_l10n") == ["Passwort"]


# ------------------------------------------------------------------ su-prompt-marked, su-prompt-in-target-language

def test_su_flags_are_refused_before_connecting():
    connect = _connect.SU_FLAGS.make(engine_method())
    with pytest.raises(AnsibleError, match="become_flags '-l' of host 'web1': under Mitogen su runs without options"):
        connect(FakeSpec(become_flags="-l", inventory_name="web1"))
    assert connect(FakeSpec(become_flags=" "))["kwargs"] == {}


def test_su_steps_carry_the_users_prompts():
    connect = _connect.SU_MARKED.make(engine_method())
    assert connect(FakeSpec(become=DoasPlugin(["Passwort"])))["kwargs"][_connect.SU_PROMPTS_KEY] == ["Passwort"]
    assert connect(FakeSpec())["kwargs"][_connect.SU_PROMPTS_KEY] == []


def test_su_prompts_are_asked_of_the_context_su_starts_from(monkeypatch):
    monkeypatch.setattr(_connect, "pam_messages", lambda context: ("Passwort: ", "Authentifizierungsfehler"))
    seen = []
    connect = _connect.SU_PROMPTS.make(lambda self, key, spec, via=None: seen.append(spec["kwargs"]))
    connect(None, "k", {"method": "su", "kwargs": {_connect.SU_PROMPTS_KEY: [], "username": "root"}}, via="ctx")
    assert seen[-1]["password_prompt"] == "Passwort" and seen[-1]["username"] == "root"
    assert "Authentifizierungsfehler" in seen[-1]["incorrect_prompts"]
    assert _connect.SU_PROMPTS_KEY not in seen[-1]
    connect(None, "k", {"method": "su", "kwargs": {_connect.SU_PROMPTS_KEY: ["Mot de passe"]}})
    assert seen[-1] == {"password_prompt": "Mot de passe"}
    connect(None, "k", {"method": "ssh", "kwargs": {"hostname": "web1"}})
    assert seen[-1] == {"hostname": "web1"}


def test_english_pam_leaves_the_engines_prompts(monkeypatch):
    monkeypatch.setattr(_connect, "pam_messages", lambda context: ("Password: ", "Authentication failure"))
    assert _connect.su_prompt_options("ctx", []) == {}
    monkeypatch.setattr(_connect, "pam_messages", lambda context: None)
    assert _connect.su_prompt_options("ctx", []) == {}
