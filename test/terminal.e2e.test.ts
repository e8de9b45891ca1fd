import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureWorkspace, PROJECT_ROOT } from './helpers/cli.js';

/**
 * What a person sees in a real terminal: `codectx index` and `codectx search` typed into a tmux pane, read back
 * with `capture-pane -e` (colours included). tmux is part of the image CI runs on; without it there is no terminal
 * to drive, and the test says so instead of passing.
 */
const tmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const BIN = join(PROJECT_ROOT, 'bin', 'codectx.js');
const ESC = '\x1b';
const PROMPT = '$ ';

describe.skipIf(!tmux)('codectx in a real terminal (tmux; skipped only when tmux is not installed)', () => {
  let socketDir: string;
  let socket: string;
  let repo: string;
  let home: string;

  const run = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const screen = (colours = false) => run('capture-pane', '-p', '-J', ...(colours ? ['-e'] : []), '-t', 'codectx');
  const type = (line: string) => {
    run('send-keys', '-t', 'codectx', '-l', line);
    run('send-keys', '-t', 'codectx', 'Enter');
  };
  const clear = () => {
    run('send-keys', '-t', 'codectx', 'clear', 'Enter');
    run('clear-history', '-t', 'codectx');
  };
  /** Polls the pane until `test` holds; returns the screen it held on. */
  const waitFor = async (test: (text: string) => boolean, colours = false, timeoutMs = 90_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = screen(colours);
      if (test(text)) return text;
      if (Date.now() > deadline) throw new Error(`the terminal never showed what was expected; it shows:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  let commands = 0;
  /** Types a command after clearing the screen; it has finished once the shell prints its numbered exit status. */
  const start = (command: string): ((text: string) => boolean) => {
    const mark = `exit${++commands}`;
    clear();
    type(`${command}; echo ${mark}=$?`);
    return (text) => new RegExp(`^${mark}=\\d+\\n\\$ ?$`, 'm').test(text.trimEnd());
  };
  const runToPrompt = async (command: string, colours = false) => waitFor(start(command), colours);

  beforeAll(async () => {
    ({ repo, home } = await fixtureWorkspace());
    // Enough distinct functions that embedding takes seconds: time to see the bar and press Ctrl-C.
    await mkdir(join(repo, 'gen'));
    for (let i = 0; i < 900; i++) {
      await writeFile(
        join(repo, 'gen', `handler_${i}.py`),
        `def handle_event_${i}(event, store_${i}):\n    """Routes event kind ${i} to shelf ${i * 7} of the store."""\n    return store_${i}.put("k${i}", event.get("v${i * 3}"))\n`,
      );
    }
    socketDir = await mkdtemp(join(tmpdir(), 'codectx-tmux-'));
    socket = join(socketDir, 'sock');
    execFileSync('tmux', [
      '-S', socket, 'new-session', '-d', '-s', 'codectx', '-x', '150', '-y', '40',
      'env', '-u', 'NO_COLOR', `PS1=${PROMPT}`, `CODECTX_HOME=${home}`, 'TERM=xterm-256color', 'bash', '--norc', '--noprofile',
    ]);
    await waitFor((text) => text.includes(PROMPT));
  });

  afterAll(async () => {
    if (socket) execFileSync('tmux', ['-S', socket, 'kill-server']);
    if (socketDir) await rm(socketDir, { recursive: true, force: true });
  });

  it('index draws a forward-moving coloured bar; Ctrl-C leaves one line and a clean prompt; the rerun finishes it', async () => {
    const finished = start(`node ${BIN} index ${repo}`);
    const bars: number[] = [];
    const barLine = /\[(?:\S*?)#*(?:\S*?)-*\] (\d+)% {2}files (\d+)\/(\d+) {2}chunks (\d+)\/(\d+)/;
    const drawn = await waitFor((text) => {
      const match = barLine.exec(text);
      if (match) bars.push(Number(match[1]));
      return match !== null && Number(match[4]) > 0 && Number(match[4]) < Number(match[5]);
    });
    // The totals are known from the first frame: 905 files, counted before embedding.
    expect(drawn).toMatch(/files \d+\/905 {2}chunks \d+\/\d+/);
    const coloured = screen(true);
    expect(coloured).toContain(`${ESC}[32m#`);
    // A little later the bar has not gone back.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = barLine.exec(screen());
    if (later) expect(Number(later[1])).toBeGreaterThanOrEqual(bars.at(-1)!);

    run('send-keys', '-t', 'codectx', 'C-c');
    const stopped = await waitFor(finished);
    const lines = stopped.trimEnd().split('\n');
    expect(lines.at(-2)).toBe(`exit${commands}=130`);
    expect(lines.at(-3)).toMatch(
      /^codectx: interrupted: the index holds \d+ files \(\d+ chunks\) and the \d+ chunks embedded in this run are cached; run `codectx index` again to resume$/,
    );
    // No half-drawn bar left anywhere, and no stack trace.
    expect(stopped).not.toMatch(/files \d+\/\d+|chunks \d+\/\d+|counting changes/);
    expect(stopped).not.toMatch(/\bat .+:\d+:\d+/);
    expect(lines).toHaveLength(4); // the command, the one line, exit=130, the prompt

    const rerun = await runToPrompt(`node ${BIN} index ${repo}`);
    const summary = rerun.trimEnd().split('\n');
    expect(summary.at(-2)).toBe(`exit${commands}=0`);
    expect(summary.slice(1, -2).join('\n')).toMatch(
      /^indexed 905 files in \d+s: \d+ new or changed, 0 deleted, \d+ unchanged\nchunks: \d+ written \(\d+ embedded, [1-9]\d* from cache\), \d+ in the index$/,
    );
  });

  it('search prints rg-style results: file names and matches coloured, plain with NO_COLOR', async () => {
    const coloured = await runToPrompt(`node ${BIN} search "routes event kind 417" --path ${repo} --limit 2`, true);
    expect(coloured).toContain(`exit${commands}=0`);
    expect(coloured).toMatch(new RegExp(`${ESC}\\[[0-9;]*35[0-9;]*m(?:${ESC}\\[[0-9;]*m)*gen/handler_417\\.py`));
    expect(coloured).toMatch(/handle_event_417 {2}1-3/);
    const plain = await runToPrompt(`NO_COLOR=1 node ${BIN} search "routes event kind 417" --path ${repo} --limit 2`, true);
    expect(plain).toContain('gen/handler_417.py');
    expect(plain.replace(/\x1b\[[0-9;]*m/g, (sgr) => (sgr === `${ESC}[0m` || sgr === `${ESC}[39m` || sgr === `${ESC}[49m` ? '' : sgr))).not.toMatch(
      /\x1b\[/,
    );
  });
});
