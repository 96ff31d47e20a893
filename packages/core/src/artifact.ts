import { z } from 'zod';
import { ValidationError } from './errors.js';
import { jsonObjectSchema, jsonValueSchema } from './json.js';

/** Largest tool source accepted anywhere, in UTF-16 code units (256 KiB of ASCII). */
export const MAX_SOURCE_LENGTH = 256 * 1024;

/**
 * A tool's name: snake_case, starting with a letter, at most 64 characters — valid as a
 * function name for every OpenAI-compatible provider.
 */
export const toolNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,63}$/,
    'a tool name is snake_case: a lowercase letter, then lowercase letters, digits or "_", 64 characters at most',
  );

/** A prompt section's or learned rule's name: like a tool name, but `-` and `.` are allowed too. */
export const artifactNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_.-]{0,127}$/,
    'an artifact name starts with a lowercase letter, then lowercase letters, digits, "_", "-" or ".", 128 characters at most',
  );

/** An origin such as `https://api.example.com` or `http://127.0.0.1:8080`: scheme, host and port only. */
export const originSchema = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
    } catch {
      return false;
    }
  },
  { message: 'an origin is scheme://host[:port] with http or https and nothing after it, e.g. "https://api.example.com"' },
);

/**
 * Permission to call `fetch` on the listed origins, and nowhere else. `fallbacks` declares,
 * by primary origin, a secondary origin serving the same API (both listed in `origins`):
 * where a rewritten tool may retry when the primary fails, e.g.
 * `{ kind: 'fetch', origins: ['https://a.example', 'https://b.example'], fallbacks: { 'https://a.example': 'https://b.example' } }`.
 */
export const fetchCapabilitySchema = z
  .object({
    kind: z.literal('fetch'),
    origins: z.array(originSchema).min(1, 'list at least one origin'),
    fallbacks: z.record(originSchema, originSchema).optional(),
  })
  .strict()
  .refine(
    (capability) =>
      Object.entries(capability.fallbacks ?? {}).every(
        ([primary, secondary]) => primary !== secondary && capability.origins.includes(primary) && capability.origins.includes(secondary),
      ),
    { message: 'each fallback maps a listed origin to another listed origin', path: ['fallbacks'] },
  );

/**
 * Something a tool may do beyond computing on its input. Deny by default: a tool gets only
 * what it requests, what the sandbox grants, and what the policy's envelope allows.
 */
export const capabilitySchema = z.discriminatedUnion('kind', [fetchCapabilitySchema]);

/** An example of the tool's behaviour: this input gives this output. Examples become regression cases. */
export const toolExampleSchema = z
  .object({
    input: jsonValueSchema,
    output: jsonValueSchema,
    description: z.string().max(500).optional(),
  })
  .strict();

/**
 * How close a tool's numbers must come to its examples' outputs: within `absolute`, or within
 * `relative` × the larger magnitude, whichever is looser. `{ absolute: 0.005 }` is "to the
 * cent". Absent: the agent's default (1e-9 absolute).
 */
export const exampleToleranceSchema = z
  .object({
    absolute: z.number().nonnegative().finite().max(1e12).optional(),
    relative: z.number().nonnegative().max(1).optional(),
  })
  .strict();

/** The language of a tool's source: TypeScript (types are stripped before loading) or JavaScript. */
export const toolLanguageSchema = z.enum(['ts', 'js']);

/** JSON Schema of a tool's single argument; it must describe an object. */
export const toolInputSchemaSchema = jsonObjectSchema.refine((schema) => schema['type'] === 'object', {
  message: 'the input schema must describe an object: { "type": "object", "properties": { ... } }',
});

/**
 * Everything about a tool except its source: what the registry stores as a tool version's
 * `spec`, and what the model sees.
 */
export const toolManifestSchema = z
  .object({
    name: toolNameSchema,
    description: z.string().min(1, 'describe what the tool does').max(2000),
    inputSchema: toolInputSchemaSchema,
    language: toolLanguageSchema.default('ts'),
    capabilities: z.array(capabilitySchema).default([]),
    examples: z.array(toolExampleSchema).default([]),
    /** How its outputs are compared with its examples' (see {@link exampleToleranceSchema}); kept with the cases made from them. */
    tolerance: exampleToleranceSchema.optional(),
  })
  .strict();

/**
 * A complete tool: its manifest plus its source, an ES module whose default export is the
 * tool — one JSON argument in, a JSON value (or a Promise of one) out.
 *
 * @example
 * ```ts
 * const spec = toolSpecSchema.parse({
 *   name: 'total_fares',
 *   description: 'Sums a list of fares',
 *   inputSchema: z.toJSONSchema(z.object({ fares: z.array(z.number()) })),
 *   source: 'export default ({ fares }: { fares: number[] }) => fares.reduce((a, b) => a + b, 0);',
 *   examples: [{ input: { fares: [1, 2] }, output: 3 }],
 * });
 * ```
 */
