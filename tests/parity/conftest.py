# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parity tests run against the lab, as the integration tests do (the same fixture)."""

from __future__ import annotations

from nsmtest.fixtures import lab  # noqa: F401  # pylint: disable=unused-import
