/**
 * Claude through the `claude` CLI (Claude Code): `claude --model <sonnet|opus> --print` with the prompt on stdin,
 * stdout streamed back. Uses the user's own Claude login, so no key passes through codectx. The CLI reports no
 * token usage in this mode, so counts are estimates.
 */
import { spawn } from 'node:child_process';
import { ConfigError, ProviderError } from '../errors.js';
import { firstLine } from '../text.js';
import { AnswerText } from './answerText.js';
import { estimatePromptTokens } from './tokens.js';
import { PartialAnswerError, type CompletionHooks, type CompletionRequest, type CompletionResult, type ModelProvider } from './types.js';

/** What the CLI prints when Claude's rate limit or usage quota is hit: these trigger the fallback chain. */
const LIMIT_PATTERN = /rate.?limit|usage limit|quota|429|overloaded|limit reached/i;
/**
 * A limit notice on stdout is a line or two; a longer output that mentions "rate limit" is an answer (about rate
 * limiting, say) that broke off, and must not be followed by a fallback's second answer.
 */
const NOTICE_MAX_LINES = 2;

export class ClaudeCliProvider implements ModelProvider {
  readonly kind = 'claude-cli';

  constructor(
    private readonly options: { timeoutMs: number; command?: string; env?: NodeJS.ProcessEnv },
  ) {}

  complete(request: CompletionRequest, hooks: CompletionHooks = {}): Promise<CompletionResult> {
    const command = this.options.command ?? 'claude';
    // --print takes a single prompt: the system instruction leads it.
    const input = `${request.system}\n\n${request.prompt}`;
    return new Promise((resolve, reject) => {
      const child = spawn(command, ['--model', request.model, '--print'], {
        env: this.options.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      // A limit notice comes on stdout as an answer does: the first lines wait until there are more of them than a
      // notice has, or the CLI has ended without one, so that a notice is never shown ahead of a fallback's answer.
      let held: string[] | undefined = [];
      const showHeld = () => {
        const text = held?.join('') ?? '';
        held = undefined;
        if (text) hooks.onToken?.(text);
      };
      const answer = new AnswerText((piece) => {
        if (!held) return hooks.onToken?.(piece);
        held.push(piece);
        if (held.join('').trim().split('\n').length > NOTICE_MAX_LINES) showHeld();
      });
      let stderr = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
      }, this.options.timeoutMs);
      const interrupt = () => child.kill('SIGTERM');
      hooks.signal?.addEventListener('abort', interrupt, { once: true });
      child.stdout.setEncoding('utf8').on('data', (piece: string) => answer.add(piece));
      child.stderr.setEncoding('utf8').on('data', (piece: string) => (stderr += piece));
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          error.code === 'ENOENT'
            ? new ConfigError(`'${command}' was not found on PATH (install Claude Code, or route Claude through an API endpoint)`)
            : new ProviderError(`${command}: ${error.message}`, false, undefined, { cause: error }),
        );
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        hooks.signal?.removeEventListener('abort', interrupt);
        const interrupted = hooks.signal?.aborted === true;
        const estimated = (text: string) => ({ text, inputTokens: estimatePromptTokens(input), outputTokens: estimatePromptTokens(text), tokensEstimated: true });
        const shown = answer.text;
        const notice = shown.trim().split('\n').length <= NOTICE_MAX_LINES && LIMIT_PATTERN.test(shown);
        const limited = code !== 0 && (LIMIT_PATTERN.test(stderr) || notice);
        if (!limited) showHeld();
        // Part of an answer is on screen: no retry, no fallback, and the ledger gets what was billed.
        if (answer.started && (interrupted || (!limited && (timedOut || code !== 0)))) {
          const why = interrupted ? 'was interrupted'
            : timedOut ? `did not finish within ${this.options.timeoutMs} ms` : `failed (${firstLine(stderr.trim()) || `exit code ${code}`})`;
          reject(new PartialAnswerError(`${command} --model ${request.model} ${why} mid-answer after ${shown.length} characters`, estimated(shown)));
          return;
        }
        if (interrupted) {
          reject(new ProviderError(`${command} --model ${request.model} was interrupted`, false));
          return;
        }
        if (timedOut) {
          reject(new ProviderError(`${command} did not finish within ${this.options.timeoutMs} ms`, true));
          return;
        }
        if (code !== 0) {
          // Printed as the error line: the CLI's words, or the model's (shaped by the indexed code), escaped as answers are.
          const detail = firstLine(stderr.trim() || shown.trim()) || `exit code ${code}`;
          reject(new ProviderError(`${command} --model ${request.model} failed: ${detail}`, limited, limited ? 429 : undefined));
          return;
        }
        if (answer.blank) {
          reject(new ProviderError(`${command} --model ${request.model} answered with no text`, true));
          return;
        }
        resolve(estimated(shown));
      });
      child.stdin.on('error', () => {
        // The CLI may exit before reading everything (bad flag); its exit code tells the story.
      });
      child.stdin.end(input);
    });
  }
}
