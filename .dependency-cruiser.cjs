/**
 * Module boundaries, checked by `npm run lint` (docs/architecture.md draws the graph).
 * - A module is used through its front door: another module imports only its `index.ts`.
 * - The platform is below every module and never imports one.
 * - No import cycles (type-only imports excepted: they vanish when Node strips the types).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-deep-module-import',
      comment: 'Import another module only through its index.ts (its public surface).',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/[^/]+/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index[.]ts$'],
      },
    },
    {
      name: 'app-through-index',
      comment: 'The app uses a module through its index.ts; only the module list takes its *.module.ts.',
      severity: 'error',
      from: {
        path: '^src/(modules/[^/]+[.]ts|app[.]ts|server[.]ts|main[.]ts)$',
        pathNot: '^src/modules/index[.]ts$',
      },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index[.]ts$' },
    },
    {
      name: 'module-list-takes-module-objects',
      comment: 'src/modules/index.ts lists Module objects and nothing else of a module.',
      severity: 'error',
      from: { path: '^src/modules/index[.]ts$' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['[.]module[.]ts$', '^src/modules/[^/]+/index[.]ts$'] },
    },
    {
      name: 'platform-not-to-modules',
      comment: 'The platform is what every module uses; it never calls up into one.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(modules|app[.]ts|server[.]ts|main[.]ts)' },
    },
    {
      name: 'no-circular',
      comment: 'Runtime import cycles make load order matter; hand work back through a hook on the context.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-call-engine',
      comment:
        'The call engine is composed, not layered: its parts know the session only through SessionHooks (session-types.ts), so not even a type-only import goes back up.',
      severity: 'error',
      from: { path: '^src/modules/voice/engine/' },
      to: { path: '^src/modules/voice/engine/', circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    exclude: { path: '[.]test[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
