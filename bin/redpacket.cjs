#!/usr/bin/env node
// The `redpacket` command: runs client/cli.ts through tsx.
require('tsx/cjs');
require('../client/cli.ts');
