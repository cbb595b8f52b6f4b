/** Assertions the suites share. */
import * as assert from "uvu/assert";
import { CorralError } from "../../schemas/errors.ts";

/** The CorralError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<CorralError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, CorralError);
    return error as CorralError;
  }
  assert.unreachable("expected a rejection");
  throw new Error("unreachable"); // for the type checker: uvu types unreachable() as void
}
