import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson, formatTime } from '../output.js';

/** `toolwright kill-switch on|off|status`. */
export const killSwitchCommand: CommandDefinition = {
  path: ['kill-switch'],
  summary: 'Stop all self-modification at once (on), allow it again (off), or show the switch (status).',
  details: 'While on, active tool versions keep serving; every change is denied and approvals cannot be approved.',
  positionals: [{ name: 'action', choices: ['on', 'off', 'status'] }],
  options: {
    by: { type: 'string', valueName: '<person>', description: 'who flips it (default: the OS user)' },
    reason: { type: 'string', valueName: '<text>', description: 'why; kept in the audit log' },
  },
  async run(context) {
    const action = context.args['action'];
    const toolwright = await context.open();
    try {
      let state;
      if (action === 'status') {
        state = await toolwright.policy.killSwitch.state();
      } else {
        const by = context.person();
        const reason = typeof context.options['reason'] === 'string' && context.options['reason'] !== '' ? context.options['reason'] : `${action === 'on' ? 'engaged' : 'released'} by ${by} with the toolwright CLI`;
        state = action === 'on' ? await toolwright.policy.killSwitch.engage({ by, reason }) : await toolwright.policy.killSwitch.release({ by, reason });
      }
      if (context.json) context.stdout.write(formatJson(state));
      else {
        const who = state.by === undefined ? '' : ` (by ${state.by} at ${formatTime(state.at)}${state.reason ? `: ${state.reason}` : ''})`;
        context.stdout.write(`kill switch: ${state.engaged ? 'ON — no self-modification' : 'off'}${who}\n`);
      }
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};
