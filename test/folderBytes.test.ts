import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { folderBytes } from '../src/index/folderBytes.js';

describe('folderBytes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codectx-bytes-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // `list --indexes` shows an index folder's size: its LanceDB table lies folders deep.
  it('adds up the files at any depth, and nothing for folders themselves or links', async () => {
    await mkdir(join(dir, 'lancedb', 'c.lance', 'data'), { recursive: true });
    await writeFile(join(dir, 'meta.json'), 'x'.repeat(10));
    await writeFile(join(dir, 'lancedb', 'c.lance', 'data', 'part'), 'y'.repeat(1000));
    await symlink(join(dir, 'meta.json'), join(dir, 'link'));
    expect(await folderBytes(dir)).toBe(1010);
  });

  it('is 0 for a folder that is not there', async () => {
    expect(await folderBytes(join(dir, 'none'))).toBe(0);
  });
});
