// The pure stepping engine of conversation flows: compile a flow version, then start, advance and
// resume sessions. Effects (model calls, HTTP calls, loading sub-flows) are returned as data; the
// runtime performs them and feeds the results back. No I/O, no clock, no randomness.
export { compileFlow, promptsOf, callsOf, FlowCompileError, type CompiledFlow, type CompiledStep, type PromptSource } from './compile.js';
export { startSession, advance, resume, atPath, type StepOptions } from './step.js';
export { DEFAULT_MAX_STEPS } from './run.js';
export { checkSlotValue, parseSlotInput, outputSchema, slotSchema, compileSlot, type CompiledSlot, type SlotCheck } from './slots.js';
export { bindPrompt, type BoundPrompt, type RenderedPrompt } from './render.js';
export { flowVersion, flowContent, type FlowContent } from './version.js';
export * from './spec.js';
export * from './state.js';
