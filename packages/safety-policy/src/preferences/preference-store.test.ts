import { describe, expect, it } from 'vitest';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { useTestStore } from '../test-support/fixture.js';
import { createPreferenceStore } from './preference-store.js';

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`preference store (${dialect})`, () => {
    const store = useTestStore(dialect);
    let time = 0;
    const clock = () => ++time;

    it('keeps each user their own preferences: add, list, edit, delete — and survives a restart', async () => {
      const preferences = await createPreferenceStore({ database: store().db, clock });
      const spanish = await preferences.add('ana', { text: 'Answer in Spanish.' });
      await preferences.add('ana', { text: 'Round money to cents.', source: 'implicit' });
      await preferences.add('bob', { text: 'Use bullet points.' });
      expect((await preferences.forUser('ana')).map((preference) => preference.text)).toEqual(['Answer in Spanish.', 'Round money to cents.']);
      expect((await preferences.forUser('bob')).map((preference) => [preference.text, preference.source])).toEqual([['Use bullet points.', 'explicit']]);
      expect(await preferences.users()).toEqual([{ userId: 'ana', count: 2 }, { userId: 'bob', count: 1 }]);
      const edited = await preferences.update('ana', spanish.id, 'Answer in Catalan.');
      expect(edited).toMatchObject({ id: spanish.id, userId: 'ana', text: 'Answer in Catalan.' });
      expect(edited.updatedAt).toBeGreaterThan(edited.createdAt);
      // One user cannot edit or delete another's preference, even knowing its id.
      await expect(preferences.update('bob', spanish.id, 'Hijacked.')).rejects.toMatchObject({ code: 'STORAGE_NOT_FOUND' });
      await expect(preferences.remove('bob', spanish.id)).rejects.toMatchObject({ code: 'STORAGE_NOT_FOUND' });
      await preferences.remove('ana', spanish.id);
      const restarted = await createPreferenceStore({ database: await store().reopen() });
      expect((await restarted.forUser('ana')).map((preference) => preference.text)).toEqual(['Round money to cents.']);
      expect(await restarted.forUser('carol')).toEqual([]);
    });

    it('caps the text and the number per user, and validates ids', async () => {
      const preferences = await createPreferenceStore({ database: store().db, maxPerUser: 2, clock });
      await expect(preferences.add('ana', { text: 'x'.repeat(501) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(preferences.add('ana', { text: '   ' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(preferences.add('', { text: 'Be brief.' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await preferences.add('ana', { text: 'Be brief.' });
      await preferences.add('ana', { text: 'Be kind.' });
      await expect(preferences.add('ana', { text: 'Be quick.' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/has 2 preferences already/) });
      expect((await preferences.add('bob', { text: 'Be quick.' })).userId).toBe('bob');
    });
  });
}
