# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Become commands for stock strategies, where ansible-core has no plugin of its own (doas)."""

from __future__ import annotations

import re

from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.become import BecomeBase

# What doas prints when it asks for a password, unless prompt_l10n says otherwise.
DOAS_PROMPTS = (r"doas \(", r"Password:")


class DoasBecome(BecomeBase):
    """The doas command line, as community.general.doas builds it (flags, -n without a password, -u)."""

    name = "doas"
    fail = ("Permission denied",)
    missing = ("Authorization required",)

    @property
    def pipelining(self) -> bool:  # type: ignore[override]
        # doas reads its password from the terminal that pipelining would take away.
        return bool(self.get_option("allow_pipelining"))

    def check_password_prompt(self, b_output: bytes) -> bool:
        prompts = self.get_option("prompt_l10n") or DOAS_PROMPTS
        return re.match(b"|".join(to_bytes(p) for p in prompts), b_output) is not None

    def build_become_command(self, cmd, shell):
        super().build_become_command(cmd, shell)
        if not cmd:
            return cmd
        self.prompt = True
        flags = self.get_option("become_flags") or ""
        if not self.get_option("become_pass") and "-n" not in flags:
            flags += " -n"  # never wait for a password nobody will type
        user = self.get_option("become_user")
        return " ".join(str(part) for part in (
            self.get_option("become_exe") or "doas",
            flags,
            "-u %s" % user if user else "",
            getattr(shell, "executable", shell.SHELL_FAMILY),
            "-c",
            self._build_success_command(cmd, shell, noexe=True),
        ))
