import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  ModelError,
  RegistryError,
  SandboxError,
  ToolwrightError,
  ValidationError,
  type CodeOf,
  type ToolwrightErrorCode,
} from './errors.js';

describe('ToolwrightError', () => {
  it('carries a stable code, its area, details and cause, and names itself after its class', () => {
    const cause = new Error('disk full');
    const error = new RegistryError('REGISTRY_PINNED', 'total_fares is pinned; unpin it first.', {
      cause,
      details: { name: 'total_fares' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RegistryError');
    expect(error.code).toBe('REGISTRY_PINNED');
    expect(error.area).toBe('registry');
    expect(error.details).toEqual({ name: 'total_fares' });
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({
      name: 'RegistryError',
      code: 'REGISTRY_PINNED',
      message: 'total_fares is pinned; unpin it first.',
      details: { name: 'total_fares' },
    });
  });

  it('recognises errors from another copy of the package through the Symbol.for marker', () => {
    // What a second install of @toolwright/core would throw: same marker, different class.
    const foreign = Object.assign(new Error('boom'), {
      [Symbol.for('toolwright.error')]: true,
      code: 'SANDBOX_DISPOSED',
      area: 'sandbox',
    });
    expect(foreign instanceof ToolwrightError).toBe(false);
    expect(ToolwrightError.isInstance(foreign)).toBe(true);
    expect(SandboxError.isInstance(foreign)).toBe(true);
    expect(ModelError.isInstance(foreign)).toBe(false);
  });

  it('checks the area when isInstance is called on a subclass', () => {
    const error = new ModelError('MODEL_ABORTED', 'aborted');
    expect(ToolwrightError.isInstance(error)).toBe(true);
    expect(ModelError.isInstance(error)).toBe(true);
    expect(SandboxError.isInstance(error)).toBe(false);
    expect(ToolwrightError.isInstance(new Error('plain'))).toBe(false);
    expect(ToolwrightError.isInstance(null)).toBe(false);
    expect(ToolwrightError.isInstance('REGISTRY_PINNED')).toBe(false);
  });

  it('keeps every code in exactly one area, with a description', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(entry.description.length).toBeGreaterThan(10);
    }
  });

  it('restricts subclass codes to their area at the type level', () => {
    const code: CodeOf<'validation'> = 'INVALID_ARGUMENT';
    // @ts-expect-error a sandbox code is not a validation code
    const wrong: CodeOf<'validation'> = 'SANDBOX_DISPOSED';
    const any: ToolwrightErrorCode = wrong;
    expect(new ValidationError(code, 'bad').area).toBe('validation');
    expect(any).toBe('SANDBOX_DISPOSED');
  });
});
