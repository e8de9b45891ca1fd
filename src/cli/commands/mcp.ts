import type { Command } from 'commander';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('run the MCP server on stdio (index_codebase, search_code, get_task_context, route_task, ...)')
    .action(async () => {
      // The MCP SDK and zod load only for this command, keeping every other command's start quick.
      const { runMcpServer } = await import('../../mcp/server.js');
      await runMcpServer();
    });
}
