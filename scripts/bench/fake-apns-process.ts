// The local APNs fake in a process of its own, so that it does not share the event loop (and
// the core) of the client being measured. Prints {"url": ...} once listening; stops on SIGTERM.
import { readFileSync } from "node:fs";
import { startFakeApns } from "../../tests/support/fake-apns";

const read = (v: string) => readFileSync(process.env[v]!, "utf8");
const fake = await startFakeApns({ caPem: read("FAKE_APNS_CA"), serverCertPem: read("FAKE_APNS_CERT"), serverKeyPem: read("FAKE_APNS_KEY") });
console.log(JSON.stringify({ url: fake.url }));
process.on("SIGTERM", () => {
  void fake.close().finally(() => process.exit(0));
});
