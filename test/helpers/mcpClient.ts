import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from './cli.js';

export interface McpClientOptions {
  /** The folders the client offers as its roots (asked again after each roots/list_changed); none: no roots capability. */
  roots?: () => string[];
  /** Receives the server's stderr; without it, stderr is ignored. */
  onStderr?: (text: string) => void;
  /** Transport errors, such as a stdout line that is not a protocol message. */
  onError?: (error: Error) => void;
}

/** A real MCP client connected to a `codectx mcp` process started in `cwd`, with `home` as its CODECTX_HOME. */
export async function connectMcp(cwd: string, home: string, options: McpClientOptions = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(PROJECT_ROOT, 'bin', 'codectx.js'), 'mcp'],
    cwd,
    env: { ...(process.env as Record<string, string>), CODECTX_HOME: home },
    stderr: options.onStderr ? 'pipe' : 'ignore',
  });
  const { roots, onStderr, onError } = options;
  if (onStderr) transport.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString()));
  const client = new Client({ name: 'codectx-test', version: '1.0.0' }, roots ? { capabilities: { roots: { listChanged: true } } } : {});
  if (roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: roots().map((path) => ({ uri: pathToFileURL(path).href })) }));
  if (onError) client.onerror = onError;
  await client.connect(transport);
  return client;
}
