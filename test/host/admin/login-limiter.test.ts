/** Login rate limiting (host/admin/login-limiter.ts): per user and address, over a sliding window. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LoginLimiter } from "../../../host/admin/login-limiter.ts";

test("the fifth failure locks the pair until the oldest leaves the window; other pairs are free", () => {
  let now = 1_000_000;
  const limiter = new LoginLimiter({ maxFailures: 5, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 4; i++) {
    limiter.failed("ann", "10.0.0.1");
    now += 1000;
  }
  assert.is(limiter.retryAfterSeconds("ann", "10.0.0.1"), 0);
  limiter.failed("ann", "10.0.0.1");
  assert.is(limiter.retryAfterSeconds("ann", "10.0.0.1"), 56, "first failure at t0, window 60 s, now t0+4 s");
  assert.is(limiter.retryAfterSeconds("ANN", "10.0.0.1"), 56, "user names compare without case");
  assert.is(limiter.retryAfterSeconds("ann", "10.0.0.2"), 0);
  assert.is(limiter.retryAfterSeconds("bob", "10.0.0.1"), 0);
  now += 56_000;
  assert.is(limiter.retryAfterSeconds("ann", "10.0.0.1"), 0, "the oldest failure left the window");
});

test("a success clears the pair's failures", () => {
  const limiter = new LoginLimiter({ maxFailures: 2 });
  limiter.failed("ann", "a");
  limiter.succeeded("ann", "a");
  limiter.failed("ann", "a");
  assert.is(limiter.retryAfterSeconds("ann", "a"), 0);
});

test.run();
