import { createServer, type AddressInfo, type Server } from "node:net";

/** Listens on a free loopback port (traffic stays on this machine) and returns the port. */
export async function listenOnLoopback(server: Pick<Server, "once" | "listen" | "address">): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** A loopback port that is free now, for a process started later (a server under test). */
export async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listenOnLoopback(s);
  await new Promise((r) => s.close(r));
  return port;
}