export const toolSpecSchema = toolManifestSchema
  .extend({
    source: z.string().min(1, 'the source is empty').max(MAX_SOURCE_LENGTH, `the source exceeds ${MAX_SOURCE_LENGTH} characters`),
  })
  .strict();

/** Who proposed a version: a model (by model id), a deterministic transform (by name), or a person. */
export const authorSchema = z
  .object({
    kind: z.enum(['model', 'transform', 'person']),
    id: z.string().min(1).max(200),
  })
  .strict();

/** What kind of artifact a version belongs to. */
export const artifactKindSchema = z.enum(['tool', 'prompt-section']);

/**
 * A version's lifecycle: `candidate` → `active` → `retired` (and back to `active` on
 * rollback), or `candidate` → `rejected`. Exactly one version of an artifact is active.
 */
export const versionStatusSchema = z.enum(['candidate', 'active', 'retired', 'rejected']);

/** The status changes a registry may make; anything else is `REGISTRY_INVALID_TRANSITION`. */
export const VERSION_TRANSITIONS: Readonly<Record<VersionStatus, readonly VersionStatus[]>> = Object.freeze({
  candidate: ['active', 'rejected'],
  active: ['retired'],
  retired: ['active'],
  rejected: [],
});

/** True when a version may move from `from` to `to`. */
export function canTransition(from: VersionStatus, to: VersionStatus): boolean {
  return VERSION_TRANSITIONS[from].includes(to);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * One immutable version of an artifact as the registry stores it. `source` is the tool's
 * module or the prompt section's text; `spec` is the tool manifest (absent for prompt
 * sections). `contentHash` is `contentHash({ kind, name, source, spec })` (see `hash.ts`).
 */
export const artifactVersionSchema = z
  .object({
    kind: artifactKindSchema,
    name: artifactNameSchema,
    version: z.number().int().min(1),
    source: z.string().max(MAX_SOURCE_LENGTH),
    spec: toolManifestSchema.optional(),
    contentHash: z.string().regex(SHA256_HEX, 'a content hash is 64 lowercase hex digits'),
    parent: z.number().int().min(1).nullable(),
    author: authorSchema,
    reason: z.string().max(4000),
    status: versionStatusSchema,
    pinned: z.boolean(),
    /** Milliseconds since the epoch. */
    createdAt: z.number().int().nonnegative(),
  })
  .strict()
  .refine((version) => (version.kind === 'tool') === (version.spec !== undefined), {
    message: 'a tool version carries a spec and a prompt-section version does not',
    path: ['spec'],
  })
  .refine((version) => version.kind !== 'tool' || version.spec?.name === version.name, {
    message: "a tool version's spec.name equals its name",
    path: ['spec', 'name'],
  });

/** See {@link toolNameSchema}. */
export type ToolName = z.infer<typeof toolNameSchema>;
/** See {@link fetchCapabilitySchema}. */
export type FetchCapability = z.infer<typeof fetchCapabilitySchema>;
/** See {@link capabilitySchema}. */
export type Capability = z.infer<typeof capabilitySchema>;
/** See {@link toolExampleSchema}. */
export type ToolExample = z.infer<typeof toolExampleSchema>;
/** See {@link toolLanguageSchema}. */
export type ToolLanguage = z.infer<typeof toolLanguageSchema>;
/** See {@link toolManifestSchema}; the parsed form, with defaults filled in. */
export type ToolManifest = z.output<typeof toolManifestSchema>;
/** See {@link toolSpecSchema}; the parsed form, with defaults filled in. */
export type ToolSpec = z.output<typeof toolSpecSchema>;
/** What a caller may pass before defaults are filled in. */
export type ToolSpecInput = z.input<typeof toolSpecSchema>;
/** See {@link authorSchema}. */
export type Author = z.infer<typeof authorSchema>;
/** See {@link artifactKindSchema}. */
export type ArtifactKind = z.infer<typeof artifactKindSchema>;
/** See {@link versionStatusSchema}. */
export type VersionStatus = z.infer<typeof versionStatusSchema>;
/** See {@link artifactVersionSchema}. */
export type ArtifactVersion = z.output<typeof artifactVersionSchema>;

/** Splits a tool spec into the manifest the registry stores as `spec` and the source. */
export function splitToolSpec(spec: ToolSpec): { manifest: ToolManifest; source: string } {
  const { source, ...manifest } = spec;
  return { manifest, source };
}

/** The full tool spec of a tool version. Throws `INVALID_ARGUMENT` for a prompt section. */
export function toolSpecOf(version: Pick<ArtifactVersion, 'kind' | 'name' | 'source' | 'spec'>): ToolSpec {
  if (version.kind !== 'tool' || version.spec === undefined) {
    throw new ValidationError('INVALID_ARGUMENT', `"${version.name}" is a ${version.kind}, not a tool; it has no tool spec.`);
  }
  return { ...version.spec, source: version.source };
}
