import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { type Bundle, RegistryError, ValidationError } from '@toolwright/core';
import { z } from 'zod';

/**
 * A bundle's signature: Ed25519 over `toolwright.bundle:<bundleHash>`. The bundle hash covers
 * every other field of the bundle, every version in full, so the signature does too; unlike
 * the hash, it cannot be recomputed by whoever alters the bundle without the private key.
 */
export interface BundleSignature {
  readonly algorithm: 'ed25519';
  /** The signature, base64. */
  readonly value: string;
}

/** A bundle with its signature, as `exportBundle` returns it when a signing key is configured. */
export type SignedBundle = Bundle & { readonly signature?: BundleSignature };

/** A key as the registry takes it: a `KeyObject` of `node:crypto`, or PEM text. */
export type BundleKey = KeyObject | string;

/** The shape of a signature inside a bundle. */
export const bundleSignatureSchema = z
  .object({
    algorithm: z.literal('ed25519'),
    value: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'an Ed25519 signature is 64 bytes, base64'),
  })
  .strict();

function signedText(bundleHash: string): Buffer {
  return Buffer.from(`toolwright.bundle:${bundleHash}`, 'utf8');
}

function ed25519(key: BundleKey, type: 'private' | 'public', option: string): KeyObject {
  let object: KeyObject;
  try {
    if (typeof key === 'string') object = type === 'private' ? createPrivateKey(key) : createPublicKey(key);
    else object = type === 'public' && key.type === 'private' ? createPublicKey(key) : key;
  } catch (error) {
    throw new ValidationError('INVALID_ARGUMENT', `${option} is not a readable ${type} key (${(error as Error).message}); pass a KeyObject or PEM text of an Ed25519 key.`);
  }
  if (object.asymmetricKeyType !== 'ed25519' || object.type !== type) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `${option} must be an Ed25519 ${type} key; got a ${object.asymmetricKeyType ?? 'symmetric'} ${object.type} key. Make one with generateKeyPairSync('ed25519') of node:crypto.`,
    );
  }
  return object;
}

/** Checks a configured signing key (an Ed25519 private key) once, when the registry is created. */
export function signingKeyOf(key: BundleKey): KeyObject {
  return ed25519(key, 'private', 'bundleSigningKey');
}

/** Checks a configured verification key (an Ed25519 public key; a private key gives its public half). */
export function verifyingKeyOf(key: BundleKey): KeyObject {
  return ed25519(key, 'public', 'bundlePublicKey');
}

/** Signs a sealed bundle with an Ed25519 private key. */
export function signBundle<T extends Bundle>(bundle: T, privateKey: KeyObject): T & { readonly signature: BundleSignature } {
  const value = sign(null, signedText(bundle.bundleHash), privateKey).toString('base64');
  return { ...bundle, signature: { algorithm: 'ed25519', value } };
}

/**
 * Checks that a bundle whose seal already matched is signed by the holder of `publicKey`:
 * no signature is `REGISTRY_BUNDLE_UNSIGNED`, a signature that does not verify (the bundle was
 * altered and re-sealed, or signed by another key) is `REGISTRY_BUNDLE_INVALID`.
 */
export function checkBundleSignature(bundleHash: string, signature: BundleSignature | undefined, publicKey: KeyObject): void {
  if (signature === undefined) {
    throw new RegistryError(
      'REGISTRY_BUNDLE_UNSIGNED',
      `Bundle ${bundleHash.slice(0, 12)}… carries no signature, and this registry imports only bundles signed by its configured key. Export it from a registry created with bundleSigningKey. Nothing was imported.`,
      { details: { bundleHash } },
    );
  }
  if (!verify(null, signedText(bundleHash), publicKey, Buffer.from(signature.value, 'base64'))) {
    throw new RegistryError(
      'REGISTRY_BUNDLE_INVALID',
      `The signature of bundle ${bundleHash.slice(0, 12)}… does not verify with the configured public key: the bundle was altered after it was signed, or signed by another key. Nothing was imported.`,
      { details: { bundleHash } },
    );
  }
}
