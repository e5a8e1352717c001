// The SDK's OAuth2 popup flow, authWithOAuth2({provider}), with the popup played by fetch:
// the provider redirects to /api/oauth2-redirect, which hands the code over realtime.
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import PocketBase from "pocketbase";

globalThis.EventSource = EventSource;

async function visit(url) {
  // follow the redirects by hand, as far as the server's redirect page
  for (let hops = 0; hops < 3 && url.startsWith("http"); hops++) {
    const answer = await fetch(url, { redirect: "manual" });
    const next = answer.headers.get("location");
    if (!next) return;
    url = next;
  }
}

const pb = new PocketBase(process.env.BASE_URL);
const auth = await pb.collection("users").authWithOAuth2({ provider: "oidc", urlCallback: visit });
assert.equal(auth.record.email, process.env.EXPECTED_EMAIL);
assert.equal(auth.meta.isNew, true);
assert.ok(pb.authStore.isValid);
console.log("ok - authWithOAuth2 completes over realtime");
console.log("all ok");
