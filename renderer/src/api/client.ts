/**
 * The renderer's typed API over whichever bridge it runs on. Callers name the contract's constants; every answer
 * and every event is validated against the contract before the UI sees it (main validates too: this side trusts
 * no transport), and nothing here rejects or throws: failures are `{ ok: false, error }` values.
 */
import { describeSchemaError, resultSchema, type FerryBridge, type RequestDef, type StreamDef } from '../../../shared/ipc/define';
import { transportError } from '../../../shared/ipc/errors';
import type { FerryError } from '../../../shared/errors';
import { err, type Result } from '../../../shared/result';

export interface FerryClient {
  invoke<I, O>(def: RequestDef<I, O>, input: I): Promise<Result<O, FerryError>>;
  /** Returns the function that ends the subscription. `onEnd` fires when main (or a bad event) ends it first. */
  subscribe<P, E>(def: StreamDef<P, E>, params: P, onEvent: (event: E) => void, onEnd?: (error?: FerryError) => void): () => void;
}

export function createClient(bridge: FerryBridge): FerryClient {
  async function invoke<I, O>(def: RequestDef<I, O>, input: I): Promise<Result<O, FerryError>> {
    const sent = def.input.safeParse(input);
    if (!sent.success) return err(describeSchemaError(`The input of ${def.id}`, sent.error));
    let raw: unknown;
    try {
      raw = await bridge.invoke(def.id, input);
    } catch {
      return err(transportError(`Ferry could not deliver ${def.id}.`));
    }
    const answer = resultSchema(def.output).safeParse(raw);
    return answer.success ? answer.data : err(describeSchemaError(`The answer to ${def.id}`, answer.error));
  }

  function subscribe<P, E>(def: StreamDef<P, E>, params: P, onEvent: (event: E) => void, onEnd?: (error?: FerryError) => void): () => void {
    const checked = def.params.safeParse(params);
    if (!checked.success) {
      const error = describeSchemaError(`The parameters of ${def.id}`, checked.error);
      void Promise.resolve().then(() => onEnd?.(error));
      return () => undefined;
    }
    let ended = false;
    // Filled once the bridge answers; an invalid event could in principle arrive before that.
    const handle: { stop?: () => void } = {};
    const finish = (error?: FerryError) => {
      if (ended) return;
      ended = true;
      handle.stop?.();
      onEnd?.(error);
    };
    const stop = bridge.subscribe(
      def.id,
      params,
      (raw) => {
        if (ended) return;
        const event = def.event.safeParse(raw);
        if (event.success) onEvent(event.data);
        else finish(describeSchemaError(`An event of ${def.id}`, event.error));
      },
      (error) => {
        if (ended) return;
        ended = true;
        onEnd?.(error);
      },
    );
    handle.stop = stop;
    if (ended) stop();
    return () => {
      if (ended) return;
      ended = true;
      stop();
    };
  }

  return { invoke, subscribe };
}
