/**
 * The prompt `codectx ask` sends: a system instruction enforcing Search → Reuse → Extend → Create (or, for a
 * question, a review or an explanation, one asking for an answer from the code), then the pre-search block and the task.
 */
import type { ContextBlock } from './build.js';
import { isInquiry } from './intent.js';
import { printable } from '../text.js';

export const SYSTEM_INSTRUCTION = [
  'You are a senior engineer working inside an existing codebase. Work in this order: Search → Reuse → Extend → Create.',
  '1. Search: read the pre-search results in the prompt before writing anything; they are the codebase\'s own code.',
  '2. Reuse: if existing code already does what is asked, use it (call or import it); do not write a duplicate.',
  '3. Extend: if close code exists, extend or adapt it in place, keeping its names, style and error handling.',
  '4. Create: only when nothing suitable exists, write new code that follows the conventions shown.',
  'Cite any code you reuse or extend as path:start-end. Say which step you took and why.',
].join('\n');

export const INQUIRY_INSTRUCTION = [
  'You are a senior engineer answering a question about an existing codebase: a question, a review or an explanation.',
  'Read the pre-search results in the prompt first; they are the codebase\'s own code.',
  'Answer from that code, citing it as path:start-end, and say what you would need to see that is not shown.',
].join('\n');

export interface Prompt {
  system: string;
  prompt: string;
}

/** Without a block (no index, or --no-context), `missingContext` says why, so the model knows it is blind. */
export function buildPrompt(task: string, block: ContextBlock | undefined, missingContext?: string): Prompt {
  const parts = block
    ? [block.text, '## Task', task]
    : [`## Pre-search: none (${printable(missingContext ?? 'skipped')})`, '', '## Task', task];
  const system = isInquiry(task) ? INQUIRY_INSTRUCTION : SYSTEM_INSTRUCTION;
  return { system, prompt: parts.join('\n') };
}
