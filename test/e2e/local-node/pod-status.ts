import type { ContainerRunner } from './container-runner.js';
import type { Container, Pod } from './pod-types.js';
import type { ContainerSpecError } from './pod-wrapper.js';

/** Everything the status of a pod is computed from. */
export interface PodStatusInput {
  pod: Pod;
  podIP: string;
  hostIP: string;
  startTime: string;
  runners: ContainerRunner[];
  initRunners: ContainerRunner[];
  /** The pod could not be set up (network, files): it stays Pending with this message. */
  setupError?: string;
  /** Condition → last status and when it changed (kept across calls for lastTransitionTime). */
  transitions: Map<string, { status: string; at: string }>;
  /** Why a container can never start (wrong image, unknown command), if so. */
  specError: (c: Container) => ContainerSpecError | undefined;
}

/**
 * The pod's status as the kubelet writes it: phase, IPs, start time, the four conditions with stable
 * transition times, and a status per (init) container. Pure: the same inputs give the same JSON, so
 * the worker skips writes when nothing changed.
 */
export function podStatus(input: PodStatusInput): Record<string, unknown> {
  const { pod, runners, initRunners } = input;
  const byName = new Map(runners.map((r) => [r.name, r]));
  const containerStatuses = pod.spec.containers.map((c) => {
    const runner = byName.get(c.name);
    const err = input.specError(c);
    if (err) {
      return {
        name: c.name,
        image: c.image,
        imageID: '',
        state: { waiting: { reason: err.reason, message: err.message } },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
      };
    }
    if (!runner || input.setupError) {
      return {
        name: c.name,
        image: c.image,
        imageID: '',
        state: {
          waiting: {
            reason: 'ContainerCreating',
            ...(input.setupError ? { message: input.setupError } : {}),
          },
        },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
      };
    }
    return runner.status(c.image);
  });
  const initByName = new Map(initRunners.map((r) => [r.name, r]));
  const initContainerStatuses = (pod.spec.initContainers ?? []).map((c) => {
    const runner = initByName.get(c.name);
    return runner
      ? runner.status(c.image)
      : {
          name: c.name,
          image: c.image,
          imageID: '',
          state: { waiting: { reason: 'PodInitializing' } },
          lastState: {},
          ready: false,
          restartCount: 0,
        };
  });

  const initialized = initRunners.every((r) => 'terminated' in r.state && r.state.terminated.exitCode === 0);
  const allReady = containerStatuses.length > 0 && containerStatuses.every((s) => s.ready === true);
  const phase = podPhase(pod, runners, initialized, input.setupError !== undefined);
  const notReadyNames = containerStatuses.filter((s) => !s.ready).map((s) => String(s.name));
  const conditions = [
    condition(input, 'PodScheduled', true),
    condition(input, 'Initialized', initialized, initialized ? undefined : 'ContainersNotInitialized'),
    condition(input, 'ContainersReady', allReady, allReady ? undefined : 'ContainersNotReady', notReadyNames),
    condition(input, 'Ready', allReady, allReady ? undefined : 'ContainersNotReady', notReadyNames),
  ];
  return {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(input.podIP ? { podIP: input.podIP, podIPs: [{ ip: input.podIP }] } : {}),
    startTime: input.startTime,
    containerStatuses,
    ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
    // qosClass is the apiserver's (set at creation, immutable): never written here.
  };
}

/** Pending until every container ran once; Succeeded/Failed when all are terminated for good. */
function podPhase(pod: Pod, runners: ContainerRunner[], initialized: boolean, setupFailed: boolean): string {
  if (setupFailed || !initialized || runners.length < pod.spec.containers.length) return 'Pending';
  const states = runners.map((r) => r.state);
  const policy = pod.spec.restartPolicy ?? 'Always';
  const allTerminated = states.every((s) => 'terminated' in s);
  if (allTerminated && policy !== 'Always') {
    const failed = states.some((s) => 'terminated' in s && s.terminated.exitCode !== 0);
    if (!failed) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
  }
  const everStarted = runners.every(
    (r) =>
      'running' in r.state || r.restartCount > 0 || 'terminated' in r.state || 'terminated' in r.lastState,
  );
  return everStarted ? 'Running' : 'Pending';
}

function condition(
  input: PodStatusInput,
  type: string,
  ok: boolean,
  reason?: string,
  notReady?: string[],
): Record<string, unknown> {
  const status = ok ? 'True' : 'False';
  const previous = input.transitions.get(type);
  const at =
    previous && previous.status === status ? previous.at : new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  input.transitions.set(type, { status, at });
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: at,
    ...(reason ? { reason } : {}),
    ...(reason && notReady?.length
      ? { message: `containers with unready status: [${notReady.join(' ')}]` }
      : {}),
  };
}
