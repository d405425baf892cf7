import { OperatorError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration as the CRDs accept it (`2160h`, `1h30m`, `90s`, `1.5h`) into milliseconds. */
export function parseDuration(value: string, field: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (!value || consumed !== value.length || !Number.isFinite(total) || total <= 0) {
    throw new OperatorError(
      'INVALID_SPEC',
      `${field}: "${value}" is not a duration (expected e.g. 2160h, 90m or 1h30m)`,
      {
        field,
        value,
      },
    );
  }
  return Math.round(total);
}
