import { cp, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli, startCli } from './helpers/cli.js';
import { connectMcp } from './helpers/mcpClient.js';
import { namesOf } from './helpers/results.js';
import { poller } from './helpers/wait.js';
import { writeTrustedConfig } from './helpers/trustedConfig.js';

/**
 * Milvus as a shared team index (issue 15): two machines — two CODECTX_HOMEs, two checkout paths of one
 * repository — against one Milvus-API server. Needs `npm run build` and MILVUS_ADDRESS (skipped without it,
 * except in CI, where a missing address fails).
 */

const address = process.env.MILVUS_ADDRESS;
const runs = Boolean(address) || process.env.CI === 'true';
const RUN = `${process.pid}_${Date.now()}`;

interface Machine {
  repo: string;
  home: string;
  store: string[];
  cli(args: string[]): ReturnType<typeof runCli>;
}

/** Two checkouts of the fixture repository at different paths, each with its own CODECTX_HOME. */
async function twoMachines(identify: (repo: string) => Promise<void>): Promise<[Machine, Machine]> {
  const base = await mkdtemp(join(tmpdir(), 'codectx-share-'));
  const machine = async (who: string): Promise<Machine> => {
    const repo = join(base, who, `checkout-of-${who}`);
    await cp(join(PROJECT_ROOT, 'test', 'fixtures', 'repo'), repo, { recursive: true });
    await identify(repo);
    const home = join(base, who, 'home');
    const store = ['--store', 'milvus', '--milvus-address', address!];
    return { repo, home, store, cli: (args) => runCli([...args, ...store], { home, cwd: repo }) };
  };
  return [await machine('alice'), await machine('bob')];
}

async function files(machine: Machine, query: string): Promise<string[]> {
  const result = await machine.cli(['search', query, '--json', '-p', machine.repo, '-n', '5']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { results: { file: string; symbol: string }[] }).results.flatMap((hit) => namesOf(hit).map((name) => `${hit.file}#${name}`));
}

