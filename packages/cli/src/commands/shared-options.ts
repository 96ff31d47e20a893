import type { OptionDefinition } from '../command.js';

/** `--by` and `--note`: who takes a person's action, and why. */
export const PERSON_OPTIONS: Readonly<Record<string, OptionDefinition>> = {
  by: { type: 'string', valueName: '<person>', description: 'who acts (default: the OS user)' },
  note: { type: 'string', valueName: '<text>', description: 'why; kept in the audit log' },
};

/**
 * `--allow <origin>`: the network origins tools may fetch from. A command that runs a tool
 * (`run`) or applies a change (`approvals approve`, `tools rollback`, `import`) needs them: the
 * gate proves a network tool with its capabilities and refuses one outside the envelope.
 */
export const ALLOW_OPTION: Readonly<Record<string, OptionDefinition>> = {
  allow: { type: 'string', multiple: true, valueName: '<origin>', description: 'an origin tools may fetch from, e.g. https://api.example.com (repeatable; default: none)' },
};
