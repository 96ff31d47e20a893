import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Backend } from '@toolwright/store/testing';
import type { Toolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freshDatabase, type TestHandle } from './test-support/backends.js';
import { makeToolDatabase, openToolwright, promoteMultiply, type DatabaseAt } from './test-support/fixture.js';

/** A server started on a database, and an SDK client connected to it. */
export interface Connected {
  readonly client: Client;
  /** Ends the client and the server; resolves when both are closed (memory flushed). */
  close(): Promise<void>;
}

/** How a transport's test starts a server and connects a client. */
export type Connect = (at: DatabaseAt, client: Client) => Promise<Connected>;

export const CLIENT_INFO = { name: 'toolwright-test', version: '1.0.0' };

/** The text of a result's first content block. */
export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content[0];
  return content?.type === 'text' ? content.text : '';
}

/** The task ids recorded with the invocations of `tool`, read straight from memory's table. */
export async function recordedTaskIds(toolwright: Toolwright, tool: string): Promise<string[]> {
  const rows = (await toolwright.database.kysely.selectFrom('memory_invocations').select(['task_id']).where('tool', '=', tool).execute()) as { task_id: string | null }[];
  return rows.map((row) => row.task_id ?? '');
}

/**
 * What every transport must do, against the SDK's own client: list with schemas and version
 * facts, call, a validation error, a tool error, list_changed after a promotion made through
 * another database handle (another process in the stdio test), the kill switch, a pin.
 */
