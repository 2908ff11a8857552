#!/bin/sh
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Test module (old style, run by the interpreter of its #! line): says it ran.
echo '{"changed": false, "msg": "parity_sh ran"}'
