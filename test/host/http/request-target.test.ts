// The host's own checks on a request's target and Host headers, before routing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { IncomingMessage } from "node:http";
import { requestTargetProblem } from "../../../host/http/request-target.ts";

const incoming = (url: string, rawHeaders: string[] = ["Host", "x"]) => ({ url, rawHeaders }) as unknown as IncomingMessage;

test("one Host header and an ordinary path pass, %00 in the query is the plugin's business", () => {
  assert.is(requestTargetProblem(incoming("/plugins/a/b%20c?q=%00")), undefined);
  assert.is(requestTargetProblem(incoming("/plugins/a/", ["Host", "x", "X-Host", "y", "hosT-", "z"])), undefined);
});

test("two Host headers, in any case, are refused with the count and the rule", () => {
  const problem = requestTargetProblem(incoming("/", ["Host", "x", "HOST", "y"]));
  assert.is(problem?.code, "CORRAL_E_BAD_REQUEST");
  assert.match(problem!.message, /2 Host headers.*RFC 9112/);
});

test("a NUL in the path, encoded or raw, is refused", () => {
  for (const url of ["/plugins/a/x%00.txt", "/plugins/a/x\0"]) {
    assert.match(requestTargetProblem(incoming(url))!.message, /NUL byte/);
  }
});

test.run();