export function describeMcpTransport(transport: string, backends: readonly Backend<TestHandle>[], connect: Connect): void {
  for (const backend of backends) {
    describe(`${transport} on ${backend.name}`, () => {
      let database: Awaited<ReturnType<typeof freshDatabase>>;
      let other: Toolwright; // a second instance on the same database: the one that changes things
      let served: Connected;
      let client: Client;
      const changes: number[] = [];
      let onChange: (() => void) | undefined;

      beforeAll(async () => {
        database = await freshDatabase(backend);
        await makeToolDatabase(database.at);
        client = new Client(CLIENT_INFO);
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          changes.push(Date.now());
          onChange?.();
        });
        served = await connect(database.at, client);
        other = await openToolwright(database.at);
      });

      afterAll(async () => {
        await served?.close();
        await other?.close();
        await database?.cleanup();
      });

      const nextChange = (): Promise<void> => new Promise((resolve) => (onChange = resolve));

      test('lists every active tool with its schema, version, content hash and promotion evidence, and the stable pair', async () => {
        expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name).sort()).toEqual(['divide', 'sum_fares_price', 'toolwright_call', 'toolwright_tools']);
        const divide = tools.find((tool) => tool.name === 'divide');
        const active = await other.registry.active('divide');
        expect(divide?.inputSchema).toEqual(active?.spec?.inputSchema);
        expect(divide?.description).toBe('Divides a by b; refuses b = 0.');
        expect(divide?._meta).toMatchObject({
          'toolwright/version': 1,
          'toolwright/contentHash': active?.contentHash,
          'toolwright/pinned': false,
          'toolwright/promotion': { action: 'create-tool.applied', by: 'ada', byKind: 'person', regression: { decision: 'promote', cases: 1, passed: 1, passRate: 1 } },
        });
        const sum = tools.find((tool) => tool.name === 'sum_fares_price');
        expect(sum?._meta).toMatchObject({ 'toolwright/promotion': { byKind: 'model', by: 'offline-synthesis' } });
      });

      test('calls a tool through the sandbox and answers with its output and version', async () => {
        const result = await client.callTool({ name: 'sum_fares_price', arguments: { fares: [{ price: 1.5 }, { price: 2 }] } });
        expect(result.isError).toBeFalsy();
        expect(JSON.parse(textOf(result))).toBe(3.5);
        expect(result._meta).toMatchObject({ 'toolwright/version': 1 });
      });

      test('refuses arguments that do not fit the schema before anything runs', async () => {
        const result = await client.callTool({ name: 'divide', arguments: { a: 'six', b: 3 } });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(/^INVALID_ARGUMENT: The arguments of divide do not fit its input schema: .*a.*must be number/);
        expect(result._meta).toMatchObject({ 'toolwright/error': { code: 'INVALID_ARGUMENT' } });
        const missing = await client.callTool({ name: 'divide', arguments: { a: 1 } });
        expect(textOf(missing)).toMatch(/must have required property 'b'/);
      });

      test("returns a tool's failure as an MCP tool error with Toolwright's code and message, never a stack", async () => {
        const result = await client.callTool({ name: 'divide', arguments: { a: 1, b: 0 } });
        expect(result.isError).toBe(true);
        const text = textOf(result);
        expect(text).toMatch(/^[A-Z_]+: .*cannot divide by zero/);
        expect(text).not.toMatch(/\n\s+at /);
        expect((result._meta?.['toolwright/error'] as { code: string }).code).toMatch(/^[A-Z_]+$/);
        const unknown = await client.callTool({ name: 'no_such_tool', arguments: {} });
        expect(textOf(unknown)).toMatch(/^REGISTRY_NOT_FOUND: There is no active tool named "no_such_tool"/);
      });

      test('a promotion made by another instance sends list_changed, and the next list shows the new tool', async () => {
        const heard = nextChange();
        await promoteMultiply(other);
        await heard;
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('multiply');
        const result = await client.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } });
        expect(JSON.parse(textOf(result))).toBe(42);
      });

      test('the stable pair reaches the new tool without a refresh: toolwright_tools and toolwright_call', async () => {
        const listing = await client.callTool({ name: 'toolwright_tools', arguments: {} });
        const { tools } = JSON.parse(textOf(listing)) as { tools: { name: string; version: number; contentHash: string; inputSchema: unknown }[] };
        expect(tools.map((tool) => tool.name)).toEqual(['divide', 'multiply', 'sum_fares_price']);
        expect(tools[1]).toMatchObject({ name: 'multiply', version: 1, inputSchema: { type: 'object' } });
        const one = await client.callTool({ name: 'toolwright_tools', arguments: { name: 'divide' } });
        expect((JSON.parse(textOf(one)) as { tools: unknown[] }).tools).toHaveLength(1);
        const called = await client.callTool({ name: 'toolwright_call', arguments: { name: 'multiply', arguments: { a: 2, b: 21 } } });
        expect(JSON.parse(textOf(called))).toBe(42);
        const invalid = await client.callTool({ name: 'toolwright_call', arguments: { name: 'multiply', arguments: { a: 'x', b: 1 } } });
        expect(textOf(invalid)).toMatch(/^INVALID_ARGUMENT/);
        const malformed = await client.callTool({ name: 'toolwright_call', arguments: { tool: 'multiply' } });
        expect(textOf(malformed)).toMatch(/^INVALID_ARGUMENT: toolwright_call takes/);
      });

      test('a pin by another instance sends list_changed; the pinned version keeps serving', async () => {
        const heard = nextChange();
        const pinned = await other.gate.propose({ kind: 'pin', origin: 'person', name: 'divide' }, { by: 'ada', reason: 'freeze it' });
        expect(pinned.status).toBe('applied');
        await heard;
        const { tools } = await client.listTools();
        expect(tools.find((tool) => tool.name === 'divide')?._meta).toMatchObject({ 'toolwright/pinned': true, 'toolwright/version': 1 });
        const result = await client.callTool({ name: 'divide', arguments: { a: 9, b: 3 } });
        expect(JSON.parse(textOf(result))).toBe(3);
        expect(result._meta).toMatchObject({ 'toolwright/version': 1 });
      });

      test('with the kill switch on, every call is refused with a clear message; off, calls run again', async () => {
        await other.policy.killSwitch.engage({ by: 'ada', reason: 'incident 42' });
        try {
          for (const call of [{ name: 'multiply', arguments: { a: 1, b: 2 } }, { name: 'toolwright_call', arguments: { name: 'multiply', arguments: { a: 1, b: 2 } } }]) {
            const result = await client.callTool(call);
            expect(result.isError).toBe(true);
            expect(textOf(result)).toMatch(/^POLICY_KILL_SWITCH: The kill switch is on by ada \(incident 42\): Toolwright refuses every tool call from MCP clients until a person releases it/);
          }
        } finally {
          await other.policy.killSwitch.release({ by: 'ada', reason: 'resolved' });
        }
        expect(JSON.parse(textOf(await client.callTool({ name: 'multiply', arguments: { a: 1, b: 2 } })))).toBe(2);
      });

      test('calls are recorded in memory with the MCP client as their task', async () => {
        await served.close();
        const ids = await recordedTaskIds(other, 'multiply');
        expect(ids.length).toBeGreaterThanOrEqual(3);
        for (const id of ids) expect(id).toMatch(/^mcp:toolwright-test:[0-9a-f]{8}$/);
        // Refused calls (bad arguments, the kill switch) never ran: divide ran twice (by zero, and 9 / 3).
        const divides = await recordedTaskIds(other, 'divide');
        expect(divides).toHaveLength(2);
      });
    });
  }
}
