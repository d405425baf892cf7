/**
 * The runtime's version. Kong's compatibility rules compare major.minor of CP and DP (seed 002), the DP
 * cache is tagged with major.minor, and `hybridgate version` prints it. A test keeps it equal to
 * package.json's version.
 */
export const HYBRIDGATE_VERSION = '0.1.0';
