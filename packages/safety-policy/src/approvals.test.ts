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
      const policy = policyOn(store(), ENVELOPE);
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
        evidence: { diagnosis: diagnosis('rates', 0.6), verdict: verdict('rates') },
      });
      expect(request?.evidence.diff).toContain('--- manifest');
      expect(request?.evidence.diff).toContain('+ // v2');
      expect(await policy.approvals.list({ status: 'approved' })).toEqual([]);
      expect(await policy.approvals.list({ status: ['proposed', 'approved'], name: 'rates' })).toHaveLength(1);
      expect(await policy.approvals.list({ name: 'other' })).toEqual([]);
    });

    it('walks proposed → approved → applied, records who decided, and audits every step', async () => {
      const memory = await store().memory();
      const policy = createPolicy({ database: store().db, audit: memory, clock: () => 777, ...ENVELOPE });
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      const approved = await policy.approvals.approve(approvalId, { by: 'ana', note: 'origin checked' });
      expect(approved).toMatchObject({ status: 'approved', decidedBy: 'ana', decidedAt: 777, decisionNote: 'origin checked' });
      const applied = await policy.approvals.markApplied(approvalId, { by: 'improvement-cycle' });
      expect(applied).toMatchObject({ status: 'applied', decidedBy: 'ana', appliedBy: 'improvement-cycle', appliedAt: 777 });
      const log = await memory.auditLog();
      expect(log.map((entry) => [entry.action, entry.actor])).toEqual([
        ['approval.applied', { kind: 'system', id: 'improvement-cycle' }],
        ['approval.approve', { kind: 'person', id: 'ana' }],
        ['policy.needs-approval', { kind: 'system', id: 'safety-policy' }],
      ]);
      expect(log[1]).toMatchObject({ artifact: 'rates', fromVersion: 1, reason: 'origin checked', evidence: { approvalId, status: 'approved' } });
    });

    it('refuses replays and skipped steps with POLICY_APPROVAL_CONFLICT, unknown ids with POLICY_APPROVAL_NOT_FOUND, and audits the refusal', async () => {
      const memory = await store().memory();
      const policy = policyOn(store(), { ...ENVELOPE, audit: memory });
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
      const policy = policyOn(store(), ENVELOPE);
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
      const policy = policyOn(store(), { ...ENVELOPE, evolution: { rewritesPerTool: { max: 1 } } });
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      // Proposed and approved changes have not happened yet.
      await policy.approvals.approve(approvalId, { by: 'ana' });
      expect((await policy.review(networkRewrite(2), { now: 2, verdict: verdict('rates') })).outcome).toBe('needs-approval');
      await policy.approvals.markApplied(approvalId, { by: 'cycle' });
      expect(rulesOf(await policy.review(networkRewrite(3), { now: 3, verdict: verdict('rates') }))).toEqual(['rewrite-rate']);
    });

    it('refuses changes that need a person once the queue is full', async () => {
      const policy = policyOn(store(), { ...ENVELOPE, evolution: { maxPendingApprovals: 2 } });
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
      const policy = policyOn(store(), ENVELOPE);
      const { approvalId = '' } = await policy.review(networkRewrite(1), { now: 1, verdict: verdict('rates') });
      const other = createPolicy({ database: dialect === 'postgres' ? await store().reopen() : store().db });
      const results = await Promise.allSettled([policy.approvals.approve(approvalId, { by: 'ana' }), other.approvals.approve(approvalId, { by: 'bo' })]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected');
      expect(rejected?.status === 'rejected' ? rejected.reason : undefined).toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT' });
      const restarted = createPolicy({ database: await store().reopen() });
      expect((await restarted.approvals.get(approvalId))?.status).toBe('approved');
    });
  });
}
