import { describe, expect, it } from 'vitest';
import { fixtureWorkspace, runCli } from './helpers/cli.js';

/**
 * A team adopting a shared Milvus index, as a user meets it with the real CLI (QA round 10). Needs `npm run build`
 * and MILVUS_ADDRESS (skipped without it, except in CI).
 */

const address = process.env.MILVUS_ADDRESS;
const runs = Boolean(address) || process.env.CI === 'true';

describe.runIf(runs)('a shared Milvus index, as a team meets it', () => {
  // The SDK throws the server's status object for some calls: the line read "...: [object Object]".
  it('names a database that does not exist, in one line', async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    const { repo, home } = await fixtureWorkspace();
    const result = await runCli(['index', repo, '--store', 'milvus', '--milvus-address', address!], {
      home,
      env: { CODECTX_MILVUS_DATABASE: 'codectx_no_such_db' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
    expect(result.stderr).toMatch(/database\W+codectx_no_such_db/);
    expect(result.stderr).not.toContain('[object Object]');
  }, 60_000);
});
