/**
 * The layering codectx keeps (checked by `npm test`): the core pipeline (files → chunk → embed → store →
 * index → search) imports no front-end and no service code, and no two folders import each other, directly
 * or round a loop. Front-ends (cli, mcp, hook, daemon) reach the core through src/app and src/runtime.
 */
const CORE = '^src/(files|chunk|embed|store|index|search)/';
const ABOVE_CORE = '^src/(app|runtime|context|route|llm|redact|cli|mcp|hook|daemon|setup)/';

module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-front-end',
      comment: 'The core pipeline must not depend on services, routing, LLM calls or front-ends.',
      severity: 'error',
      from: { path: CORE },
      to: { path: ABOVE_CORE },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders depend one way: a cycle between folders means a layer is in the wrong place.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
  },
};
