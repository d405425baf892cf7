// What both workers of bench/delta-sync.mjs share: a quiet logger (HG_BENCH_DEBUG=1 shows it) and the
// IPC loop answering the orchestrator's {id, cmd, args} with {id, ok, value | error}.
import { Writable } from 'node:stream';

/** A pino logger from the build under test: silent unless HG_BENCH_DEBUG is set. */
export function benchLogger(createLogger, component, level) {
  const debug = Boolean(process.env.HG_BENCH_DEBUG);
  return createLogger({
    component,
    destination: debug ? process.stderr : new Writable({ write: (_c, _e, cb) => cb() }),
    level: debug ? 'debug' : level,
  });
}

/** Serves `handlers[cmd](args)` over the fork channel and tells the parent it is ready. */
export function serve(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      process.send({ id, ok: true, value: await handlers[cmd](args ?? {}) });
    } catch (err) {
      process.send({ id, ok: false, error: String(err?.stack ?? err) });
    }
  });
  process.send({ ready: true });
}
