import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson, formatTable, formatTime, truncate } from '../output.js';
import { UsageError } from '../usage-error.js';

// Per-user preferences (`toolwright.preferences`): what each user prefers, applied only to that
// user's runs. A person lists, adds, edits and deletes them here; errors (an unknown id, a text
// over 500 characters, a user at the cap) end the command with their usual exit codes.

/** `toolwright preferences users`. */
export const preferencesUsersCommand: CommandDefinition = {
  path: ['preferences', 'users'],
  summary: 'List the users (or tenants) that have stored preferences, with how many each.',
  positionals: [],
  options: {},
  async run(context) {
    const toolwright = await context.open();
    try {
      const users = await toolwright.preferences.users();
      if (context.json) context.stdout.write(formatJson(users));
      else if (users.length === 0) context.stdout.write('No user has a stored preference.\n');
      else context.stdout.write(formatTable(['user', 'preferences'], users.map((user) => [user.userId, String(user.count)])));
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright preferences list <user>`. */
export const preferencesListCommand: CommandDefinition = {
  path: ['preferences', 'list'],
  summary: "List one user's preferences, oldest first: what that user's runs add to their prompt.",
  positionals: [{ name: 'user' }],
  options: {},
  async run(context) {
    const user = context.args['user'] as string;
    const toolwright = await context.open();
    try {
      const preferences = await toolwright.preferences.list(user);
      if (context.json) context.stdout.write(formatJson(preferences));
      else if (preferences.length === 0) context.stdout.write(`User ${user} has no stored preference.\n`);
      else
        context.stdout.write(
          formatTable(
            ['id', 'source', 'updated', 'text'],
            preferences.map((preference) => [preference.id, preference.source, formatTime(preference.updatedAt), truncate(preference.text, 100)]),
          ),
        );
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright preferences add <user> <text>`. */
export const preferencesAddCommand: CommandDefinition = {
  path: ['preferences', 'add'],
  summary: 'Add a preference for one user (one short instruction, at most 500 characters).',
  details: '--implicit marks a preference learned from signals (accepted without edit, restated, edited) rather than said by the user.',
  positionals: [{ name: 'user' }, { name: 'text' }],
  options: { implicit: { type: 'boolean', description: 'learned from implicit signals (default: explicit)' } },
  async run(context) {
    const user = context.args['user'] as string;
    const text = context.args['text'] as string;
    const toolwright = await context.open();
    try {
      const preference = await toolwright.preferences.add(user, { text, source: context.options['implicit'] === true ? 'implicit' : 'explicit' });
      context.stdout.write(context.json ? formatJson(preference) : `Added preference ${preference.id} for ${user}.\n`);
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright preferences edit <user> <id> <text>`. */
export const preferencesEditCommand: CommandDefinition = {
  path: ['preferences', 'edit'],
  summary: "Change the text of one of a user's preferences.",
  positionals: [{ name: 'user' }, { name: 'id' }, { name: 'text' }],
  options: {},
  async run(context) {
    const user = context.args['user'] as string;
    const id = context.args['id'] as string;
    const text = context.args['text'] as string;
    if (text.trim() === '') throw new UsageError('The new text is empty; to remove the preference, use toolwright preferences delete.', 'preferences edit');
    const toolwright = await context.open();
    try {
      const preference = await toolwright.preferences.update(user, id, text);
      context.stdout.write(context.json ? formatJson(preference) : `Preference ${id} of ${user} now reads: ${truncate(preference.text, 200)}\n`);
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright preferences delete <user> <id>`. */
export const preferencesDeleteCommand: CommandDefinition = {
  path: ['preferences', 'delete'],
  summary: "Delete one of a user's preferences.",
  positionals: [{ name: 'user' }, { name: 'id' }],
  options: {},
  async run(context) {
    const user = context.args['user'] as string;
    const id = context.args['id'] as string;
    const toolwright = await context.open();
    try {
      await toolwright.preferences.remove(user, id);
      context.stdout.write(context.json ? formatJson({ deleted: id, userId: user }) : `Deleted preference ${id} of ${user}.\n`);
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** Every `toolwright preferences …` command, in the order the help lists them. */
export const preferencesCommands: readonly CommandDefinition[] = [preferencesUsersCommand, preferencesListCommand, preferencesAddCommand, preferencesEditCommand, preferencesDeleteCommand];
