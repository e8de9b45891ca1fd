import type { Command } from 'commander';
import { runMcpServer } from '../../mcp/server.js';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('run the MCP server on stdio (index_codebase, search_code, get_task_context, route_task, ...)')
    .action(async () => {
      await runMcpServer();
    });
}
