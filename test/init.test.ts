import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { packageVersion } from '../src/version.js';
import { shellCommand } from '../src/setup/launcher.js';
import { unifiedDiff } from '../src/mcp/textDiff.js';
import { PROJECT_ROOT, runCli } from './helpers/cli.js';

const run = promisify(execFile);
/** This checkout's bin, as init must name it when no installed `codectx` points at it. */
const OWN_BIN = realpathSync(join(PROJECT_ROOT, 'bin', 'codectx.js'));

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
  let base: string;
  let project: string;
  let home: string;
  /** No `codectx` installed: PATH is an empty folder (the CLI itself runs as `node bin/codectx.js`). */
  let bareEnv: NodeJS.ProcessEnv;
  const read = async (path: string) => readFile(join(project, path), 'utf8');
  const nodeLauncher = `${process.execPath} ${OWN_BIN}`;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'codectx-init-'));
    project = join(base, 'project');
    home = join(base, 'home');
    await mkdir(join(base, 'empty-path'));
    bareEnv = { PATH: join(base, 'empty-path') };
    await mkdir(join(project, '.claude'), { recursive: true });
    await writeFile(join(project, '.claude', 'settings.json'), `${JSON.stringify(OTHER_SETTINGS, null, 2)}\n`);
  });

  it('keeps the existing hooks and settings, adds the MCP server, the hook and the config, and shows the diff', async () => {
    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(result.code, result.stderr).toBe(0);

    const settings = JSON.parse(await read('.claude/settings.json')) as Settings;
    expect(settings.permissions).toEqual(OTHER_SETTINGS.permissions);
    expect(settings.hooks.PreToolUse).toEqual(OTHER_SETTINGS.hooks.PreToolUse);
    expect(settings.hooks.UserPromptSubmit).toHaveLength(2);
    expect(settings.hooks.UserPromptSubmit![0]).toEqual(OTHER_SETTINGS.hooks.UserPromptSubmit[0]);
    expect(settings.hooks.UserPromptSubmit![1]!.hooks[0]).toMatchObject({
      type: 'command',
      command: `${nodeLauncher} hook user-prompt-submit`,
    });

    const mcp = JSON.parse(await read('.mcp.json')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    expect(mcp.mcpServers.codectx).toMatchObject({ command: process.execPath, args: [OWN_BIN, 'mcp'] });
    const config = JSON.parse(await read('codectx.config.json')) as { store: string; hook: { budget: number } };
    expect(config).toMatchObject({ store: 'lancedb', embedding: { provider: 'local' }, hook: { budget: 1500 } });

    // The diff: new files from /dev/null, and only added lines in the existing settings file.
    expect(result.stdout).toContain('--- /dev/null\n+++ b/.mcp.json');
    expect(result.stdout).toContain('--- /dev/null\n+++ b/codectx.config.json');
    expect(result.stdout).toContain('--- a/.claude/settings.json\n+++ b/.claude/settings.json\n@@ ');
    expect(result.stdout).toContain(`+            "command": "${nodeLauncher} hook user-prompt-submit",`);
    const settingsDiff = result.stdout.slice(result.stdout.indexOf('+++ b/.claude/settings.json'));
    expect(settingsDiff.split('\n').filter((line) => line.startsWith('-'))).toEqual([]);
    expect(result.stdout).toContain('wrote codectx.config.json, .mcp.json, .claude/settings.json');
  });

  // The CLI runs with an owner-only umask for its own files; what init writes into the project is the project's.
  it('writes new project files 0644 in 0755 folders, and an edited file keeps its mode', async () => {
    const fresh = join(base, 'fresh-project');
    await mkdir(fresh);
    await writeFile(join(fresh, '.mcp.json'), '{"mcpServers":{}}\n', { mode: 0o640 });
    await chmod(join(fresh, '.mcp.json'), 0o640);
    const result = await runCli(['init', fresh, '--claude', '--yes'], { home, env: bareEnv });
    expect(result.code, result.stderr).toBe(0);
    const mode = async (path: string) => (await stat(join(fresh, path))).mode & 0o777;
    expect(await mode('.claude')).toBe(0o755);
    expect(await mode('.claude/settings.json')).toBe(0o644);
    expect(await mode('codectx.config.json')).toBe(0o644);
    expect(await mode('.mcp.json')).toBe(0o640);
  });

  it('changes nothing on a second run and says so', async () => {
    expect((await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv })).code).toBe(0);
    const files = ['.claude/settings.json', '.mcp.json', 'codectx.config.json'];
    const before = await Promise.all(files.map(read));

    const again = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
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

    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(result.code, result.stderr).toBe(0);
    expect(await read('codectx.config.json')).toBe(ownConfig);
    expect(JSON.parse(await read('.mcp.json'))).toEqual(ownMcp);
    expect(result.stdout).toContain('unchanged: .mcp.json already has the codectx MCP server');
  });

  it('without --yes and without a terminal, shows the diff but writes nothing', async () => {
    const before = await read('.claude/settings.json');
    const result = await runCli(['init', project, '--claude'], { home, input: '', env: bareEnv });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('+++ b/.mcp.json');
    expect(result.stderr).toContain('--yes');
    expect(await read('.claude/settings.json')).toBe(before);
    await expect(read('.mcp.json')).rejects.toThrow();
  });

  it('refuses to rewrite a settings file that is not valid JSON', async () => {
    await writeFile(join(project, '.claude', 'settings.json'), '{ "hooks": ');
    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('.claude/settings.json is not valid JSON');
    expect(await read('.claude/settings.json')).toBe('{ "hooks": ');
  });

  it('writes commands that run from any folder, not `npx codectx` (which asks the npm registry outside this checkout)', async () => {
    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(result.code, result.stderr).toBe(0);
    const mcp = JSON.parse(await read('.mcp.json')) as { mcpServers: { codectx: { command: string; args: string[] } } };
    const { command, args } = mcp.mcpServers.codectx;
    // Started as Claude Code would: from the project folder, with nothing on PATH.
    const version = await run(command, [...args.slice(0, -1), '--version'], { cwd: project, env: bareEnv });
    expect(version.stdout.trim()).toBe(packageVersion());
    const settings = JSON.parse(await read('.claude/settings.json')) as Settings;
    const hook = settings.hooks.UserPromptSubmit!.at(-1)!.hooks[0]!.command;
    const hookVersion = await run('/bin/sh', ['-c', hook.replace(/ hook user-prompt-submit$/, ' --version')], { cwd: project, env: bareEnv });
    expect(hookVersion.stdout.trim()).toBe(packageVersion());
  });

  it('names the installed codectx by its absolute path when it is this package (npm install -g, npm link)', async () => {
    // As npm links a global bin: <prefix>/bin/codectx → …/bin/codectx.js; the folder name has a space to quote.
    const globalBin = join(base, 'global prefix', 'bin');
    await mkdir(globalBin, { recursive: true });
    await symlink(join(PROJECT_ROOT, 'bin', 'codectx.js'), join(globalBin, 'codectx'));
    const env = { PATH: `${globalBin}:${dirname(process.execPath)}` };
    const result = await runCli(['init', project, '--claude', '--yes'], { home, env });
    expect(result.code, result.stderr).toBe(0);
    const installed = join(globalBin, 'codectx');
    const mcp = JSON.parse(await read('.mcp.json')) as { mcpServers: { codectx: { command: string; args: string[] } } };
    expect(mcp.mcpServers.codectx).toMatchObject({ command: installed, args: ['mcp'] });
    const settings = JSON.parse(await read('.claude/settings.json')) as Settings;
    const hook = settings.hooks.UserPromptSubmit!.at(-1)!.hooks[0]!.command;
    expect(hook).toBe(`'${installed}' hook user-prompt-submit`);
    const hookVersion = await run('/bin/sh', ['-c', hook.replace(/ hook user-prompt-submit$/, ' --version')], { cwd: project, env });
    expect(hookVersion.stdout.trim()).toBe(packageVersion());
    // The quoted command is still recognised as codectx's hook: a second run adds nothing.
    expect((await runCli(['init', project, '--claude', '--yes'], { home, env })).stdout).toContain('nothing to change');
  });

  it('passes over a `codectx` on PATH that is another program', async () => {
    const otherBin = join(base, 'other');
    await mkdir(otherBin);
    await writeFile(join(otherBin, 'codectx'), '#!/bin/sh\necho not this one\n', { mode: 0o755 });
    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: { PATH: otherBin } });
    expect(result.code, result.stderr).toBe(0);
    const mcp = JSON.parse(await read('.mcp.json')) as { mcpServers: { codectx: { command: string; args: string[] } } };
    expect(mcp.mcpServers.codectx).toMatchObject({ command: process.execPath, args: [OWN_BIN, 'mcp'] });
  });

  it('says in one line when the command it found does not run, and writes nothing', async () => {
    // The installed codectx starts with `#!/usr/bin/env node`, and node is not on this PATH.
    const globalBin = join(base, 'bin');
    await mkdir(globalBin);
    await symlink(join(PROJECT_ROOT, 'bin', 'codectx.js'), join(globalBin, 'codectx'));
    const before = await read('.claude/settings.json');
    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: { PATH: globalBin } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^codectx: \`${join(globalBin, 'codectx')} --version\` does not run \(.*node.*\); nothing was written\n$`));
    expect(await read('.claude/settings.json')).toBe(before);
    await expect(read('.mcp.json')).rejects.toThrow();
  });

  it('replaces the `npx codectx` entries an earlier init wrote, in place, and keeps the rest', async () => {
    const npxSettings = {
      ...OTHER_SETTINGS,
      hooks: {
        ...OTHER_SETTINGS.hooks,
        UserPromptSubmit: [
          ...OTHER_SETTINGS.hooks.UserPromptSubmit,
          { hooks: [{ type: 'command', command: 'npx codectx hook user-prompt-submit', timeout: 45 }] },
        ],
      },
    };
    await writeFile(join(project, '.claude', 'settings.json'), JSON.stringify(npxSettings, null, 2));
    const otherServer = { command: 'uvx', args: ['other-mcp'] };
    const npxServer = { type: 'stdio', command: 'npx', args: ['codectx', 'mcp'], env: {} };
    await writeFile(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { other: otherServer, codectx: npxServer } }, null, 2));

    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`-            "command": "npx codectx hook user-prompt-submit",\n+            "command": "${nodeLauncher} hook user-prompt-submit",`);
    const settings = JSON.parse(await read('.claude/settings.json')) as Settings;
    expect(settings.hooks.UserPromptSubmit).toEqual([
      OTHER_SETTINGS.hooks.UserPromptSubmit[0],
      { hooks: [{ type: 'command', command: `${nodeLauncher} hook user-prompt-submit`, timeout: 45 }] },
    ]);
    const mcp = JSON.parse(await read('.mcp.json')) as { mcpServers: Record<string, unknown> };
    expect(mcp.mcpServers).toEqual({ other: otherServer, codectx: { ...npxServer, command: process.execPath, args: [OWN_BIN, 'mcp'] } });
  });

  // A cloned repository can ship `.claude` as a link to ~/.claude: init edited the user's global settings.
  it('refuses to write through a linked folder that leaves the project, and writes nothing', async () => {
    const userClaude = join(base, 'userhome', '.claude');
    await mkdir(userClaude, { recursive: true });
    await writeFile(join(userClaude, 'settings.json'), '{"model":"opus"}\n');
    await rm(join(project, '.claude'), { recursive: true });
    await symlink(join('..', 'userhome', '.claude'), join(project, '.claude'));
    const result = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `codectx: .claude is a link to ${realpathSync(userClaude)}, outside the project; init does not write through it (replace it with a folder and run init again)\n`,
    );
    expect(await readFile(join(userClaude, 'settings.json'), 'utf8')).toBe('{"model":"opus"}\n');
    await expect(read('codectx.config.json')).rejects.toThrow();

    // A link that leads nowhere is refused too; one to a folder inside the project is written through.
    await rm(join(project, '.claude'));
    await symlink(join(base, 'gone'), join(project, '.claude'));
    const dangling = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(dangling.code).toBe(1);
    expect(dangling.stderr).toContain('.claude is a link to ');
    await rm(join(project, '.claude'));
    await mkdir(join(project, 'shared', '.claude'), { recursive: true });
    await symlink(join('shared', '.claude'), join(project, '.claude'));
    const inside = await runCli(['init', project, '--claude', '--yes'], { home, env: bareEnv });
    expect(inside.code, inside.stderr).toBe(0);
    expect(await readFile(join(project, 'shared', '.claude', 'settings.json'), 'utf8')).toContain('user-prompt-submit');
  });

  // It said "codectx is already set up" and exited 0, while every other command stopped on the file.
  it('refuses a codectx.config.json that every command would refuse, in one line', async () => {
    await writeFile(join(project, 'codectx.config.json'), '{"store": "lancedb",\n');
    const broken = await runCli(['init', project, '--yes'], { home });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/^codectx: .*codectx\.config\.json:2:1 is not valid JSON[^\n]*\n$/);
    await writeFile(join(project, 'codectx.config.json'), '{"store": "sqlite"}\n');
    expect((await runCli(['init', project, '--yes'], { home })).stderr).toMatch(/codectx\.config\.json: "store" .*"lancedb"/);
    await rm(join(project, 'codectx.config.json'));
    await mkdir(join(project, 'codectx.config.json'));
    const folder = await runCli(['init', project, '--yes'], { home });
    expect([folder.code, folder.stderr]).toEqual([1, 'codectx: codectx.config.json is a folder, not a file; move it away and run init again\n']);
  });

  it('without --claude writes only the project config', async () => {
    const result = await runCli(['init', project, '--yes'], { home });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('wrote codectx.config.json\n');
    await expect(read('.mcp.json')).rejects.toThrow();
  });
});

describe('shellCommand', () => {
  it('quotes only the words a shell would split or expand', () => {
    expect(shellCommand(['/usr/local/bin/codectx', 'hook', 'user-prompt-submit'])).toBe('/usr/local/bin/codectx hook user-prompt-submit');
    expect(shellCommand(["/home/o'neil/my tools/codectx.js", '$HOME'])).toBe(`'/home/o'\\''neil/my tools/codectx.js' '$HOME'`);
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
