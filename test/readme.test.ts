import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../src/daemon/protocol.js';
import { PROJECT_ROOT } from './helpers/cli.js';

const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  // It said "protocol v1" after the daemon moved to v2 (search with globs).
  it('names the daemon protocol version the daemon speaks', () => {
    expect([...readme.matchAll(/protocol v(\d+)/g)].map((match) => Number(match[1]))).toEqual([PROTOCOL_VERSION]);
  });
});
