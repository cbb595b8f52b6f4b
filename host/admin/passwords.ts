/**
 * Password hashing with node:crypto's scrypt and a per-user random salt. The stored form carries
 * its parameters (`scrypt$N$r$p$<salt>$<hash>`, base64), so they can be raised later without
 * breaking existing hashes. No package: scrypt is memory-hard and built into Node.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import type { ScryptOptions } from "node:crypto";

/** N = 2^15, r = 8, p = 1 (OWASP's minimum for scrypt): ~32 MiB and ~50-100 ms per hash. */
const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** Shorter passwords are refused when a user is created or changes theirs. */
export const MIN_PASSWORD_CHARS = 10;
/** scrypt reads all of it; a megabyte "password" is a denial of service, not a password. */
export const MAX_PASSWORD_CHARS = 1024;

function scrypt(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize("NFKC"), salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function options(cost: number, blockSize: number, parallelism: number): ScryptOptions {
  // Node's default maxmem (32 MiB) is exactly 128*N*r for these parameters; leave headroom.
  return { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize + 1024 * 1024 };
}

/** The stored form of `password`: a fresh salt, scrypt, and the parameters used. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, options(COST, BLOCK_SIZE, PARALLELISM));
  return ["scrypt", COST, BLOCK_SIZE, PARALLELISM, salt.toString("base64"), key.toString("base64")].join("$");
}

/** Whether `password` matches `stored`; false (never a throw) for a malformed stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [cost, blockSize, parallelism] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![cost, blockSize, parallelism].every((n) => Number.isInteger(n) && n > 0)) return false;
  const salt = Buffer.from(parts[4]!, "base64");
  const expected = Buffer.from(parts[5]!, "base64");
  if (password.length > MAX_PASSWORD_CHARS || expected.length === 0) return false;
  const key = await scrypt(password, salt, expected.length, options(cost, blockSize, parallelism));
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, checked when a login names an unknown user, so that such a
 * login takes as long as a wrong password (no user enumeration by timing).
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString("hex"));
  return decoy;
}

/** Why `password` is not acceptable as a new password, or undefined. */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== "string") return "password must be a string";
  if (password.length < MIN_PASSWORD_CHARS) return `password must have at least ${MIN_PASSWORD_CHARS} characters, got ${password.length}`;
  if (password.length > MAX_PASSWORD_CHARS) return `password must have at most ${MAX_PASSWORD_CHARS} characters, got ${password.length}`;
  return undefined;
}
