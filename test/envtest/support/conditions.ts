/** A status condition as the suites read it back from the apiserver. */
export type Condition = { type: string; status: string; reason: string; message: string };

/** The condition of `type` in a status, or undefined when the status or the condition is missing. */
export function findCondition(
  status: { conditions?: Condition[] } | undefined,
  type: string,
): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
