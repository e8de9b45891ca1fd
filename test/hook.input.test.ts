import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { hookBudget, hookOutput, parseHookInput, searchQuery, userPromptContext, worthSearching } from '../src/hook/promptHook.js';
import { echoed } from '../src/text.js';

describe('UserPromptSubmit input and output', () => {
  it('reads the prompt and session from Claude Code input, ignoring fields it does not use', () => {
    const input = parseHookInput(
      JSON.stringify({
        session_id: 'abc',
        transcript_path: '/t.jsonl',
        cwd: '/repo',
        permission_mode: 'default',
        hook_event_name: 'UserPromptSubmit',
        prompt: 'fix the login bug',
      }),
    );
    expect(input).toMatchObject({ session_id: 'abc', cwd: '/repo', prompt: 'fix the login bug' });
  });

  it('rejects input that is not JSON, has no prompt, or is for another event', () => {
    expect(() => parseHookInput('not json')).toThrow('hook input is not JSON');
    expect(() => parseHookInput('{"cwd": "/repo"}')).toThrow('no "prompt" string');
    expect(() => parseHookInput('[1]')).toThrow('no "prompt" string');
    expect(() => parseHookInput('{"hook_event_name": "Stop", "prompt": "x"}')).toThrow('for Stop, not UserPromptSubmit');
  });

  it('rejects a cwd or session id that is not a string, in words', () => {
    // Seen in hook.log: `The "paths[0]" argument must be of type string. Received type number (123)`.
    expect(() => parseHookInput('{"prompt": "fix the login bug", "cwd": 123}')).toThrow(
      new UsageError('hook input has a "cwd" that is not a string (number)'),
    );
    expect(() => parseHookInput('{"prompt": "fix the login bug", "cwd": null}')).toThrow('"cwd" that is not a string (null)');
    expect(() => parseHookInput('{"prompt": "fix the login bug", "session_id": {"id": 1}}')).toThrow('"session_id" that is not a string (object)');
    expect(parseHookInput('{"prompt": "fix the login bug"}')).toEqual({ prompt: 'fix the login bug' });
  });

  it('searches for tasks, not for acknowledgements or slash commands', () => {
    expect(worthSearching('add rate limiting to the login endpoint')).toBe(true);
    expect(worthSearching('  yes go ahead ')).toBe(false);
    expect(worthSearching('ok')).toBe(false);
    expect(worthSearching('/review the changes in src/auth please')).toBe(false);
  });

  it('counts the words of prompts written without spaces (QA round 4 #12)', () => {
    expect(worthSearching('修复中间件里的错误处理逻辑，让 app.onerror 能收到异步错误')).toBe(true);
    expect(worthSearching('ミドルウェアのエラー処理を修正してください')).toBe(true);
    expect(worthSearching('好的，继续吧')).toBe(false);
    expect(worthSearching('yes -- go ahead')).toBe(false);
  });

  it('searches by the start of a long prompt and echoes it shortened on one line', () => {
    const long = `refactor the session store\n${'x '.repeat(2000)}`;
    expect(searchQuery(long)).toHaveLength(1000);
    expect(searchQuery('  short one  ')).toBe('short one');
    const echo = echoed(long);
    expect(echo).toHaveLength(200);
    expect(echo.startsWith('refactor the session store x x')).toBe(true);
    expect(echo.endsWith('…')).toBe(true);
  });

  it('takes hook.budget from the project config, 1500 tokens by default', () => {
    expect(hookBudget({})).toBe(1500);
    expect(hookBudget({ hook: {} })).toBe(1500);
    expect(hookBudget({ hook: { budget: 600 } })).toBe(600);
    // A wrong budget is refused when the file is read (config.test.ts).
  });

  it('answers in the documented JSON form that adds context', async () => {
    expect(JSON.parse(await hookOutput('## Pre-search\n...'))).toEqual({
      hookSpecificOutput: { hookEventName: 'UserPromptSubmit', additionalContext: '## Pre-search\n...' },
    });
  });

  // QA round 10: the prompt was cut to 200 characters before redaction, and half a token a rule no longer knew went out.
  it('shows no part of a secret that the shortened prompt cuts through', async () => {
    const token = 'ghp_' + '1234567890abcdefghijklmnopqrstuvwxyzAB';
    for (const kept of [8, 14, 20, 30]) {
      const lead = 'fix the billing connection, it sends ';
      const prompt = `${lead}${'y'.repeat(199 - lead.length - kept - 1)} ${token} as its key`;
      const root = await mkdtemp(join(tmpdir(), 'codectx-hook-'));
      const index = { search: async () => [], indexedAbove: async () => ({ root, collection: 'c', indexDir: root }), buildingNote: async () => undefined };
      const block = await userPromptContext({ prompt }, index);
      expect(block).toContain('Task: fix the billing connection');
      expect(block).not.toContain(token.slice(0, 8));
    }
  });
});
