/**
 * The live controls of a migration, one spelling for the contract, main's engine and the renderer:
 * setSpeed (MiB/s, migrate-setspeed), setMaxDowntime (ms, migrate-setmaxdowntime), postcopy, abort;
 * resumePostcopy (`virsh migrate --postcopy-resume`, same destination and URIs) for a `post-copy-interrupted` run.
 */
export const MIGRATION_CONTROL_ACTIONS = ['setSpeed', 'setMaxDowntime', 'postcopy', 'abort', 'resumePostcopy'] as const;
export type MigrationControlAction = (typeof MIGRATION_CONTROL_ACTIONS)[number];
/** The controls that take a value (MiB/s or ms); the others take none. */
export const VALUED_CONTROL_ACTIONS = ['setSpeed', 'setMaxDowntime'] as const satisfies readonly MigrationControlAction[];
export type ValuedControlAction = (typeof VALUED_CONTROL_ACTIONS)[number];

/** A control as the renderer asks for it: the action, and its value where it takes one. */
export type MigrationControl =
  | { readonly action: ValuedControlAction; readonly value: number }
  | { readonly action: Exclude<MigrationControlAction, ValuedControlAction> };

export function isControlAction(action: string): action is MigrationControlAction {
  return (MIGRATION_CONTROL_ACTIONS as readonly string[]).includes(action);
}

export function takesValue(action: MigrationControlAction): action is ValuedControlAction {
  return (VALUED_CONTROL_ACTIONS as readonly string[]).includes(action);
}
