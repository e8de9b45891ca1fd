/**
 * The text of a streaming answer. Leading whitespace is held back until real text follows, so an answer that
 * turns out blank has shown nothing and can still be retried or fall back cleanly.
 */
export class AnswerText {
  text = '';
  /** How much of `text` went to onToken. */
  private shown = 0;

  constructor(private readonly onToken?: (text: string) => void) {}

  add(piece: string): void {
    this.text += piece;
    if (!this.text.trim()) return;
    this.onToken?.(this.text.slice(this.shown));
    this.shown = this.text.length;
  }

  /** Whether any text was passed on (then a retry would repeat it). */
  get started(): boolean {
    return this.shown > 0;
  }

  get blank(): boolean {
    return !this.started;
  }
}
