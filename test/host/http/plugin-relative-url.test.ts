// The URL a plugin sees: the mount cut off the same URL the router matched.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { pluginRelativeUrl } from "../../../host/http/forward.ts";

test("the plain case cuts the mount and keeps the query", () => {
  assert.is(pluginRelativeUrl("/plugins/hello/a/b?c=1", "hello"), "/a/b?c=1");
  assert.is(pluginRelativeUrl("/plugins/hello", "hello"), "/");
  assert.is(pluginRelativeUrl("/plugins/hello?x=1", "hello"), "/?x=1");
  assert.is(pluginRelativeUrl("/plugins/hello/", "hello"), "/");
});

test("a percent-encoded plugin name is cut off whole, the rest keeps its encoding", () => {
  assert.is(pluginRelativeUrl("/plugins/%73ecret/x", "secret"), "/x");
  assert.is(pluginRelativeUrl("/plugins/secret/a%20b?q=%41", "secret"), "/a%20b?q=%41");
  assert.is(pluginRelativeUrl("/plugins/%73ecret", "secret"), "/");
});

test("dot segments are resolved as the router resolved them", () => {
  assert.is(pluginRelativeUrl("/plugins/other/../hello/x?y", "hello"), "/x?y");
  assert.is(pluginRelativeUrl("/plugins/hello/a/../b", "hello"), "/b");
  assert.is(pluginRelativeUrl("/plugins/hello/x/%2e%2e/b", "hello"), "/b");
});

test.run();
