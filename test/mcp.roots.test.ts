import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemFolderRefusal } from '../src/mcp/roots.js';
import { fixtureWorkspace, runCli } from './helpers/cli.js';
import { connectMcp } from './helpers/mcpClient.js';

async function toolCall(client: Client, name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { text: result.content.map((part) => (part.type === 'text' ? part.text : '')).join(''), isError: result.isError === true };
}

const indexCall = (client: Client, path: string) => toolCall(client, 'index_codebase', { path });

// index_codebase({path: "/"}) started indexing the whole filesystem, and /etc became searchable.
describe('MCP indexes only where the client may work', () => {
  const clients: Client[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });

  it('refuses /, the home folder and system folders, whatever the roots', () => {
    expect(systemFolderRefusal('/')).toMatch(/filesystem root, not a codebase/);
    expect(systemFolderRefusal('/usr')).toMatch(/holds codebases but is not one/);
    expect(systemFolderRefusal(homedir())).toMatch(/home folder/);
    expect(systemFolderRefusal('/etc')).toMatch(/system folder/);
    expect(systemFolderRefusal('/usr/lib/node_modules')).toMatch(/system folder/);
    expect(systemFolderRefusal('/usr/share/doc')).toMatch(/system folder/);
    expect(systemFolderRefusal('/var/log')).toMatch(/system folder/);
    expect(systemFolderRefusal('/usr/local/src/app')).toBeUndefined();
    expect(systemFolderRefusal('/home/ana/projects/shop')).toBeUndefined();
  });

  it('without client roots: only inside the working folder', async () => {
    const { repo, home } = await fixtureWorkspace();
    const outside = join(repo, '..', 'elsewhere');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'a.py'), 'def a():\n    return 1\n');
    const client = await connectMcp(repo, home);
    clients.push(client);

    for (const path of ['/', '/etc', homedir()]) {
      const refused = await indexCall(client, path);
      expect(refused.isError, path).toBe(true);
      expect(refused.text).toMatch(/not a codebase|system folder/);
    }
    const elsewhere = await indexCall(client, outside);
    expect(elsewhere.isError).toBe(true);
    expect(elsewhere.text).toMatch(/outside the server's working folder .*; codectx works only inside it/);
    const inside = await indexCall(client, join(repo, 'src'));
    expect(inside.isError, inside.text).toBe(false);
  });

  // Only index_codebase was checked: a client searched other projects' code and deleted their indexes.
  it('every tool that names a codebase stays inside: search, task context, status and clear too', async () => {
    const { repo, home } = await fixtureWorkspace();
    const other = join(repo, '..', 'other');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'b.py'), 'def rotate_staging_passwords(cluster):\n    return cluster\n');
    const indexed = await runCli(['index', other, '-q'], { home });
    expect(indexed.code, indexed.stderr).toBe(0);

    for (const roots of [undefined, () => [repo]]) {
      const client = await connectMcp(repo, home, { roots });
      clients.push(client);
      for (const [name, args] of [
        ['search_code', { path: other, query: 'rotate staging passwords' }],
        ['get_task_context', { path: other, task: 'rotate the staging passwords' }],
        ['get_indexing_status', { path: other }],
        ['clear_index', { path: other }],
        ['index_codebase', { path: other, force: true }],
      ] as const) {
        const refused = await toolCall(client, name, args);
        expect(refused.isError, `${name} ${refused.text}`).toBe(true);
        expect(refused.text).toMatch(roots ? /outside this client's roots/ : /outside the server's working folder/);
      }
    }
    const search = await runCli(['search', 'rotate staging passwords', '-p', other, '--files'], { home });
    expect(search.stdout, search.stderr).toContain('b.py');
  });

  // clear_index resolved the folder before anything else: the index of a folder deleted since stayed for good.
  it('clear_index drops the index of a folder inside the client\'s folder that was deleted since', async () => {
    const { repo, home } = await fixtureWorkspace();
    const gone = join(repo, 'scratch');
    await mkdir(gone);
    await writeFile(join(gone, 'c.py'), 'def rotate_staging_passwords(cluster):\n    return cluster\n');
    const indexed = await runCli(['index', gone, '-q'], { home });
    expect(indexed.code, indexed.stderr).toBe(0);
    await rm(gone, { recursive: true });

    const client = await connectMcp(repo, home);
    clients.push(client);
    const cleared = await toolCall(client, 'clear_index', { path: gone });
    expect(cleared.isError, cleared.text).toBe(false);
    expect(cleared.text).toMatch(/^Cleared the index of .*scratch \(1 chunks?\)/);
    expect((await runCli(['list', '--indexes'], { home })).stdout).not.toContain('scratch');
  });

  it('a client in a subfolder of a codebase indexed at its top reads only that subfolder', async () => {
    const { repo, home } = await fixtureWorkspace();
    const indexed = await runCli(['index', repo, '-q'], { home });
    expect(indexed.code, indexed.stderr).toBe(0);
    const src = join(repo, 'src');

    for (const roots of [undefined, () => [src]]) {
      const client = await connectMcp(src, home, { roots });
      clients.push(client);
      const search = await toolCall(client, 'search_code', { path: src, query: 'totals per customer from invoices', limit: 20 });
      expect(search.isError, search.text).toBe(false);
      expect(search.text).toContain(`in ${repo} (only src/: this client works in ${src})`);
      expect(search.text).toContain('src/');
      expect(search.text).not.toContain('scripts/report.py');
      const context = await toolCall(client, 'get_task_context', { path: src, task: 'total the invoices per customer', budget: 3000 });
      expect(context.isError, context.text).toBe(false);
      expect(context.text).not.toContain('scripts/report.py');
      expect((await toolCall(client, 'search_code', { path: repo, query: 'totals' })).isError).toBe(true);
    }
  });

  // search_code with a subfolder's path answered from the whole codebase, where `search -p src` keeps to src.
  it('a search of a subfolder of an indexed codebase keeps to that folder, as the CLI does', async () => {
    const { repo, home } = await fixtureWorkspace();
    const indexed = await runCli(['index', repo, '-q'], { home });
    expect(indexed.code, indexed.stderr).toBe(0);
    const client = await connectMcp(repo, home);
    clients.push(client);
    const query = 'totals per customer from invoices';
    const whole = await toolCall(client, 'search_code', { path: repo, query, limit: 20 });
    expect(whole.text).toContain('scripts/report.py');
    const sub = await toolCall(client, 'search_code', { path: join(repo, 'src'), query, limit: 20 });
    expect(sub.isError, sub.text).toBe(false);
    expect(sub.text).toContain(`in ${repo} (only src/)`);
    expect(sub.text).toContain('src/');
    expect(sub.text).not.toContain('scripts/report.py');
  });

  it("with client roots: only inside them, following the client's changes", async () => {
    const { repo, home } = await fixtureWorkspace();
    const other = join(repo, '..', 'other');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'b.py'), 'def b():\n    return 2\n');
    let roots = [other];
    // Started inside `repo`: with roots, the working folder no longer counts.
    const client = await connectMcp(repo, home, { roots: () => roots });
    clients.push(client);

    const outsideRoots = await indexCall(client, repo);
    expect(outsideRoots.isError).toBe(true);
    expect(outsideRoots.text).toMatch(/outside this client's roots/);
    expect((await indexCall(client, other)).isError).toBe(false);

    roots = [repo];
    await client.sendRootsListChanged();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const nowInside = await indexCall(client, repo);
    expect(nowInside.isError, nowInside.text).toBe(false);
  });
});