async function status(machine: Machine): Promise<{ indexed: boolean; complete: boolean; files: number; chunks: number; collection: string; buildingElsewhere?: true }> {
  const result = await machine.cli(['status', machine.repo, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

async function index(machine: Machine): Promise<{ filesChanged: number; filesDeleted: number; embedded: number; totalChunks: number }> {
  const result = await machine.cli(['index', machine.repo, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

const CHART = join('src', 'ui', 'chart.js');
const WITHOUT_FORMAT_CURRENCY = `// Draws a bar chart of the monthly totals on a canvas.
export function renderChart(canvas, data) {
  const ctx = canvas.getContext('2d');
  data.forEach((value, i) => ctx.fillRect(i * 10, canvas.height - value, 8, value));
}
`;

describe.runIf(runs)('Milvus shared by two machines', () => {
  it('B searches what A indexed with no local index, loses what A deleted, and two writers converge', async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    const [alice, bob] = await twoMachines((repo) => writeFile(join(repo, 'codectx.config.json'), JSON.stringify({ name: `share-${RUN}` })));
    try {
      const first = await index(alice);
      expect(first.totalChunks).toBeGreaterThan(0);

      // Bob has never indexed: no index folder in his home, yet he searches Alice's index.
      expect(await readdir(join(bob.home, 'indexes')).catch(() => [])).toEqual([]);
      expect(await files(bob, 'format an amount of money as currency')).toContain('src/ui/chart.js#formatCurrency');
      const [seen, own] = [await status(bob), await status(alice)];
      expect(seen).toMatchObject({ indexed: true, files: own.files, chunks: first.totalChunks, collection: own.collection });

      // Alice deletes a function and reindexes: Bob no longer finds it.
      await writeFile(join(alice.repo, CHART), WITHOUT_FORMAT_CURRENCY);
      const second = await index(alice);
      expect(second.filesChanged).toBe(1);
      expect(await files(bob, 'format an amount of money as currency')).not.toContain('src/ui/chart.js#formatCurrency');

      // Bob pulls the same change: his run finds the shared index already up to date and embeds nothing.
      await writeFile(join(bob.repo, CHART), WITHOUT_FORMAT_CURRENCY);
      const caughtUp = await index(bob);
      expect(caughtUp).toMatchObject({ filesChanged: 0, filesDeleted: 0, embedded: 0, totalChunks: second.totalChunks });

      // Both add the same file and index at once: the index ends as one writer would leave it.
      const added = 'export function reconcileLedgerEntries(entries: number[]): number {\n  return entries.reduce((a, b) => a + b, 0);\n}\n';
      for (const machine of [alice, bob]) {
        await mkdir(join(machine.repo, 'src', 'ledger'), { recursive: true });
        await writeFile(join(machine.repo, 'src', 'ledger', 'reconcile.ts'), added);
      }
      await Promise.all([index(alice), index(bob)]);
      for (const machine of [alice, bob]) {
        const hits = await files(machine, 'reconcileLedgerEntries sum of ledger entries');
        expect(hits.filter((hit) => hit === 'src/ledger/reconcile.ts#reconcileLedgerEntries')).toHaveLength(1);
        expect(await index(machine)).toMatchObject({ filesChanged: 0, filesDeleted: 0, embedded: 0 });
      }
      const [a, b] = [await status(alice), await status(bob)];
      expect(a.chunks).toBe(b.chunks);
      expect(a.files).toBe(b.files);
    } finally {
      await alice.cli(['clear', alice.repo]);
    }
    // Cleared for both: Bob's search now says there is no index.
    const after = await bob.cli(['search', 'currency', '-p', bob.repo]);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/not indexed yet/);
    // Bob's listing cannot know of Alice's clear without asking the server, so it says whose view its counts are.
    const listed = await runCli(['list', '--indexes'], { home: bob.home });
    expect(listed.stdout).toContain(`${bob.repo}  `);
    expect(listed.stdout).toMatch(/chunks? on Milvus as this machine last saw them \(`codectx status` asks the server\)/);
  }, 300_000);

  it('shares one index between checkouts of one git remote cloned by different URLs', async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    let clone = 0;
    const urls = [`git@github.com:acme/share-${RUN}.git`, `https://github.com/acme/share-${RUN}`];
    const [alice, bob] = await twoMachines(async (repo) => {
      await mkdir(join(repo, '.git'));
      await writeFile(join(repo, '.git', 'config'), `[remote "origin"]\n\turl = ${urls[clone++]}\n`);
    });
    expect(await readFile(join(bob.repo, '.git', 'config'), 'utf8')).toContain('https://');
    try {
      await index(alice);
      expect(await files(bob, 'create a session token for a user')).toContain('src/auth/session.ts#createSession');
    } finally {
      await alice.cli(['clear', alice.repo]);
    }
  }, 300_000);

  // Alice's `index --force` killed part way left Bob, whose machine holds no trace of that run, silent empty results.
  it("a teammate's build from nothing, killed part way, is refused on every machine until one finishes it", async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    const [alice, bob] = await twoMachines((repo) => writeFile(join(repo, 'codectx.config.json'), JSON.stringify({ name: `share-force-${RUN}` })));
    try {
      await index(alice);
      // Enough functions that the real model embeds them for several seconds.
      await mkdir(join(alice.repo, 'gen'));
      for (let i = 0; i < 2500; i++) await writeFile(join(alice.repo, 'gen', `h${i}.py`), `def handle_${i}(event):\n    return event.get("v${i}")\n`);
      const rebuild = startCli(['index', alice.repo, '--force', ...alice.store], { home: alice.home });
      // The rebuild's own first group, not the old index's count: Bob read that before the drop and then searched an
      // index dropped since ("not indexed yet").
      const rebuilding = async () => {
        const seen = await status(bob);
        return seen.buildingElsewhere === true && seen.files > 0;
      };
      await poller(120_000)('a first group of the rebuild', async () => rebuild.child.exitCode !== null || (await rebuilding()));
      expect(rebuild.child.exitCode, 'the rebuild ended before it was stopped').toBeNull();
      const running = await bob.cli(['search', 'handle event', '-p', bob.repo]);
      expect(running.code).toBe(1);
      expect(running.stderr).toMatch(/^codectx: the shared index of \S+ is being built from nothing on another machine and is not finished \(it holds \d+ files? so far, last written \d+s ago\); search again when that build is done, or run `codectx index \S+` to finish it if it stopped\n$/);
      rebuild.child.kill('SIGKILL');
      await rebuild.done;

      for (const machine of [alice, bob]) {
        const search = await machine.cli(['search', 'handle event', '-p', machine.repo]);
        expect(search.code, search.stdout).toBe(1);
        expect(search.stderr).toMatch(/being built/);
        expect(await status(machine)).toMatchObject({ complete: false, fromScratch: true });
      }
      // Bob finishes it: the index is whole for Alice too, though her own run stopped.
      await index(bob);
      for (const machine of [alice, bob]) {
        expect(await files(machine, 'create a session token for a user')).toContain('src/auth/session.ts#createSession');
        expect(await status(machine)).not.toHaveProperty('fromScratch');
      }
    } finally {
      await alice.cli(['clear', alice.repo]);
    }
  }, 300_000);

  // A reader machine whose settings come from the repository's codectx.config.json (no flags), working in a
  // subfolder: walking up, status, search and MCP's get_indexing_status looked for local traces only.
  it('B, with no local trace, finds the index the config names from a subfolder: status, search and MCP', async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    const config = { name: `share-config-${RUN}`, store: 'milvus', milvus: { address } };
    // Each teammate trusts the repository's Milvus address once, in their own home (see twoMachines).
    const [alice, bob] = await twoMachines(async (repo) => writeTrustedConfig(repo, config, join(dirname(repo), 'home')));
    const inFolder = (machine: Machine, cwd: string, args: string[]) => runCli(args, { home: machine.home, cwd });
    const subfolder = join(bob.repo, 'src', 'ui');
    const found = async () => {
      const result = await inFolder(bob, subfolder, ['search', 'format an amount of money as currency', '--json', '-n', '5']);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { results: { file: string; symbol: string }[] }).results.flatMap((hit) => namesOf(hit).map((name) => `${hit.file}#${name}`));
    };
    try {
      const indexed = await inFolder(alice, alice.repo, ['index', '--json']);
      expect(indexed.code, indexed.stderr).toBe(0);
      const { totalChunks } = JSON.parse(indexed.stdout) as { totalChunks: number };

      const status = await inFolder(bob, subfolder, ['status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ root: bob.repo, indexed: true, chunks: totalChunks, store: 'milvus' });
      expect(await found()).toContain('src/ui/chart.js#formatCurrency');

      const client = await connectMcp(subfolder, bob.home);
      try {
        const answer = await client.callTool({ name: 'get_indexing_status', arguments: { path: subfolder } });
        const text = (answer.content as { text: string }[])[0]!.text;
        expect(text.startsWith(`${bob.repo} is indexed: `), text).toBe(true);
        expect(text).toContain(`, ${totalChunks} chunks,`);
      } finally {
        await client.close();
      }

      // Alice deletes the function and indexes again: Bob, in his subfolder, no longer finds it.
      await writeFile(join(alice.repo, CHART), WITHOUT_FORMAT_CURRENCY);
      expect((await inFolder(alice, alice.repo, ['index', '--json'])).code).toBe(0);
      expect(await found()).not.toContain('src/ui/chart.js#formatCurrency');
    } finally {
      await inFolder(alice, alice.repo, ['clear']);
    }
    expect(await readdir(join(bob.home, 'indexes')).catch(() => [])).toEqual([]);
  }, 300_000);
});
