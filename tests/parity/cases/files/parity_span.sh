#!/bin/sh
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Test script: says when it starts, sleeps $1 seconds, says when it ends (for the parity_span module).
date '+%F %T.%N'
sleep "$1"
date '+%F %T.%N'
