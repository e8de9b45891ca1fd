import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { systemFolderRefusal } from '../src/mcp/roots.js';
import { fixtureWorkspace, PROJECT_ROOT } from './helpers/cli.js';

/** A real MCP client on a real `codectx mcp` process, started in `cwd`; with `roots`, it offers them. */
async function connect(cwd: string, home: string, roots?: () => string[]): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(PROJECT_ROOT, 'bin', 'codectx.js'), 'mcp'],
    cwd,
    env: { ...(process.env as Record<string, string>), CODECTX_HOME: home },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'codectx-roots-test', version: '1.0.0' }, roots ? { capabilities: { roots: { listChanged: true } } } : {});
  if (roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: roots().map((path) => ({ uri: pathToFileURL(path).href })) }));
  await client.connect(transport);
  return client;
}

async function indexCall(client: Client, path: string): Promise<{ text: string; isError: boolean }> {
  const result = (await client.callTool({ name: 'index_codebase', arguments: { path } })) as CallToolResult;
  return { text: result.content.map((part) => (part.type === 'text' ? part.text : '')).join(''), isError: result.isError === true };
}

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
    expect(systemFolderRefusal('/home/ana/projects/shop')).toBeUndefined();
  });

  it('without client roots: only inside the working folder, or codebases already indexed', async () => {
    const { repo, home } = await fixtureWorkspace();
    const outside = join(repo, '..', 'elsewhere');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'a.py'), 'def a():\n    return 1\n');
    const client = await connect(repo, home);
    clients.push(client);

    for (const path of ['/', '/etc', homedir()]) {
      const refused = await indexCall(client, path);
      expect(refused.isError, path).toBe(true);
      expect(refused.text).toMatch(/not a codebase|system folder/);
    }
    const elsewhere = await indexCall(client, outside);
    expect(elsewhere.isError).toBe(true);
    expect(elsewhere.text).toMatch(/outside the server's working folder .* and not indexed yet/);
    const inside = await indexCall(client, join(repo, 'src'));
    expect(inside.isError, inside.text).toBe(false);
  });

  it("with client roots: only inside them, following the client's changes", async () => {
    const { repo, home } = await fixtureWorkspace();
    const other = join(repo, '..', 'other');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'b.py'), 'def b():\n    return 2\n');
    let roots = [other];
    // Started inside `repo`: with roots, the working folder no longer counts.
    const client = await connect(repo, home, () => roots);
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
