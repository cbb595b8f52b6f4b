import { test } from "uvu";
import * as assert from "uvu/assert";
import { dependentsOf } from "../../../host/manager/dependents.ts";

const plugins = [
  { name: "auth", dependsOn: [] },
  { name: "blog", dependsOn: ["auth"] },
  { name: "comments", dependsOn: ["blog"] },
  { name: "shop", dependsOn: ["auth", "cart"] },
  { name: "cart", dependsOn: [] },
];

test("direct and transitive dependents, in the given order", () => {
  assert.equal(dependentsOf("auth", plugins), ["blog", "comments", "shop"]);
  assert.equal(dependentsOf("blog", plugins), ["comments"]);
  assert.equal(dependentsOf("cart", plugins), ["shop"]);
});

test("a plugin nothing needs has no dependents; an unknown name neither", () => {
  assert.equal(dependentsOf("comments", plugins), []);
  assert.equal(dependentsOf("nope", plugins), []);
});

test("a cycle does not loop forever and excludes the plugin itself", () => {
  assert.equal(dependentsOf("x", [{ name: "x", dependsOn: ["y"] }, { name: "y", dependsOn: ["x"] }]), ["y"]);
});

test.run();
