// COUNT SDK clients subscribe at once; every one of them receives every event.
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import PocketBase from "pocketbase";

globalThis.EventSource = EventSource;

const BASE = process.env.BASE_URL;
const COUNT = Number(process.env.COUNT || "1000");
const admin = new PocketBase(BASE);
await admin.collection("_superusers").authWithPassword(process.env.SU_EMAIL, process.env.SU_PASSWORD);
await admin.collections.create({
  name: "notes",
  listRule: "",
  fields: [{ name: "text", type: "text" }],
});

const received = Array.from({ length: COUNT }, () => []);
const clients = Array.from({ length: COUNT }, () => new PocketBase(BASE));
for (let start = 0; start < COUNT; start += 100) {
  await Promise.all(
    clients.slice(start, start + 100).map((pb, i) =>
      pb.collection("notes").subscribe("*", (e) => received[start + i].push(e.record.text)),
    ),
  );
}
// the SDK reconnects and subscribes again by itself after a failed stream: start once
// every client says it is connected
const waitStart = Date.now();
while (clients.some((pb) => !pb.realtime.isConnected) && Date.now() - waitStart < 60000) {
  await new Promise((r) => setTimeout(r, 50));
}
assert.ok(clients.every((pb) => pb.realtime.isConnected), "every client is connected");
console.log(`ok - ${COUNT} clients subscribed`);

for (const text of ["one", "two", "three"]) {
  await admin.collection("notes").create({ text });
}
const began = Date.now();
while (received.some((r) => r.length < 3) && Date.now() - began < 60000) {
  await new Promise((r) => setTimeout(r, 50));
}
assert.ok(received.every((r) => JSON.stringify(r) === '["one","two","three"]'), "every client got every event, in order");
console.log(`ok - every one of ${COUNT} clients received the 3 events in order`);
for (const pb of clients) pb.realtime.unsubscribe();
console.log("all ok");
process.exit(0);
