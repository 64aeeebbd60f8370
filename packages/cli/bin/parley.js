#!/usr/bin/env node
// `#main` is dist/main.js (built by `npm run build`, on `npm install` and before `npm pack`); under
// `node --conditions=parley-source` (the repository's tests) it is the TypeScript source instead.
import('#main').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && /[\\/]dist[\\/]/.test(String(err.message))) {
    console.error(
      `parley is not built (${err.message}). Run \`npm run build -w @parley/sdk -w @parley/cli\` ` +
        '(`npm install` at the repository root does it, unless scripts are ignored).',
    );
    process.exit(1);
  }
  throw err;
});
