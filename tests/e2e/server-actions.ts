import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { APIRequestContext } from "@playwright/test";

// Server actions as the real Next.js client calls them: every `export const X = action.<rule>(`
// in a "use server" file, its id from the build's manifest, and a POST like the one
// next/dist/client/components/router-reducer/reducers/server-action-reducer.js sends.

export type ActionRule = "public" | "user" | "endUser" | "admin";

export interface ServerAction {
  file: string;
  exportName: string;
  rule: ActionRule;
  /** The audit `action` of its refusals: the `name` given to action.<rule>(). */
  name: string | null;
  /** From .next/server/server-reference-manifest.json; null when the build has none. */
  id: string | null;
  /** The pages whose bundle holds the action, as "app/(group)/x/[id]/page". */
  workers: string[];
  /** A's-object fields its schema takes (deviceId, id). */
  fields: string[];
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

const isUseServer = (src: string) => /^["']use server["'];?/m.test(src.split("\n").slice(0, 3).join("\n"));

/** The audit name of one export: `{ name: "x.y" }`, or a helper's `name: \`prefix.${op}\`` with its first argument. */
function actionName(src: string, call: string): string | null {
  const literal = /\bname:\s*["'`]([\w.]+)["'`]/.exec(call);
  if (literal) return literal[1]!;
  const spread = /^\s*\.\.\.(\w+)\(\s*["'](\w+)["']/.exec(call);
  if (!spread) return null;
  const helper = new RegExp(`function ${spread[1]}\\b[\\s\\S]*?\\bname:\\s*\`([\\w.]*)\\$\\{\\w+\\}\``).exec(src);
  return helper ? helper[1]! + spread[2]! : null;
}

/** Which of A's-object fields (deviceId, id) the schema takes: inline, or required by a helper's `S extends z.ZodType<{ deviceId: string }>`. */
function idFields(src: string, call: string): string[] {
  const options = call.split(/\basync\s*\(/)[0]!;
  const spread = /^\s*\.\.\.(\w+)\(/.exec(call);
  const constraint = spread ? (new RegExp(`function ${spread[1]}<\\w+ extends z\\.ZodType<\\{([^}]*)\\}>`).exec(src)?.[1] ?? "") : "";
  return ["deviceId", "id"].filter((f) => new RegExp(`\\b${f}\\b\\s*[,:}]`).test(`${options} ${constraint}`));
}

type Manifest = { node: Record<string, { workers: Record<string, unknown>; filename: string; exportedName: string }> };
const MANIFEST = ".next/server/server-reference-manifest.json";

/** Every action the build knows, as "file#export". */
export const builtActions = (manifestFile = MANIFEST) =>
  Object.values((JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest).node).map((e) => `${e.filename}#${e.exportedName}`);

export function listServerActions(roots = ["app", "lib"], manifestFile = MANIFEST): ServerAction[] {
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
  const byExport = new Map(Object.entries(manifest.node).map(([id, e]) => [`${e.filename}#${e.exportedName}`, { id, workers: Object.keys(e.workers) }]));
  const out: ServerAction[] = [];
  for (const file of roots.flatMap((r) => walk(r))) {
    const src = readFileSync(file, "utf8");
    if (!isUseServer(src)) continue;
    const exports = [...src.matchAll(/^export const (\w+) = action\.(\w+)\(/gm)];
    exports.forEach((m, i) => {
      const call = src.slice(m.index! + m[0].length, exports[i + 1]?.index ?? src.length);
      const built = byExport.get(`${file.split(path.sep).join("/")}#${m[1]}`);
      out.push({ file, exportName: m[1]!, rule: m[2] as ActionRule, name: actionName(src, call), id: built?.id ?? null, workers: built?.workers ?? [], fields: idFields(src, call) });
    });
  }
  return out;
}

// React's own reply encoder and response decoder, the browser build Next.js ships to the client.
// It wants webpack's runtime: stand-ins, so a response that also carries the page (an action
// that revalidated) decodes with its client components as empty modules.
const g = globalThis as Record<string, unknown>;
g.__webpack_require__ ??= Object.assign(() => ({}), { u: () => "" });
g.__webpack_chunk_load__ ??= () => Promise.resolve();
g.__webpack_get_script_filename__ ??= () => "";
const require = createRequire(import.meta.url);
const flight = require(path.resolve("node_modules/next/dist/compiled/react-server-dom-webpack/client.browser.js")) as {
  encodeReply(value: unknown, options?: { temporaryReferences?: unknown }): Promise<string | FormData>;
  createFromReadableStream(stream: ReadableStream, options: { callServer: () => never; temporaryReferences?: unknown }): Promise<{ a?: unknown }>;
  createTemporaryReferenceSet(): unknown;
};
const { omitUnusedArgs, extractInfoFromServerReferenceId } = require(path.resolve("node_modules/next/dist/shared/lib/server-reference-info.js"));

export interface ActionResponse {
  status: number;
  /** An HTTP redirect's Location (proxy.ts sending a visitor without a session to sign in). */
  location: string | null;
  /** Where the action itself sent the visitor (redirect() inside it: x-action-redirect). */
  actionRedirect: string | null;
  contentType: string;
  /** The action's return value (an ActionState), when the answer is a Flight response with one. */
  result: unknown;
  text: string;
}

/**
 * POSTs one server action as useActionState's dispatch does: `action(prevState, formData)`,
 * encoded with encodeReply, headers Next-Action + Accept: text/x-component, same-origin Origin.
 * (The client also sends its router tree; without one the server renders no page, which an
 * action that revalidates nothing skips anyway.)
 */
export async function invokeAction(request: APIRequestContext, baseURL: string, page: string, id: string, form: FormData, prevState: unknown = null): Promise<ActionResponse> {
  const temporaryReferences = flight.createTemporaryReferenceSet();
  const body = await flight.encodeReply(omitUnusedArgs([prevState, form], extractInfoFromServerReferenceId(id)), { temporaryReferences });
  // The same bytes and multipart boundary a browser's fetch(body) sends.
  const encoded = new Request(baseURL, { method: "POST", body });
  const headers: Record<string, string> = { Accept: "text/x-component", "Next-Action": id, Origin: baseURL };
  const contentType = encoded.headers.get("content-type");
  if (contentType) headers["Content-Type"] = contentType;
  const res = await request.post(page, { headers, data: Buffer.from(await encoded.arrayBuffer()), maxRedirects: 0 });
  const text = await res.text();
  const type = res.headers()["content-type"] ?? "";
  const actionRedirect = res.headers()["x-action-redirect"]?.split(";")[0] ?? null;
  let result: unknown;
  if (type.startsWith("text/x-component") && !actionRedirect && res.status() < 500) {
    try {
      const root = await flight.createFromReadableStream(new Response(text).body!, { callServer: () => { throw new Error("no server calls here"); }, temporaryReferences });
      result = await root.a;
    } catch (e) {
      result = { undecodable: String(e) };
    }
  }
  return { status: res.status(), location: res.headers()["location"] ?? null, actionRedirect, contentType: type, result, text };
}

/** The URL of a manifest worker page ("app/(admin)/admin/users/[id]/page" → "/admin/users/[id]"). */
export const workerUrl = (worker: string) =>
  "/" + worker.replace(/^app\//, "").replace(/\/?page$/, "").split("/").filter((s) => s && !/^\(.*\)$/.test(s)).join("/");
