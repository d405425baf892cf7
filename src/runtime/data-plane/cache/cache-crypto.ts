import { createCipheriv, createDecipheriv, createPrivateKey, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The cache key: HKDF-SHA256 over the cluster key's PKCS#8 DER. Anyone who can read the cluster key
 * can already impersonate the DP, so tying the cache to it adds no new secret to manage.
 */
export function deriveCacheKey(clusterKeyPem: string): Buffer {
  const der = createPrivateKey(clusterKeyPem).export({ type: 'pkcs8', format: 'der' });
  return Buffer.from(hkdfSync('sha256', der, 'hybridgate-dp-config-cache', 'aes-256-gcm v1', 32));
}

/** AES-256-GCM: iv ‖ tag ‖ ciphertext; `aad` binds the record to its version tag. */
export function encryptRecord(key: Buffer, plain: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Reverses encryptRecord; throws when the key, the aad or a single byte differs. */
export function decryptRecord(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES)
    throw new Error(`encrypted record is too short (${sealed.length} bytes)`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}
