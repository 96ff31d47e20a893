import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createToolwright } from './create-toolwright.js';

// Issue 24: `bundles` passes Ed25519 keys through to the registry (export signs) and the gate
// (import refuses what is not signed with the key). Real SQLite, sandbox, gate.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-bundles-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('createToolwright({ bundles })', () => {
  it('signs exported bundles with signingKey and imports only bundles signed for publicKey', async () => {
    const keys = generateKeyPairSync('ed25519');
    const exporter = await createToolwright({ database: `sqlite:${join(directory, 'exporter.db')}`, improve: false, reflect: false, bundles: { signingKey: keys.privateKey } });
    const importer = await createToolwright({ database: `sqlite:${join(directory, 'importer.db')}`, improve: false, reflect: false, bundles: { publicKey: keys.publicKey } });
    try {
      const section = await exporter.gate.propose({ kind: 'change-prompt-section', origin: 'person', name: 'style', fromVersion: undefined, text: 'Answer briefly.' }, { by: 'ada' });
      expect(section.status, section.summary).toBe('applied');
      const bundle = await exporter.registry.exportBundle();
      expect(bundle).toMatchObject({ signature: { algorithm: 'ed25519' } });

      const { signature: _signature, ...unsigned } = bundle as typeof bundle & { signature?: unknown };
      const refused = await importer.gate.importBundle(unsigned, { by: 'ada' });
      expect(refused.status === 'failed' && refused.error.code).toBe('REGISTRY_BUNDLE_UNSIGNED');
      const imported = await importer.gate.importBundle(bundle, { by: 'ada' });
      expect(imported.status, imported.summary).toBe('applied');
    } finally {
      await exporter.close();
      await importer.close();
    }
  });
});
