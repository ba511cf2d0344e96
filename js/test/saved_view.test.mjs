// A monitor view restored from saved widget state (no kernel behind it): `node --test js/test/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SAVED_VIEW_WAIT_MS, awaitRows } from "../monitor.js";

/** An element with just the classList the helper uses. */
function fakeElement() {
  const classes = new Set();
  return {
    classList: {
      add: (...names) => names.forEach((n) => classes.add(n)),
      remove: (...names) => names.forEach((n) => classes.delete(n)),
      contains: (name) => classes.has(name),
    },
    classes,
  };
}

test("a view of an ended sweep hides until its rows come, and is a saved view when none come", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const el = fakeElement();
  const wait = awaitRows(el, { status: "Completed" });
  assert.deepEqual([...el.classes], ["hw-awaiting-rows"]);
  t.mock.timers.tick(SAVED_VIEW_WAIT_MS - 1);
  assert.deepEqual([...el.classes], ["hw-awaiting-rows"]);
  t.mock.timers.tick(1);
  assert.deepEqual([...el.classes], ["hw-saved-view"]);
  wait.arrived(); // a kernel answered late after all: the live view shows again
  assert.deepEqual([...el.classes], []);
});

test("rows that come in time keep the view as it is", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const el = fakeElement();
  const wait = awaitRows(el, { status: "Canceled" });
  wait.arrived();
  t.mock.timers.tick(SAVED_VIEW_WAIT_MS * 2);
  assert.deepEqual([...el.classes], []);
});

test("a view of a running sweep is never hidden while it waits", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const el = fakeElement();
  awaitRows(el, { status: "Running" });
  assert.deepEqual([...el.classes], []);
  t.mock.timers.tick(SAVED_VIEW_WAIT_MS);
  assert.deepEqual([...el.classes], ["hw-saved-view"]);
});
