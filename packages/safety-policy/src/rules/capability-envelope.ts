import type { Capability, FetchCapability } from '@toolwright/core';
import type { Finding, Rule } from './finding.js';

/** Origins the envelope lets `fetch` reach. */
function fetchOrigins(envelope: readonly Capability[]): Set<string> {
  return new Set(envelope.filter((capability): capability is FetchCapability => capability.kind === 'fetch').flatMap((capability) => capability.origins));
}

/** The parts of `capability` outside `envelope` (for fetch: the origins not listed), or `[]` when it is inside. */
export function outsideEnvelope(capability: Capability, envelope: readonly Capability[]): string[] {
  const allowed = fetchOrigins(envelope);
  return capability.origins.filter((origin) => !allowed.has(origin));
}

const NETWORK_CALL = /\b(?:fetch|sendBeacon|importScripts)\s*\(|\bnew\s+(?:XMLHttpRequest|WebSocket|EventSource)\b|\b(?:XMLHttpRequest|WebSocket|EventSource)\s*\(/;
const URL_LITERAL = /\b(?:https?|wss?):\/\/[^\s'"`)\]}>\\]+/g;

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url.replace(/^ws/, 'http'));
    return parsed.origin === 'null' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/**
 * `capability-envelope`: a tool (new or rewritten, any origin) may request only capabilities
 * inside the envelope (configured plus granted). With `scanSource`, a source that calls the
 * network without declaring `fetch`, or that names URLs outside the origins it declares, is
 * refused as a capability smuggled past the manifest.
 */
export const capabilityEnvelopeRule: Rule = ({ review, config, facts }) => {
  const change = review.change;
  if (change.kind !== 'create-tool' && change.kind !== 'rewrite-tool') return [];
  const findings: Finding[] = [];
  for (const capability of change.spec.capabilities) {
    const outside = outsideEnvelope(capability, facts.envelope);
    if (outside.length > 0) {
      findings.push({
        rule: 'capability-envelope',
        outcome: 'deny',
        detail: `"${change.name}" requests ${capability.kind} to ${outside.join(', ')}, outside the capability envelope; a person must widen the envelope first (grant-capability).`,
      });
    }
  }
  if (config.capabilities.scanSource) {
    const declared = fetchOrigins(change.spec.capabilities);
    if (declared.size === 0 && NETWORK_CALL.test(change.source)) {
      findings.push({
        rule: 'capability-envelope',
        outcome: 'deny',
        detail: `"${change.name}"'s source calls the network but its manifest declares no fetch capability: the capability would be smuggled past review.`,
      });
    } else if (declared.size > 0) {
      const undeclared = [...new Set([...change.source.matchAll(URL_LITERAL)].map((match) => originOf(match[0])))].filter(
        (origin): origin is string => origin !== undefined && !declared.has(origin),
      );
      if (undeclared.length > 0) {
        findings.push({
          rule: 'capability-envelope',
          outcome: 'deny',
          detail: `"${change.name}"'s source names ${undeclared.join(', ')}, which its fetch capability does not declare.`,
        });
      }
    }
  }
  return findings;
};

/**
 * `envelope-widening`: a `grant-capability` that widens the envelope is never automatic — the
 * agent's request is denied or queued for a person (`approval.agentGrant`); a person's is allowed.
 */
export const envelopeWideningRule: Rule = ({ review, config, facts }) => {
  const change = review.change;
  if (change.kind !== 'grant-capability') return [];
  const outside = outsideEnvelope(change.capability, facts.envelope);
  if (outside.length === 0) {
    return [{ rule: 'envelope-widening', outcome: 'allow', detail: `${change.capability.kind} to ${change.capability.origins.join(', ')} is already inside the envelope; nothing widens.` }];
  }
  if (change.origin === 'person') {
    return [{ rule: 'envelope-widening', outcome: 'allow', detail: `A person widens the envelope: ${change.capability.kind} to ${outside.join(', ')}.` }];
  }
  return [
    {
      rule: 'envelope-widening',
      outcome: config.approval.agentGrant,
      detail: `The agent asks to widen the envelope (${change.capability.kind} to ${outside.join(', ')}): widening is never automatic${
        config.approval.agentGrant === 'deny' ? '' : '; a person must approve it'
      }.`,
    },
  ];
};
