/**
 * Expected failures are values, not exceptions: a thrown Error loses everything but its message when it crosses
 * a process boundary, and a caller cannot forget to handle a Result.
 */
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E> = { readonly ok: false; readonly error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });

export function map<T, U, E>(r: Result<T, E>, f: (v: T) => U): Result<U, E> {
  return r.ok ? ok(f(r.value)) : r;
}

export function unwrap<T, E extends { message: string }>(r: Result<T, E>): T {
  if (r.ok) return r.value;
  throw new Error(r.error.message);
}
