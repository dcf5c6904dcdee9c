/**
 * The wire schema of a FerryError: a code this build does not list still passes (an old journal or report may carry
 * one), an empty or missing code does not, and an absent detail stays absent.
 */
import { describe, expect, it } from 'vitest';
import { ferryErrorSchema, resultSchema } from '../../shared/ipc/define';
import { z } from 'zod';

describe('ferryErrorSchema', () => {
  it('accepts a code it does not know and keeps an absent detail absent', () => {
    const r = ferryErrorSchema.safeParse({ code: 'retired.code', message: 'm' });
    expect(r.success && r.data).toStrictEqual({ code: 'retired.code', message: 'm' });
  });
  it('refuses an empty code, a code that is not a string, and a detail that is not a string', () => {
    expect(ferryErrorSchema.safeParse({ code: '', message: 'm' }).success).toBe(false);
    expect(ferryErrorSchema.safeParse({ code: 7, message: 'm' }).success).toBe(false);
    expect(ferryErrorSchema.safeParse({ code: 'ssh.timeout', message: 'm', detail: 1 }).success).toBe(false);
  });
  it('checks a result on both branches', () => {
    const schema = resultSchema(z.number());
    expect(schema.safeParse({ ok: true, value: 1 }).success).toBe(true);
    expect(schema.safeParse({ ok: true, value: 'one' }).success).toBe(false);
    expect(schema.safeParse({ ok: false, error: { code: 'ssh.timeout', message: 'm' } }).success).toBe(true);
    expect(schema.safeParse({ ok: false, error: { message: 'm' } }).success).toBe(false);
  });
});
