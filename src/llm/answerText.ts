/**
 * The text of a streaming answer. Leading whitespace is held back until real text follows, so an answer that
 * turns out blank has shown nothing and can still be retried or fall back cleanly.
 */
export class AnswerText {
  text = '';
  /** Whether any text went to onToken (then a retry would repeat it). */
  started = false;

  constructor(private readonly onToken?: (text: string) => void) {}

  add(piece: string): void {
    this.text += piece;
    // Once started, only the piece: slicing the whole answer for each piece took minutes for a 20 MB one.
    if (this.started) {
      this.onToken?.(piece);
    } else if (this.text.trim()) {
      this.started = true;
      this.onToken?.(this.text);
    }
  }

  get blank(): boolean {
    return !this.started;
  }
}
