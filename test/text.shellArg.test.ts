import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellArg } from '../src/text.js';

describe('shellArg: a path in a "run `codectx …`" hint', () => {
  it('leaves a plain path as it is', () => {
    expect(shellArg('/tmp/repo-1/src_2.x')).toBe('/tmp/repo-1/src_2.x');
    expect(shellArg('.')).toBe('.');
  });

  // Seen: "run `codectx index /tmp/qa5 space dir/never here`", pasted, indexed another folder.
  it('quotes one with spaces, quotes, $ or globs so that a shell reads it back as given', () => {
    for (const path of ['/tmp/a dir/never here', "/tmp/it's", '/tmp/$HOME', '/tmp/*', '/tmp/a"b', "''", '', '/tmp/`x`']) {
      const word = shellArg(path);
      expect(word.startsWith("'"), path).toBe(true);
      expect(execFileSync('sh', ['-c', `printf %s ${word}`]).toString()).toBe(path);
    }
    expect(shellArg("/tmp/it's")).toBe("'/tmp/it'\\''s'");
  });

  it('escapes a control character rather than let it reach the terminal', () => {
    expect(shellArg('/tmp/esc\x1b[31m')).toBe("'/tmp/esc\\x1b[31m'");
  });
});
