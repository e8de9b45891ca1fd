import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { format } from 'node:util';
import { packageVersion } from '../version.js';
import { McpBackend } from './backend.js';
import { screenJsonRpc } from './jsonRpcScreen.js';
import { ClientScope } from './roots.js';
import { registerCodectxTools } from './tools.js';

/** The requests this server answers (the SDK answers others with -32601): their params are checked on arrival. */
const SERVED_METHODS = ['initialize', 'ping', 'tools/list', 'tools/call'];

/**
 * Serves codectx over MCP on stdin/stdout until the client goes away (stdin ends) or the process is told to
 * stop. Stdout belongs to the protocol: anything else written there would corrupt the client's stream.
 */
export async function runMcpServer(): Promise<void> {
  keepConsoleOffStdout();
  const server = new McpServer({ name: 'codectx', version: packageVersion() }, { capabilities: { tools: {} } });
  const backend = new McpBackend(new ClientScope(server.server, process.cwd()));
  registerCodectxTools(server, backend);

  const stopped = new Promise<string>((resolve) => {
    process.stdin.once('end', () => resolve('the client closed stdin'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    server.server.onclose = () => resolve('the transport closed');
  });
  await server.connect(new StdioServerTransport(screenJsonRpc(process.stdin, process.stdout, SERVED_METHODS), process.stdout));
  process.stderr.write(`codectx mcp: serving on stdio (pid ${process.pid})\n`);

  const why = await stopped;
  process.stderr.write(`codectx mcp: stopping (${why})\n`);
  await server.close().catch(() => undefined);
  await backend.close();
}

/** Libraries that log with console.log must not write into the protocol stream. */
function keepConsoleOffStdout(): void {
  const toStderr = (...args: unknown[]) => {
    process.stderr.write(`${format(...args)}\n`);
  };
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
