/**
 * Whether a task asks to change code or asks about it. A question, a review or an explanation ("where are signed
 * cookies created?", "review the redirect for open redirects", "explain how routing works") wants the relevant
 * code, not an instruction to reuse, extend or create something.
 */

/** Politeness before the verb: "please explain …", "can you review …". */
const POLITE = /^(please|kindly|can you|could you|would you|will you|i want you to|i'd like you to|help me)\s+/i;
/** A task opening with a question word: "where is …", "how does …", "is the redirect …", "should we …". */
const QUESTION = /^(where|what|what's|which|why|how|who|when|whose|is|are|does|do|did|can|could|should|would|has|have)\b/i;
/**
 * A task opening with a verb that reads or explains rather than writes. Not "check", "verify" or "find": "verify
 * the password a user enters" and "check that a password matches the hash" ask for code that checks.
 */
const INQUIRY_VERB =
  /^(explain|describe|review|audit|summari[sz]e|list|show me|tell me|walk (me )?through|give (me )?(an? )?(overview|tour|summary|map)|look (through|into)|scan|analy[sz]e|go through|trace|identify|locate|investigate|assess|evaluate|compare|inspect|map out|find out|find where)\b/i;
/** "find and fix …", "review the handler, then update …": the task does ask for a change. */
const THEN_CHANGE = /\b(and|then)\s+(fix|add|implement|update|change|remove|refactor|rewrite|replace|write|create|make|patch|move|rename)\b/i;

export function isInquiry(task: string): boolean {
  const text = task.trim().replace(POLITE, '');
  if (THEN_CHANGE.test(text)) return false;
  return QUESTION.test(text) || INQUIRY_VERB.test(text) || text.endsWith('?');
}
