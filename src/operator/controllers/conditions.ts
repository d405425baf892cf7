import type { Condition } from '../../api/meta.js';

/** A condition as a controller decides it (the transition time is filled by setConditions). */
export interface DesiredCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/**
 * The conditions to write: each desired one with observedGeneration, keeping lastTransitionTime from
 * the current list when the status did not change (so a steady reconcile produces an equal list and
 * writeStatus makes no write).
 */
export function setConditions(
  current: Condition[] | undefined,
  desired: DesiredCondition[],
  generation: number | undefined,
  now: number,
): Condition[] {
  const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return desired.map((d) => {
    const prev = current?.find((c) => c.type === d.type);
    return {
      type: d.type,
      status: d.status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: prev && prev.status === d.status ? prev.lastTransitionTime : at,
      reason: d.reason,
      message: d.message,
    };
  });
}

/** Whether a workload's pods are all ready (desired > 0). */
export function workloadReady(desired: number, ready: number): DesiredCondition {
  if (desired === 0)
    return { type: 'Ready', status: 'False', reason: 'Unavailable', message: 'scaled to 0 replicas' };
  return ready >= desired
    ? { type: 'Ready', status: 'True', reason: 'Available', message: `${ready}/${desired} pods ready` }
    : { type: 'Ready', status: 'False', reason: 'Unavailable', message: `${ready}/${desired} pods ready` };
}
