#!/usr/bin/env -S node --max-semi-space-size=2
// V8's young generation is capped at 2 MB per semi-space (default: up to 16): the agent's passes
// allocate short-lived garbage, and the default lets it hold ~30-50 MB more resident memory.
import '../dist/cli/main.js';
