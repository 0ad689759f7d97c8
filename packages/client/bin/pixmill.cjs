#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (a dependency), so the package works as published without a build step.
require('tsx/cjs/api').register();
require('../src/cli/main.ts');
