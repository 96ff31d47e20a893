import { StorageError, ValidationError } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { driverMessage, isUnreachableError, toStorageError } from './storage-errors.js';

const driverError = (message: string, code?: string): Error => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('toStorageError', () => {
  it('passes Toolwright errors through unchanged', () => {
    const original = new ValidationError('INVALID_ARGUMENT', 'no');
    expect(toStorageError(original, 'reading notes')).toBe(original);
  });

  it('says STORAGE_UNREACHABLE for network, authentication and missing-database failures, keeping the cause', () => {
    for (const error of [
      driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      driverError('password authentication failed for user "x"', '28P01'),
      driverError('database "nope" does not exist', '3D000'),
      driverError('unable to open database file', 'SQLITE_CANTOPEN'),
      driverError('Connection terminated unexpectedly'),
      new AggregateError([driverError('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
    ]) {
      expect(isUnreachableError(error)).toBe(true);
      const mapped = toStorageError(error, 'reading notes from postgres://db/notes');
      expect(StorageError.isInstance(mapped) && mapped.code).toBe('STORAGE_UNREACHABLE');
      expect(mapped.message).toContain('while reading notes from postgres://db/notes');
      expect(mapped.cause).toBe(error);
    }
  });

  it('says STORAGE_CLOSED when the handle was closed under the operation', () => {
    const mapped = toStorageError(new Error('driver has already been destroyed'), 'flushing 3 notes');
    expect(mapped.code).toBe('STORAGE_CLOSED');
    expect(mapped.message).toMatch(/Close stores before their database/);
  });

  it('says STORAGE_FAILED with the driver’s own words for anything else', () => {
    const mapped = toStorageError(driverError('duplicate key value violates unique constraint "notes_pkey"', '23505'), 'storing note 1');
    expect(mapped.code).toBe('STORAGE_FAILED');
    expect(mapped.message).toBe('The database failed while storing note 1: 23505: duplicate key value violates unique constraint "notes_pkey". Nothing partial was written; retry, or check the database (disk space, permissions, locks held by other processes).');
    expect(toStorageError('a string', 'storing note 1').message).toContain(': a string.');
  });
});

describe('driverMessage', () => {
  it('leads with the code unless the message already names it, and reads the first error of an AggregateError', () => {
    expect(driverMessage(driverError('no such table: notes', 'SQLITE_ERROR'))).toBe('SQLITE_ERROR: no such table: notes');
    expect(driverMessage(driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(driverMessage(new AggregateError([driverError('first'), driverError('second')]))).toBe('first');
    expect(driverMessage(42)).toBe('42');
  });
});
