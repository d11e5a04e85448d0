import { createClient, defineScript } from 'redis';
import type { JsonObject } from '../../core/types.js';
import type { SessionStore, SessionWrite, StoredSession } from '../../core/sessions.js';

// One hash per session: flow, version, state. The compare-and-set runs as one script, so no other
// write can come between the version check and the write; PEXPIRE refreshes the time to live.
const CAS = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `local v = redis.call('HGET', KEYS[1], 'version')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
local next = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'version', next, 'state', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return next`,
  parseCommand(parser, key: string, expected: string, state: string, ttlMs: string) {
    parser.pushKey(key);
    parser.push(expected, state, ttlMs);
  },
  transformReply: undefined as unknown as () => number,
});

const CREATE = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'flow', ARGV[1], 'version', 1, 'state', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`,
  parseCommand(parser, key: string, flow: string, state: string, ttlMs: string) {
    parser.pushKey(key);
    parser.push(flow, state, ttlMs);
  },
  transformReply: undefined as unknown as () => number,
});

export interface RedisSessionOptions {
  url: string;
  /** Key prefix, so several labctl deployments can share one Redis. */
  prefix?: string;
}

type Client = ReturnType<typeof connect>;

function connect(url: string) {
  return createClient({ url, scripts: { casSession: CAS, createSession: CREATE } });
}

/** Sessions in Redis through node-redis. */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis' as const;
  private constructor(private readonly client: Client, private readonly prefix: string) {}

  static async open(opts: RedisSessionOptions): Promise<RedisSessionStore> {
    const client = connect(opts.url);
    // Errors surface on the commands that hit them; without a listener node-redis would crash the process.
    client.on('error', () => undefined);
    await client.connect();
    return new RedisSessionStore(client, opts.prefix ?? 'labctl:session:');
  }

  async create(id: string, flow: string, state: JsonObject, ttlMs: number): Promise<boolean> {
    return (await this.client.createSession(this.prefix + id, flow, JSON.stringify(state), String(Math.max(1, Math.round(ttlMs))))) === 1;
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const h = await this.client.hGetAll(this.prefix + id);
    if (!h.version || h.state === undefined) return undefined;
    return { id, flow: h.flow ?? '', version: Number(h.version), state: JSON.parse(h.state) as JsonObject };
  }

  async update(id: string, expected: number, state: JsonObject, ttlMs: number): Promise<SessionWrite> {
    const r = Number(await this.client.casSession(this.prefix + id, String(expected), JSON.stringify(state), String(Math.max(1, Math.round(ttlMs)))));
    if (r === -1) return { ok: false, reason: 'missing' };
    if (r === 0) return { ok: false, reason: 'conflict' };
    return { ok: true, version: r };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
