import { HttpError } from '../../core/http.js';

/** Messages to one session that may wait for the turn before them; more is a client that does not wait for answers. */
const MAX_WAITING = 32;

/**
 * The turns of each session, taken one at a time in this process. The store's compare-and-set
 * still guards against other replicas; queueing here means concurrent messages to a session on one
 * replica never race: none redoes a model call for a lost write, none runs out of write retries,
 * and a streamed turn (which cannot be redone) does not lose to a sibling.
 */
export class TurnQueue {
  private readonly sessions = new Map<string, { tail: Promise<void>; waiting: number }>();

  /** Run fn after the session's earlier turns here have finished (successfully or not). */
  async run<T>(session: string, fn: () => Promise<T>): Promise<T> {
    let q = this.sessions.get(session);
    if (!q) this.sessions.set(session, (q = { tail: Promise.resolve(), waiting: 0 }));
    if (q.waiting >= MAX_WAITING) throw new HttpError(409, 'session_busy', `${q.waiting} messages to session ${session} are waiting for their turn; wait for the answers before sending more`);
    q.waiting++;
    const result = q.tail.then(fn);
    q.tail = result.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await result;
    } finally {
      // The last turn out removes the entry, so the map only holds sessions with turns under way.
      if (--q.waiting === 0 && this.sessions.get(session) === q) this.sessions.delete(session);
    }
  }
}
