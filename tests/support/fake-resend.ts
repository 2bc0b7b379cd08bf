import http from "node:http";
import { randomUUID } from "node:crypto";
import { listenOnLoopback } from "./listen";

// A local stand-in for Resend's `POST /emails`, as strict as the real API about what it
// accepts, so a malformed request fails in tests rather than in production. Errors use
// Resend's shape `{ statusCode, name, message }`.

export interface RecordedEmailRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when it was not JSON). */
  body: Record<string, unknown> | undefined;
  raw: string;
  status: number;
  response: Record<string, unknown>;
}

export interface FakeResend {
  /** Base URL for RESEND_BASE_URL. */
  url: string;
  requests: RecordedEmailRequest[];
  /** Only the accepted ones, with `to` always as an array. */
  readonly sent: { id: string; from: string; to: string[]; subject: string; text?: string; html?: string }[];
  /** The next request gets a 500, whatever it holds. */
  failNext(status?: number): void;
  close(): Promise<void>;
}

export interface FakeResendOptions {
  /** When set, any other bearer key gets 403 invalid_api_key, as Resend does. */
  apiKey?: string;
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;
const NAMED = /^[^<>]*<([^<>\s]+)>$/;
const MAX_RECIPIENTS = 50;

type Verdict = { status: number; body: Record<string, unknown> };

const err = (statusCode: number, name: string, message: string): Verdict => ({ status: statusCode, body: { statusCode, name, message } });

function validAddress(v: unknown, allowName: boolean): boolean {
  if (typeof v !== "string") return false;
  const s = v.trim();
  const m = allowName ? NAMED.exec(s) : null;
  return EMAIL.test(m ? m[1]! : s);
}

function check(req: http.IncomingMessage, raw: string, apiKey: string | undefined): { verdict: Verdict; body?: Record<string, unknown> } {
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/emails") return { verdict: err(404, "not_found", "The requested endpoint does not exist.") };
  if (req.method !== "POST") return { verdict: err(405, "method_not_allowed", "Method is not allowed for the requested path.") };
  const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
  if (!auth) {
    return { verdict: err(401, "missing_api_key", "Missing API key in the authorization header. Include the following header Authorization: Bearer YOUR_API_KEY in the request.") };
  }
  if (apiKey !== undefined && auth[1] !== apiKey) return { verdict: err(403, "invalid_api_key", "API key is invalid") };
  const idem = req.headers["idempotency-key"];
  if (idem !== undefined && (typeof idem !== "string" || idem.length < 1 || idem.length > 256)) {
    return { verdict: err(400, "invalid_idempotency_key", "The key must be between 1-256 chars.") };
  }
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
    return { verdict: err(422, "validation_error", "Content-Type must be application/json.") };
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { verdict: err(422, "validation_error", "Invalid JSON body.") };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { verdict: err(422, "validation_error", "Invalid JSON body.") };
  const b = body as Record<string, unknown>;
  for (const f of ["from", "to", "subject"]) {
    if (b[f] === undefined || b[f] === null) return { body: b, verdict: err(422, "missing_required_field", `Missing \`${f}\` field.`) };
  }
  if (!validAddress(b.from, true)) {
    return { body: b, verdict: err(422, "validation_error", "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.") };
  }
  const to = Array.isArray(b.to) ? b.to : [b.to];
  if (to.length === 0 || !to.every((a) => validAddress(a, true))) {
    return { body: b, verdict: err(422, "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.") };
  }
  if (to.length > MAX_RECIPIENTS) return { body: b, verdict: err(422, "validation_error", `Too many recipients in \`to\`: at most ${MAX_RECIPIENTS}.`) };
  if (typeof b.subject !== "string" || b.subject.trim() === "") return { body: b, verdict: err(422, "validation_error", "The `subject` field must be a non-empty string.") };
  const hasText = typeof b.text === "string" && b.text !== "";
  const hasHtml = typeof b.html === "string" && b.html !== "";
  if ((b.text !== undefined && typeof b.text !== "string") || (b.html !== undefined && typeof b.html !== "string")) {
    return { body: b, verdict: err(422, "validation_error", "The `text` and `html` fields must be strings.") };
  }
  if (!hasText && !hasHtml) return { body: b, verdict: err(422, "validation_error", "Missing `html` or `text` field.") };
  return { body: b, verdict: { status: 200, body: { id: randomUUID() } } };
}

export async function startFakeResend(opts: FakeResendOptions = {}): Promise<FakeResend> {
  const requests: RecordedEmailRequest[] = [];
  const sent: FakeResend["sent"] = [];
  let failStatus: number | null = null;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let { verdict, body } = check(req, raw, opts.apiKey);
      if (failStatus !== null) {
        verdict = err(failStatus, "internal_server_error", "An unexpected error occurred, please try again later.");
        failStatus = null;
      }
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, raw, status: verdict.status, response: verdict.body });
      if (verdict.status === 200 && body) {
        const to = (Array.isArray(body.to) ? body.to : [body.to]) as string[];
        sent.push({
          id: String(verdict.body.id),
          from: String(body.from),
          to,
          subject: String(body.subject),
          text: body.text as string | undefined,
          html: body.html as string | undefined,
        });
      }
      res.writeHead(verdict.status, { "content-type": "application/json" });
      res.end(JSON.stringify(verdict.body));
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get sent() {
      return sent;
    },
    failNext(status = 500) {
      failStatus = status;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
