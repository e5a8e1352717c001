// The official PocketBase JS SDK subscribing to a running server (BASE_URL), as an app would.
// Prints one line per check and exits non-zero on the first failure.
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import PocketBase from "pocketbase";

globalThis.EventSource = EventSource;

const BASE = process.env.BASE_URL;
const SU_EMAIL = process.env.SU_EMAIL;
const SU_PASSWORD = process.env.SU_PASSWORD;
const PW = "password-123";

function waitFor(list, count, ms = 10000) {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const tick = () => {
      if (list.length >= count) return resolve(list);
      if (Date.now() - began > ms) return reject(new Error(`waited for ${count}, got ${JSON.stringify(list)}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const admin = new PocketBase(BASE);
await admin.collection("_superusers").authWithPassword(SU_EMAIL, SU_PASSWORD);
await admin.collections.create({
  name: "posts",
  listRule: "public = true || owner = @request.auth.id",
  viewRule: "public = true || owner = @request.auth.id",
  createRule: "@request.auth.id != ''",
  updateRule: "owner = @request.auth.id",
  deleteRule: "owner = @request.auth.id",
  fields: [
    { name: "title", type: "text" },
    { name: "public", type: "bool" },
    { name: "secret", type: "text", hidden: true },
    { name: "owner", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 },
  ],
});
await admin.collection("users").update(
  (await admin.collection("users").create({ email: "u@example.com", password: PW, passwordConfirm: PW, name: "Ulla" })).id,
  { emailVisibility: false },
);
await admin.collection("users").create({ email: "v@example.com", password: PW, passwordConfirm: PW });

const asU = new PocketBase(BASE);
const u = (await asU.collection("users").authWithPassword("u@example.com", PW)).record;
const asV = new PocketBase(BASE);
await asV.collection("users").authWithPassword("v@example.com", PW);
const guest = new PocketBase(BASE);

const guestEvents = [];
const vEvents = [];
const uExpanded = [];
await guest.collection("posts").subscribe("*", (e) => guestEvents.push(e));
await asV.collection("posts").subscribe("*", (e) => vEvents.push(e));
await asU.collection("posts").subscribe("*", (e) => uExpanded.push(e), {
  expand: "owner",
  fields: "id,title,expand.owner.name",
});

const pub = await asU.collection("posts").create({ title: "public", public: true, owner: u.id, secret: "s" });
const priv = await asU.collection("posts").create({ title: "private", public: false, owner: u.id });
await asU.collection("posts").update(pub.id, { title: "public, edited" });
await asU.collection("posts").delete(pub.id);

await waitFor(guestEvents, 3);
assert.deepEqual(
  guestEvents.map((e) => [e.action, e.record.title]),
  [["create", "public"], ["update", "public, edited"], ["delete", "public, edited"]],
);
assert.ok(guestEvents.every((e) => !("secret" in e.record)), "hidden fields are stripped");
console.log("ok - create, update and delete arrive; hidden fields stripped");

await waitFor(uExpanded, 4);
assert.deepEqual(uExpanded[0].record, { id: pub.id, title: "public", expand: { owner: { name: "Ulla" } } });
assert.deepEqual(uExpanded.map((e) => e.record.title), ["public", "private", "public, edited", "public, edited"]);
console.log("ok - expand and fields options apply with the subscriber's auth");

await waitFor(vEvents, 3);
await new Promise((r) => setTimeout(r, 300));
assert.ok(!vEvents.some((e) => e.record.id === priv.id), "v never hears of u's private post");
assert.ok(!guestEvents.some((e) => e.record.id === priv.id), "nor does a guest");
console.log("ok - rule-filtered events do not arrive");

const one = [];
await guest.collection("posts").subscribe(priv.id, (e) => one.push(e));
const other = await asU.collection("posts").create({ title: "another", public: true, owner: u.id });
await asU.collection("posts").update(other.id, { public: false });
await asU.collection("posts").update(priv.id, { public: true });
await waitFor(one, 1);
assert.equal(one[0].action, "update");
assert.equal(one[0].record.id, priv.id);
console.log("ok - a record topic hears of that record only");

await guest.collection("posts").unsubscribe();
const before = guestEvents.length;
await asU.collection("posts").create({ title: "after unsubscribe", public: true, owner: u.id });
await waitFor(vEvents, 6);
await new Promise((r) => setTimeout(r, 300));
assert.equal(guestEvents.length, before);
assert.equal(guest.realtime.isConnected, false, "the SDK disconnects once nothing is subscribed");
console.log("ok - unsubscribe stops the events");

guest.realtime.unsubscribe();
asU.realtime.unsubscribe();
asV.realtime.unsubscribe();
console.log("all ok");
