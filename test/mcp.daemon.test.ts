import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCodebase } from '../src/index/codebase.js';
import { throughDaemon } from '../src/app/dispatch.js';
import { loadConfig } from '../src/config/config.js';
import { configKey } from '../src/config/configKey.js';
import { fixtureWorkspace, PROJECT_ROOT, runCli } from './helpers/cli.js';
import { connectMcp } from './helpers/mcpClient.js';

interface DaemonStatusJson {
  running: boolean;
  codebases?: Array<{ root: string; files: number; chunks: number }>;
}

describe('codectx mcp and hook with a running daemon (real model, LanceDB)', () => {
  let repo: string;
  let home: string;
  let client: Client;

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  };
  const waitForIndexing = async (): Promise<string> => {
    for (;;) {
      const text = await call('get_indexing_status', { path: repo });
      if (!text.startsWith('Indexing') || / is complete| failed/.test(text)) return text;
      await sleep(250);
    }
  };
  const daemonCodebases = async () => {
    const result = await runCli(['daemon', 'status', '--json'], { home });
    const status = JSON.parse(result.stdout) as DaemonStatusJson;
    expect(status.running).toBe(true);
    return status.codebases ?? [];
  };
  /** In this test process, as the hook and the MCP server see it. */
  const withHome = async <T>(work: () => Promise<T>): Promise<T> => {
    const previous = process.env.CODECTX_HOME;
    process.env.CODECTX_HOME = home;
    try {
      return await work();
    } finally {
      if (previous === undefined) delete process.env.CODECTX_HOME;
      else process.env.CODECTX_HOME = previous;
    }
  };

  beforeAll(async () => {
    ({ repo, home } = await fixtureWorkspace());
    const started = await runCli(['daemon', 'start'], { home });
    expect(started.code, started.stderr).toBe(0);
    client = await connectMcp(repo, home);
  });

  afterAll(async () => {
    await client?.close();
    if (home) await runCli(['daemon', 'stop'], { home });
  });

  it('indexes through the daemon, which then keeps watching the codebase', async () => {
    expect(await call('index_codebase', { path: repo })).toMatch(/^Started indexing/);
    expect(await waitForIndexing()).toMatch(/is complete: 5 files, \d+ chunks/);
    const watched = await daemonCodebases();
    expect(watched.map((codebase) => codebase.root)).toEqual([(await resolveCodebase(repo)).root]);
    expect(watched[0]!.files).toBe(5);
    expect(await call('get_indexing_status', { path: repo })).toContain('The codectx daemon watches it');
  });

  it('searches through the daemon, and falls back when the daemon resolved another configuration', async () => {
    const codebase = await resolveCodebase(repo);
    // What the service asks the daemon; undefined means "do it yourself".
    const searchViaDaemon = (query: string) =>
      throughDaemon((daemon) => daemon.search(codebase.root, query, { limit: 3, configKey: configKey(loadConfig(codebase.root)) }));
    const results = await withHome(() => searchViaDaemon('check a login password against the stored hash'));
    // A result joining neighbouring definitions names each of them.
    expect(results?.[0]?.symbol.split(', ')).toContain('verifyPassword');

    process.env.CODECTX_MAX_FILE_BYTES = '12345';
    try {
      expect(await withHome(() => searchViaDaemon('password'))).toBeUndefined();
    } finally {
      delete process.env.CODECTX_MAX_FILE_BYTES;
    }
    expect(await call('search_code', { path: repo, query: 'draw a bar chart on a canvas', limit: 1 })).toMatch(
      /^1\. src\/ui\/chart\.js:\d+-\d+ (\w+, )*renderChart[, ]/m,
    );
  });

  it('gives the hook its context through the daemon', async () => {
    const input = (await readFile(join(PROJECT_ROOT, 'test', 'fixtures', 'hooks', 'prompt-password.json'), 'utf8')).replace(
      '"__REPO__"',
      JSON.stringify(repo),
    );
    const result = await runCli(['hook', 'user-prompt-submit'], { home, input });
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { hookSpecificOutput: { additionalContext: string } };
    expect(output.hookSpecificOutput.additionalContext).toContain('verifyPassword');
  });

  it('clears: the daemon stops watching, and indexing again works', async () => {
    expect(await call('clear_index', { path: repo })).toMatch(/^Cleared the index/);
    expect(await daemonCodebases()).toEqual([]);
    expect(await call('get_indexing_status', { path: repo })).toContain('is not indexed');

    expect(await call('index_codebase', { path: repo })).toMatch(/^Started indexing/);
    expect(await waitForIndexing()).toMatch(/is complete: 5 files/);
    expect(await call('search_code', { path: repo, query: 'totals per customer from invoices', limit: 1 })).toContain(
      'scripts/report.py:',
    );
  });
});
