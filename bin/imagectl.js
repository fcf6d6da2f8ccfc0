#!/bin/sh
":" //; exec node --max-semi-space-size=2 "$0" "$@"
// Line 2 is for sh, which runs node with V8's young generation capped at 2 MB per semi-space
// (default: up to 16): the agent's passes allocate short-lived garbage, and the default lets it
// hold ~30-50 MB more resident memory. Node reads that line as a string and a comment. (`env -S`
// in the shebang would do the same, but BusyBox's env, common on edge devices, lacks -S.)
import '../dist/cli/main.js';
