// Builds the package it is run in (packages/sdk or packages/cli) into dist/: JavaScript (ES modules),
// source maps and, for the SDK, .d.ts declarations, with the TypeScript compiler of the repository
// root and the package's tsconfig.build.json; the SDK's generated schema.d.ts is copied beside its
// declarations. Runs on `npm install` at the repository root (`prepare`) and before `npm pack`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = process.cwd();
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (existsSync(join(root, 'src/schema.d.ts'))) {
  copyFileSync(join(root, 'src/schema.d.ts'), join(root, 'dist/schema.d.ts'));
}
