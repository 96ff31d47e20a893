import { runInUnit } from '@toolwright/store';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createPolicy } from './index.js';
import { createTool, diagnosis, fetchSource, fetchTo, rewriteTool, rulesOf, toolVersion, verdict } from './test-support/changes.js';
import { DIALECTS, skipDialect } from './test-support/databases.js';
import { policyOn, useTestStore } from './test-support/fixture.js';

const API = 'https://api.example.com';
const ENVELOPE = { capabilities: { envelope: [fetchTo(API)] } };
const networkRewrite = (variant: number) =>
  rewriteTool('rates', { capabilities: [fetchTo(API)], source: `${fetchSource(`${API}/rates`)}// v${variant}\n` });

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`approval queue (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('queues a change that needs a person with its evidence, once per identical change', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const current = toolVersion('rates', { capabilities: [fetchTo(API)], source: fetchSource(`${API}/rates`) });
      const context = { now: 5, current, diagnosis: diagnosis('rates', 0.6), verdict: verdict('rates') };
      const decision = await policy.review(networkRewrite(2), context);
      expect(decision.outcome).toBe('needs-approval');
      expect(decision.approvalId).toEqual(expect.any(String));
      const again = await policy.review(networkRewrite(2), { ...context, now: 6 });
      expect(again.approvalId).toBe(decision.approvalId);

      const [request] = await policy.approvals.list();
      expect(request).toMatchObject({
        id: decision.approvalId,
        status: 'proposed',
        change: networkRewrite(2),
        changeHash: decision.changeHash,
        reasons: decision.reasons,
        proposedAt: 5,
        proposedBy: 'agent',
        evidence: { diagnosis: diagnosis('rates', 0.6), verdict: verdict('rates') },
      });
      expect(request?.candidate).toBeUndefined();
      expect(request?.evidence.diff).toContain('--- manifest');
      expect(request?.evidence.diff).toContain('+ // v2');
      expect(await policy.approvals.list({ status: 'approved' })).toEqual([]);
      expect(await policy.approvals.list({ status: ['proposed', 'approved'], name: 'rates' })).toHaveLength(1);
      expect(await policy.approvals.list({ name: 'other' })).toEqual([]);
    });

    it('walks proposed → approved → applied, records who decided, and audits every step', async () => {
      const memory = await store().memory();
      const policy = await createPolicy({ database: store().db, audit: memory, clock: () => 777, ...ENVELOPE });
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      const approved = await policy.approvals.approve(approvalId, { by: 'ana', note: 'origin checked' });
      expect(approved).toMatchObject({ status: 'approved', decidedBy: 'ana', decidedAt: 777, decisionNote: 'origin checked' });
      const applied = await policy.approvals.markApplied(approvalId, { by: 'improvement-cycle' });
      expect(applied).toMatchObject({ status: 'applied', decidedBy: 'ana', appliedBy: 'improvement-cycle', appliedAt: 777 });
      const log = await memory.auditLog();
      expect(log.map((entry) => [entry.action, entry.actor])).toEqual([
        ['rewrite-tool.applied', { kind: 'system', id: 'improvement-cycle' }],
        ['approval.approve', { kind: 'person', id: 'ana' }],
        ['policy.needs-approval', { kind: 'system', id: 'safety-policy' }],
      ]);
      expect(log[1]).toMatchObject({ artifact: 'rates', fromVersion: 1, reason: 'origin checked', evidence: { approvalId, status: 'approved' } });
    });

    it('refuses replays and skipped steps with POLICY_APPROVAL_CONFLICT, unknown ids with POLICY_APPROVAL_NOT_FOUND, and audits the refusal', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { ...ENVELOPE, audit: memory });
      const first = (await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') })).approvalId ?? '';
      const second = (await policy.review(networkRewrite(2), { now: 2, verdict: verdict('rates') })).approvalId ?? '';
      await expect(policy.approvals.markApplied(first, { by: 'cycle' })).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT', details: { status: 'proposed' } });
      await policy.approvals.approve(first, { by: 'ana' });
      await expect(policy.approvals.approve(first, { by: 'ana' })).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT' });
      await expect(policy.approvals.reject(first, { by: 'bo' })).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT' });
      await policy.approvals.reject(second, { by: 'bo', note: 'not needed' });
      await expect(policy.approvals.markApplied(second, { by: 'cycle' })).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT', details: { status: 'rejected' } });
      await expect(policy.approvals.approve(second, { by: 'ana' })).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT' });
      await expect(policy.approvals.approve('no-such-id', { by: 'ana' })).rejects.toMatchObject({ code: 'POLICY_APPROVAL_NOT_FOUND' });
      await expect(policy.approvals.approve(first, { by: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await policy.approvals.get('no-such-id')).toBeUndefined();
      expect((await policy.approvals.get(first))?.status).toBe('approved');
      expect((await policy.approvals.get(second))?.status).toBe('rejected');
      const refusals = (await memory.auditLog()).filter((entry) => entry.action === 'approval.refused');
      expect(refusals.map((entry) => entry.evidence['code'])).toEqual([
        'POLICY_APPROVAL_NOT_FOUND',
        'POLICY_APPROVAL_CONFLICT',
        'POLICY_APPROVAL_CONFLICT',
        'POLICY_APPROVAL_CONFLICT',
        'POLICY_APPROVAL_CONFLICT',
        'POLICY_APPROVAL_CONFLICT',
      ]);
    });

    it('refuses to approve or apply while the kill switch is engaged, but lets a person reject', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const first = (await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') })).approvalId ?? '';
      const second = (await policy.review(networkRewrite(2), { now: 2, verdict: verdict('rates') })).approvalId ?? '';
      await policy.approvals.approve(second, { by: 'ana' });
      await policy.killSwitch.engage({ by: 'ana', reason: 'incident' });
      await expect(policy.approvals.approve(first, { by: 'ana' })).rejects.toMatchObject({ code: 'POLICY_KILL_SWITCH' });
      await expect(policy.approvals.markApplied(second, { by: 'cycle' })).rejects.toMatchObject({ code: 'POLICY_KILL_SWITCH' });
      expect((await policy.approvals.reject(first, { by: 'ana' })).status).toBe('rejected');
      expect((await policy.approvals.get(second))?.status).toBe('approved');
    });

    it('counts an applied change toward the caps, like an automatic one', async () => {
      const policy = await policyOn(store(), { ...ENVELOPE, evolution: { rewritesPerTool: { max: 1 } } });
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      // Proposed and approved changes have not happened yet.
      await policy.approvals.approve(approvalId, { by: 'ana' });
      expect((await policy.review(networkRewrite(2), { now: 2, verdict: verdict('rates') })).outcome).toBe('needs-approval');
      await policy.approvals.markApplied(approvalId, { by: 'cycle' });
      expect(rulesOf(await policy.review(networkRewrite(3), { now: 3, verdict: verdict('rates') }))).toEqual(['rewrite-rate']);
    });

    it('refuses changes that need a person once the queue is full', async () => {
      const policy = await policyOn(store(), { ...ENVELOPE, evolution: { maxPendingApprovals: 2 } });
      await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      const second = await policy.review(networkRewrite(2), { now: 2, verdict: verdict('rates') });
      const third = await policy.review(networkRewrite(3), { now: 3, verdict: verdict('rates') });
      expect(third.outcome).toBe('deny');
      expect(rulesOf(third)).toEqual(['approval-queue-full']);
      // The identical change finds its open request; a decided request frees a slot.
      expect((await policy.review(networkRewrite(2), { now: 4, verdict: verdict('rates') })).approvalId).toBe(second.approvalId);
      await policy.approvals.reject(second.approvalId ?? '', { by: 'ana' });
      expect((await policy.review(networkRewrite(3), { now: 5, verdict: verdict('rates') })).outcome).toBe('needs-approval');
      // Allowed changes never wait in the queue.
      expect((await policy.review(createTool('pure'), { now: 6, verdict: verdict('pure') })).outcome).toBe('allow');
    });

    it('lets exactly one of two concurrent approvals win, and persists the queue across restarts', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      const other = await createPolicy({ database: dialect === 'postgres' ? await store().reopen() : store().db });
      const results = await Promise.allSettled([policy.approvals.approve(approvalId, { by: 'ana' }), other.approvals.approve(approvalId, { by: 'bo' })]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected');
      expect(rejected?.status === 'rejected' ? rejected.reason : undefined).toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT' });
      const restarted = await createPolicy({ database: await store().reopen() });
      expect((await restarted.approvals.get(approvalId))?.status).toBe('approved');
    });

    it('keeps the candidate a request carries and who proposed it', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const candidate = { ...toolVersion('rates', { version: 4, capabilities: [fetchTo(API)], source: `${fetchSource(`${API}/rates`)}// v1\n` }), status: 'candidate' as const };
      const byAgent = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates'), candidate });
      expect(await policy.approvals.get(byAgent.approvalId ?? '')).toMatchObject({
        proposedBy: 'agent',
        candidate: { name: 'rates', version: 4, contentHash: candidate.contentHash },
      });
      const bundle = await policy.review({ kind: 'import-bundle', origin: 'agent', bundleHash: 'b'.repeat(64), names: ['rates'] }, { now: 2 });
      expect(await policy.approvals.get(bundle.approvalId ?? '')).toMatchObject({ proposedBy: 'agent', change: { kind: 'import-bundle' } });
      expect((await policy.approvals.get(bundle.approvalId ?? ''))?.candidate).toBeUndefined();
    });

    it('refuses the proposer as approver', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      // No rule queues a person's own change today; a request proposed by a person (as a later rule might queue) stands in.
      await sql`update toolwright_policy_approvals set proposed_by = 'ana' where id = ${approvalId}`.execute(store().db.kysely);
      expect((await policy.approvals.get(approvalId))?.proposedBy).toBe('ana');
      await expect(policy.approvals.approve(approvalId, { by: 'ana' })).rejects.toMatchObject({ code: 'POLICY_APPROVER_REFUSED', message: expect.stringMatching(/ana proposed this change/) });
      await expect(policy.approvals.reject(approvalId, { by: 'ana' })).rejects.toMatchObject({ code: 'POLICY_APPROVER_REFUSED' });
      expect((await policy.approvals.approve(approvalId, { by: 'bo' })).decidedBy).toBe('bo');
    });

    it('refuses approvers that are not a person or are off the approver list (POLICY_APPROVER_REFUSED), and audits the refusal', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { ...ENVELOPE, audit: memory, approvals: { approvers: ['ana', 'bo'] } });
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      for (const by of ['agent', 'Agent', 'system', 'policy', 'safety-policy', 'mallory']) {
        await expect(policy.approvals.approve(approvalId, { by })).rejects.toMatchObject({ code: 'POLICY_APPROVER_REFUSED', details: { id: approvalId, by } });
        await expect(policy.approvals.reject(approvalId, { by })).rejects.toMatchObject({ code: 'POLICY_APPROVER_REFUSED' });
      }
      expect((await policy.approvals.get(approvalId))?.status).toBe('proposed');
      const refusals = (await memory.auditLog()).filter((entry) => entry.action === 'approval.refused');
      expect(refusals).toHaveLength(12);
      expect(refusals.every((entry) => entry.evidence['code'] === 'POLICY_APPROVER_REFUSED')).toBe(true);
      expect((await policy.approvals.approve(approvalId, { by: 'bo' })).status).toBe('approved');
      // Without a list, any person but the proposer decides.
      const open = await policyOn(store(), ENVELOPE);
      const other = (await open.review(networkRewrite(2), { now: 2, verdict: verdict('rates') })).approvalId ?? '';
      await expect(open.approvals.approve(other, { by: 'agent' })).rejects.toMatchObject({ code: 'POLICY_APPROVER_REFUSED' });
      expect((await open.approvals.approve(other, { by: 'mallory' })).decidedBy).toBe('mallory');
    });

    it('recheck: the kill switch engaged after queueing denies applying; released, it allows it again; nothing is recorded', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      expect(await policy.approvals.recheck(approvalId)).toMatchObject({ outcome: 'allow', approvalId, reasons: [] });
      await policy.killSwitch.engage({ by: 'ana', reason: 'incident 7' });
      const denied = await policy.approvals.recheck(approvalId);
      expect(denied.outcome).toBe('deny');
      expect(rulesOf(denied)).toEqual(['kill-switch']);
      await policy.killSwitch.release({ by: 'ana', reason: 'over' });
      await policy.approvals.approve(approvalId, { by: 'ana' });
      expect((await policy.approvals.recheck(approvalId)).outcome).toBe('allow');
      await policy.killSwitch.engage({ by: 'ana', reason: 'incident 8' });
      expect(rulesOf(await policy.approvals.recheck(approvalId))).toEqual(['kill-switch']);
      await expect(policy.approvals.markApplied(approvalId, { by: 'cycle' })).rejects.toMatchObject({ code: 'POLICY_KILL_SWITCH' });
      expect((await policy.approvals.get(approvalId))?.status).toBe('approved');
      expect(await store().effectiveRows()).toBe(0);
      await expect(policy.approvals.recheck('no-such-id')).rejects.toMatchObject({ code: 'POLICY_APPROVAL_NOT_FOUND' });
    });

    it('recheck: caps are counted again when applying (three queued tools under maxTools: 1 → one applies)', async () => {
      const policy = await policyOn(store(), { ...ENVELOPE, evolution: { maxTools: 1 } });
      const ids: string[] = [];
      for (const name of ['rates_a', 'rates_b', 'rates_c']) {
        const decision = await policy.review(createTool(name, { capabilities: [fetchTo(API)], source: fetchSource(`${API}/${name}`) }), { now: 1, verdict: verdict(name) });
        expect(decision.outcome).toBe('needs-approval');
        ids.push(decision.approvalId ?? '');
        await policy.approvals.approve(decision.approvalId ?? '', { by: 'ana' });
      }
      await policy.approvals.markApplied(ids[0] ?? '', { by: 'cycle' });
      for (const id of ids.slice(1)) {
        expect(rulesOf(await policy.approvals.recheck(id))).toEqual(['max-tools']);
        await expect(policy.approvals.markApplied(id, { by: 'cycle' })).rejects.toMatchObject({ code: 'POLICY_DENIED', details: { rules: ['max-tools'] } });
        expect((await policy.approvals.get(id))?.status).toBe('approved');
      }
      expect(await store().effectiveRows()).toBe(1);
    });

    it('recheck: a pin in the registry (context.current) denies applying; a decided request cannot be rechecked', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      const pinned = toolVersion('rates', { pinned: true, capabilities: [fetchTo(API)], source: fetchSource(`${API}/rates`) });
      expect(rulesOf(await policy.approvals.recheck(approvalId, { context: { current: pinned } }))).toEqual(['pinned']);
      await expect(policy.approvals.recheck(approvalId, { context: { current: toolVersion('other_tool') } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await policy.approvals.approve(approvalId, { by: 'ana' });
      await expect(policy.approvals.markApplied(approvalId, { by: 'cycle' }, { context: { current: pinned } })).rejects.toMatchObject({
        code: 'POLICY_DENIED',
        details: { rules: ['pinned'] },
      });
      await policy.approvals.markApplied(approvalId, { by: 'cycle' });
      await expect(policy.approvals.recheck(approvalId)).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT', details: { status: 'applied' } });
    });

    it("with a unit: approve, reject and markApplied run in the caller's transaction, write no audit entry, and roll back with it", async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { ...ENVELOPE, audit: memory });
      const first = (await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') })).approvalId ?? '';
      const second = (await policy.review(networkRewrite(2), { now: 2, verdict: verdict('rates') })).approvalId ?? '';
      const before = (await memory.auditLog()).length;
      await expect(
        runInUnit(store().db, async (unit) => {
          await policy.approvals.approve(first, { by: 'ana' }, { unit });
          await policy.approvals.markApplied(first, { by: 'ana' }, { unit });
          throw new Error('the registry transition failed');
        }),
      ).rejects.toThrow('the registry transition failed');
      expect((await policy.approvals.get(first))?.status).toBe('proposed');
      expect(await store().effectiveRows()).toBe(0);
      await runInUnit(store().db, async (unit) => {
        expect((await policy.approvals.get(first, { unit }))?.status).toBe('proposed');
        expect((await policy.approvals.list({ status: 'proposed' }, { unit })).length).toBe(2);
        expect((await policy.approvals.recheck(first, { unit })).outcome).toBe('allow');
        await policy.approvals.approve(first, { by: 'ana' }, { unit });
        await policy.approvals.markApplied(first, { by: 'ana' }, { unit });
        await policy.approvals.reject(second, { by: 'bo' }, { unit });
      });
      expect((await policy.approvals.get(first))?.status).toBe('applied');
      expect((await policy.approvals.get(second))?.status).toBe('rejected');
      expect(await store().effectiveRows()).toBe(1);
      // A refusal inside a unit is not audited by the policy either: the caller records the outcome.
      await expect(runInUnit(store().db, (unit) => policy.approvals.approve(second, { by: 'ana' }, { unit }))).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT' });
      expect((await memory.auditLog()).length).toBe(before);
    });
  });
}
