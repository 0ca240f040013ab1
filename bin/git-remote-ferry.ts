#!/usr/bin/env node
// git's remote helper for ferry:: URLs: git runs it as `git-remote-ferry <remote> <url>`.
import { gitRemoteFerry } from '../src/sync/index.js';

process.exitCode = await gitRemoteFerry(process.argv.slice(2));
