# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Imported inside a function only."""

from __future__ import annotations

VALUE = "lazy-ok"
