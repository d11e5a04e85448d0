import type { JsonObject } from '../../core/types.js';
import type { SessionStore, SessionWrite, StoredSession } from '../../core/sessions.js';

/**
 * Sessions held in this process, for `labctl chat --dir` (one person, one terminal, nothing to
 * share or survive). Same contract as the others: compare-and-set writes, a time to live.
 */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory' as const;
  private readonly sessions = new Map<string, { flow: string; version: number; state: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(id: string, flow: string, state: JsonObject, ttlMs: number): Promise<boolean> {
    if (this.live(id)) return false;
    this.sessions.set(id, { flow, version: 1, state: JSON.stringify(state), expires: this.now() + ttlMs });
    return true;
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const s = this.live(id);
    // Stored as text, so a caller changing what it got cannot change the stored state.
    return s ? { id, flow: s.flow, version: s.version, state: JSON.parse(s.state) as JsonObject } : undefined;
  }

  async update(id: string, expected: number, state: JsonObject, ttlMs: number): Promise<SessionWrite> {
    const s = this.live(id);
    if (!s) return { ok: false, reason: 'missing' };
    if (s.version !== expected) return { ok: false, reason: 'conflict' };
    s.version += 1;
    s.state = JSON.stringify(state);
    s.expires = this.now() + ttlMs;
    return { ok: true, version: s.version };
  }

  private live(id: string) {
    const s = this.sessions.get(id);
    if (s && s.expires <= this.now()) this.sessions.delete(id);
    return s && s.expires > this.now() ? s : undefined;
  }

  async close(): Promise<void> {
    this.sessions.clear();
  }
}
