/**
 * One embedding model, so one index run embeds at a time; the order is by priority, not arrival. A change batch
 * (a file saved) goes before a bulk run (a new codebase, a reconcile, an explicit `index`), and a bulk run
 * yields its turn between embedding calls while a change waits: a save in one codebase no longer waits a
 * minute behind another codebase's first index. A run that yields keeps its place at the head of its class.
 */
export type RunPriority = 'change' | 'bulk';

const RANK: Record<RunPriority, number> = { change: 0, bulk: 1 };

export interface RunTicket {
  /** Who runs or waits, for status: a codebase root. */
  owner: string;
  priority: RunPriority;
}

interface Waiter extends RunTicket {
  /** Re-entering after a yield: first among its priority. */
  resumed: boolean;
  since: number;
  admit: () => void;
}

export interface SchedulerView {
  running?: RunTicket;
  waiting: Array<RunTicket & { sinceMs: number }>;
}

export class RunScheduler {
  private current?: RunTicket;
  private readonly queue: Waiter[] = [];

  /** Runs `work` when its turn comes; `yieldTurn` lets more urgent waiting runs go first, then resumes. */
  async run<T>(ticket: RunTicket, work: (yieldTurn: () => Promise<void>) => Promise<T>): Promise<T> {
    await this.acquire(ticket, false);
    try {
      return await work(() => this.yieldTurn(ticket));
    } finally {
      this.release();
    }
  }

  /** What runs and what waits, and since when (for daemon status). */
  view(): SchedulerView {
    const now = Date.now();
    return {
      running: this.current ? { ...this.current } : undefined,
      waiting: this.queue.map(({ owner, priority, since }) => ({ owner, priority, sinceMs: now - since })),
    };
  }

  /** Why `owner` waits, in words, or undefined when it does not. */
  waitReason(owner: string): string | undefined {
    const waiter = this.queue.find((item) => item.owner === owner);
    if (!waiter) return undefined;
    const ahead = this.current ? `${this.current.owner} (${this.current.priority})` : 'another run';
    return waiter.resumed ? `paused for a change in ${ahead}` : `waiting for ${ahead}`;
  }

  private async yieldTurn(ticket: RunTicket): Promise<void> {
    const head = this.queue[0];
    if (!head || RANK[head.priority] >= RANK[ticket.priority]) return;
    this.release();
    await this.acquire(ticket, true);
  }

  private acquire(ticket: RunTicket, resumed: boolean): Promise<void> {
    if (!this.current && this.queue.length === 0) {
      this.current = ticket;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { ...ticket, resumed, since: Date.now(), admit: () => ((this.current = ticket), resolve()) };
      // Priority order; within a priority, resumed runs first, then arrival order.
      const at = this.queue.findIndex(
        (other) => RANK[other.priority] > RANK[ticket.priority] || (other.priority === ticket.priority && resumed && !other.resumed),
      );
      this.queue.splice(at === -1 ? this.queue.length : at, 0, waiter);
    });
  }

  private release(): void {
    this.current = undefined;
    this.queue.shift()?.admit();
  }
}
