import type { JsonObject } from '../../core/types.js';
import type { Queryable } from '../db.js';

/** How one kind's specs map to typed, analyst-readable tables. */
export interface KindTable {
  kind: string;
  /** Reconstruct every stored spec (archived included) from the typed rows. */
  read(q: Queryable): Promise<Map<string, JsonObject>>;
  /** Write the given specs, replacing their rows (meta: the commit being applied). */
  write(q: Queryable, items: ReadonlyArray<{ name: string; spec: JsonObject }>, meta: { gitSha: string }): Promise<void>;
}
