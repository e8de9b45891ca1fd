/**
 * Whether a task asks to change code or asks about it. A question, a review or an explanation ("where are signed
 * cookies created?", "review the redirect for open redirects", "explain how routing works") wants the relevant
 * code, not an instruction to reuse, extend or create something.
 */
import { memberName, symbolNames } from '../chunk/symbolNames.js';
import { escapeRegExp } from '../regexp.js';

/** Politeness before the verb: "please explain …", "can you review …". */
const POLITE = /^(please|kindly|can you|could you|would you|will you|i want you to|i'd like you to|help me)\s+/i;
/**
 * A task opening with a question word: "where is …", "how does …". "Is …", "do …", "should we …" count only as
 * questions (ending in "?"): "Do not use the undefined help flag" is an instruction.
 */
const QUESTION = /^(where|what|what's|which|why|how|who|when|whose)\b/i;
/**
 * A task opening with a verb that reads or explains rather than writes. Not "check", "verify" or "find": "verify
 * the password a user enters" and "check that a password matches the hash" ask for code that checks.
 */
const INQUIRY_VERB =
  /^(explain|describe|review|audit|summari[sz]e|list|show me|tell me|walk (me )?through|give (me )?(an? )?(overview|tour|summary|map)|look (through|into)|scan|analy[sz]e|go through|trace|identify|locate|investigate|assess|evaluate|compare|inspect|map out|find out|find where)\b/i;
/**
 * "check the comment form for XSS", "verify the upload handler for path traversal": a named piece of code examined
 * for a kind of problem is a review ("check that a password matches the hash", "check the password against the hash
 * for each login" stay changes).
 */
const CHECK_FOR = /^(check|verify) (the|this|these|those|our|all|every|each)\b.*\bfor (?!(each|every|all|any|the|this|that|these|those|its|their|our)\b)/i;
const CHANGE_VERBS = 'fix|add|implement|update|change|remove|refactor|rewrite|replace|write|create|make|patch|move|rename';
/** "find and fix …", "review the handler, then update …": the task does ask for a change. */
const THEN_CHANGE = new RegExp(`\\b(and|then)\\s+(${CHANGE_VERBS})\\b`, 'i');
/** "Can you add a --max-size filter?": a request put as a question is still a change. */
const OPENS_WITH_CHANGE = new RegExp(`^(${CHANGE_VERBS})\\b`, 'i');

export function isInquiry(task: string): boolean {
  const text = task.trim().replace(POLITE, '');
  if (THEN_CHANGE.test(text) || OPENS_WITH_CHANGE.test(text)) return false;
  return QUESTION.test(text) || INQUIRY_VERB.test(text) || CHECK_FOR.test(text) || text.endsWith('?');
}

/** Verbs that change what is there: "fix …", "improve …", "optimize …", "deprecate …", "do not …". */
const MODIFY_VERB =
  /^(fix|fixes|fixed|change|improve|optimi[sz]e|refactor|extend|update|modify|rename|deprecate|rewrite|rework|restructure|simplify|speed up|tweak|adjust|correct|repair|harden|do not|don't|never)\b/i;
/** "the --owner filter crashes on macOS", "paging no longer works": a bug report, about code that exists. */
const REPORTS_DEFECT = /\b(crash(es|ed|ing)?|segfaults?|(is|are) broken|(doesn't|does not|don't|do not) work|no longer works?|hangs|regressed)\b/i;
/** "add support for …", "add an option to …": a new ability for code that exists. */
const ADDS_TO_EXISTING = /\b(support (for|in)|adds?|added) (support|an? (option|parameter|flag|check|property|argument)|the ability|functionality)\b|\bsupport (for|in)\b/i;
/**
 * "add a pie chart next to the bar chart", "let users change their password": new behaviour for something named.
 * Not "enable": "enable the exit override" turns on what is there.
 */
const NEW_ABILITY_VERB = /^(add|adds|allow|allows|let|support)\b/i;

/**
 * Whether the task opens by asking for a new ability ("add …", "allow …", "let …"). Next to code that speaks some of
 * its words, that ability goes into that code; a task that only describes a capability ("compress log files older
 * than a week") describes either something that exists or something new.
 */
export function asksForAbility(task: string): boolean {
  return NEW_ABILITY_VERB.test(task.trim().replace(POLITE, ''));
}

/** "delete …", "remove …": there is something to take out. */
const REMOVE_VERB = /^(delete|deletes|remove|removes|drop|drops|get rid of)\b/i;

/**
 * Whether the task asks to take something out. Nothing can be removed from code that does not exist, so such a
 * task is never Create; it is not a sign against Reuse ("remove a header from the response" may be a call).
 */
export function removesSomething(task: string): boolean {
  return REMOVE_VERB.test(task.trim().replace(POLITE, ''));
}

/**
 * The commit-subject idiom for a new reaction of existing code to a condition it meets: "Warn on dropping sessions",
 * "Throw error on options-as-properties config after setting option values", "panic on Hijack/CloseNotify when wrapper
 * unsupported" (all 3 of the 323 shared cases' subjects that open this way changed that code). On bench:verdict train
 * the first two were Reuse of the function that, at the labelled commit, already reacts so (drop_session at 0.64,
 * storeOptionsAsProperties at 0.60): only the phrasing says it is the change. "On", not "when" or "if": a capability
 * is described with those ("throw an error instead of calling process.exit when parsing fails" is exitOverride).
 */
const REACTS_ON = /^(warn|throw|raise|error|fail|panic|log|abort|exit|reject)s?\b(?:\s+[\w-]+){0,2}?\s+on\s/i;

/**
 * Whether the task quotes code in backticks ("Remove `Serializable` from internal `Type` implementation classes", "Fix
 * regex in `etag_matches?`"). It then talks about code as code, which is what a change does: 46 of the 323 shared
 * cases' subjects quote code and every one changed it, while a task to get something done describes the behaviour.
 * Only a sign against Reuse: below it, a quoted name may be the new code to write ("add a `slugify` helper").
 */
export function quotesCode(task: string): boolean {
  return /`[^`\s][^`]*`/.test(task);
}

/** An identifier as code writes it (sendFile, echo_via_pager, RunFd), not a word ("edit") or an acronym ("JSON"). */
const IDENTIFIER_LIKE = (name: string) => /[_$]/.test(name) || (/[a-z]/.test(name) && /[A-Z]/.test(name.slice(1)));

/**
 * Whether the task asks to change existing code rather than to get something done: it opens with a verb that
 * modifies, adds an ability to something, reports a defect, or names the code (`symbol`) as code. Reuse means "this exists, call
 * it"; a task that names the function, or asks to fix or improve it, already knows it exists and wants it changed.
 */
export function changesExisting(task: string, symbol: string): boolean {
  const text = task.trim().replace(POLITE, '');
  if (MODIFY_VERB.test(text) || ADDS_TO_EXISTING.test(text) || REACTS_ON.test(text) || REPORTS_DEFECT.test(text)) return true;
  return symbolNames(symbol)
    .map(memberName)
    .some((name) => name.length >= 3 && IDENTIFIER_LIKE(name) && new RegExp(`(?<![\\w$])${escapeRegExp(name)}(?![\\w$])`).test(text));
}
