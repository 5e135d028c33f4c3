#!/usr/bin/env node
// The CLI (`npx traffic-ml …`, `npm run client -- …`): compiles dist/ only when sources changed, then runs it.
const { ensureBuilt } = require('./build');

if (ensureBuilt('src/client.js')) require('../dist/src/client.js').main();
else process.exitCode = 1;
