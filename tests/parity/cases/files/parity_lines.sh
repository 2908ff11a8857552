#!/bin/sh
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Prints on stdout and on stderr (the parity case local_commands.yml).
echo out
echo err >&2
printf 'two\nlines\n'
