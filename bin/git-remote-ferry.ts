#!/usr/bin/env node
// git's remote helper for ferry:: URLs (issue 13). Until then it says so and fails, as git expects.
process.stderr.write('git-remote-ferry: ferry:: remotes are not implemented yet\n');
process.exitCode = 1;
