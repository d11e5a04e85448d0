import { isDeepStrictEqual } from 'node:util';
import { decodeSegment, HttpError, sendJson } from '../../core/http.js';
import type { KindRoute } from '../../kinds/routes.js';
import { flowCatalog } from './catalog.js';
import { replaySession, ReplayError } from './replay.js';
import type { FlowRuntime } from './runtime.js';

/**
 * POST /v1/sessions/{id}/replay: run the session again from its step log, calling no model and no
 * tool, and say whether it comes out as recorded (same transcript, slots and state).
 */
export function replayRoute(runtime: FlowRuntime): KindRoute {
  return {
    name: 'flow_session_replay',
    method: 'POST',
    path: '/v1/sessions/:id/replay',
    handle: async (ctx, { res, params }) => {
      const id = decodeSegment(params.id!);
      const { record, events } = await runtime.get(id);
      let replay;
      try {
        replay = replaySession(flowCatalog(ctx.source.current), events);
      } catch (e) {
        if (e instanceof ReplayError) throw new HttpError(409, `replay_${e.code}`, `session ${id} cannot be replayed: ${e.message}`);
        throw e;
      }
      const s = record.session;
      const same = { transcript: isDeepStrictEqual(replay.transcript, s.transcript), slots: isDeepStrictEqual(replay.state.slots, s.slots), state: replay.state.status === s.status && replay.state.step === s.step };
      sendJson(
        res,
        200,
        {
          session: id,
          matches: same.transcript && same.slots && same.state,
          same,
          messages: replay.messages,
          state: replay.state.status,
          step: replay.state.step,
          slots: replay.state.slots,
          transcript: replay.transcript.map((m) => ({ role: m.role, text: m.text, step: m.step })),
        },
        ctx.source.current.revision,
      );
    },
  };
}
