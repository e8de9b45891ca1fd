import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../src/mcp/textDiff.js';
import { runCli } from './helpers/cli.js';

const OTHER_SETTINGS = {
  permissions: { allow: ['Bash(npm test)'] },
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './scripts/check-bash.sh' }] }],
    UserPromptSubmit: [{ hooks: [{ type: 'command', command: './scripts/add-branch.sh' }] }],
  },
};

interface Settings {
  permissions: unknown;
  hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ type: string; command: string; timeout?: number }> }>>;
}

describe('codectx init --claude', () => {
  let project: string;
  let home: string;
  const read = async (path: string) => readFile(join(project, path), 'utf8');

  beforeEach(async () => {
    const base = await mkdtemp(join(tmpdir(), 'codectx-init-'));
    project = join(base, 'project');
    home = join(base, 'home');
    await mkdir(join(project, '.claude'), { recursive: true });
    await writeFile(join(project, '.claude', 'settings.json'), `${JSON.stringify(OTHER_SETTINGS, null, 2)}\n`);
  });

  it('keeps the existing hooks and settings, adds the MCP server, the hook and the config, and shows the diff', async () => {
    const result = await runCli(['init', project, '--claude', '--yes'], { home });
    expect(result.code, result.stderr).toBe(0);

    const settings = JSON.parse(await read('.claude/settings.json')) as Settings;
    expect(settings.permissions).toEqual(OTHER_SETTINGS.permissions);
    expect(settings.hooks.PreToolUse).toEqual(OTHER_SETTINGS.hooks.PreToolUse);
    expect(settings.hooks.UserPromptSubmit).toHaveLength(2);
    expect(settings.hooks.UserPromptSubmit![0]).toEqual(OTHER_SETTINGS.hooks.UserPromptSubmit[0]);
    expect(settings.hooks.UserPromptSubmit![1]!.hooks[0]).toMatchObject({
      type: 'command',
      command: 'npx codectx hook user-prompt-submit',
    });

    const mcp = JSON.parse(await read('.mcp.json')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    expect(mcp.mcpServers.codectx).toMatchObject({ command: 'npx', args: ['codectx', 'mcp'] });
    const config = JSON.parse(await read('codectx.config.json')) as { store: string; hook: { budget: number } };
    expect(config).toMatchObject({ store: 'lancedb', embedding: { provider: 'local' }, hook: { budget: 1500 } });

    // The diff: new files from /dev/null, and only added lines in the existing settings file.
    expect(result.stdout).toContain('--- /dev/null\n+++ b/.mcp.json');
    expect(result.stdout).toContain('--- /dev/null\n+++ b/codectx.config.json');
    expect(result.stdout).toContain('--- a/.claude/settings.json\n+++ b/.claude/settings.json\n@@ ');
    expect(result.stdout).toContain('+            "command": "npx codectx hook user-prompt-submit",');
    const settingsDiff = result.stdout.slice(result.stdout.indexOf('+++ b/.claude/settings.json'));
    expect(settingsDiff.split('\n').filter((line) => line.startsWith('-'))).toEqual([]);
    expect(result.stdout).toContain('wrote codectx.config.json, .mcp.json, .claude/settings.json');
  });

  it('changes nothing on a second run and says so', async () => {
    expect((await runCli(['init', project, '--claude', '--yes'], { home })).code).toBe(0);
    const files = ['.claude/settings.json', '.mcp.json', 'codectx.config.json'];
    const before = await Promise.all(files.map(read));

    const again = await runCli(['init', project, '--claude', '--yes'], { home });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to change');
    expect(again.stdout).not.toContain('+++');
    expect(await Promise.all(files.map(read))).toEqual(before);
  });

  it('leaves an existing project config and MCP entry as the user made them', async () => {
    const ownConfig = '{ "store": "milvus", "milvus": { "address": "db:19530" } }\n';
    await writeFile(join(project, 'codectx.config.json'), ownConfig);
    const ownMcp = { mcpServers: { codectx: { command: 'node', args: ['/opt/codectx/bin/codectx.js', 'mcp'] } } };
    await writeFile(join(project, '.mcp.json'), JSON.stringify(ownMcp));

    const result = await runCli(['init', project, '--claude', '--yes'], { home });
    expect(result.code, result.stderr).toBe(0);
    expect(await read('codectx.config.json')).toBe(ownConfig);
    expect(JSON.parse(await read('.mcp.json'))).toEqual(ownMcp);
    expect(result.stdout).toContain('unchanged: .mcp.json already has the codectx MCP server');
  });

  it('without --yes and without a terminal, shows the diff but writes nothing', async () => {
    const before = await read('.claude/settings.json');
    const result = await runCli(['init', project, '--claude'], { home, input: '' });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('+++ b/.mcp.json');
    expect(result.stderr).toContain('--yes');
    expect(await read('.claude/settings.json')).toBe(before);
    await expect(read('.mcp.json')).rejects.toThrow();
  });

  it('refuses to rewrite a settings file that is not valid JSON', async () => {
    await writeFile(join(project, '.claude', 'settings.json'), '{ "hooks": ');
    const result = await runCli(['init', project, '--claude', '--yes'], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('.claude/settings.json is not valid JSON');
    expect(await read('.claude/settings.json')).toBe('{ "hooks": ');
  });

  it('without --claude writes only the project config', async () => {
    const result = await runCli(['init', project, '--yes'], { home });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('wrote codectx.config.json\n');
    await expect(read('.mcp.json')).rejects.toThrow();
  });
});

describe('unifiedDiff', () => {
  it('shows removed and added lines in hunks with their line numbers and three lines of context', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n');
    const after = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h', 'i', 'j', 'k'].join('\n');
    expect(unifiedDiff('x.txt', `${before}\n`, `${after}\n`)).toBe(
      ['--- a/x.txt', '+++ b/x.txt', '@@ -2,9 +2,10 @@', ' b', ' c', ' d', '-e', '+E', ' f', ' g', ' h', ' i', ' j', '+k'].join('\n'),
    );
  });

  it('splits distant changes into separate hunks', () => {
    const lines = Array.from({ length: 30 }, (_, index) => `line ${index + 1}`);
    const changed = lines.map((line, index) => (index === 1 || index === 25 ? `${line}!` : line));
    const diff = unifiedDiff('x.txt', lines.join('\n'), changed.join('\n'));
    expect(diff.split('\n').filter((line) => line.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@', '@@ -23,7 +23,7 @@']);
  });

  it('diffs a new file against /dev/null', () => {
    expect(unifiedDiff('new.json', undefined, '{\n}\n')).toBe(['--- /dev/null', '+++ b/new.json', '@@ -0,0 +1,2 @@', '+{', '+}'].join('\n'));
  });
});
