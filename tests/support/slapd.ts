import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "ldapts";
import { listenOnLoopback } from "./listen";

// A real OpenLDAP slapd (Debian's package) for directory tests: its own temp dir, slapd.conf
// with an mdb database, ldap:// and ldaps:// on free loopback ports, a server certificate
// from a throwaway CA made with openssl, and users loaded with slapadd before it starts.
// Modules come from /usr/lib/ldap (back_mdb.so), schemas from /etc/ldap/schema.

export const SUFFIX = "dc=example,dc=jp";
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const ADMIN_PASSWORD = "slapd-admin-secret";
/** The service account Mamori binds as: an ordinary entry, so size limits apply to it. */
export const SERVICE_DN = `cn=mamori,ou=services,${SUFFIX}`;
export const SERVICE_PASSWORD = "service-account-pw";
export const PEOPLE_DN = `ou=people,${SUFFIX}`;
/** Plain (non-paged) searches stop here; paged ones go on. */
export const SIZE_LIMIT = 500;

export interface DirectoryUser {
  uid: string;
  cn: string;
  mail: string;
  password: string;
  displayName?: string;
  /** Extra attributes, e.g. { employeeType: "disabled", departmentNumber: "Sales" }. */
  extra?: Record<string, string>;
}

export interface Slapd {
  ldapUrl: string;
  ldapsUrl: string;
  /** The same ldaps:// listener on 127.0.0.2, an address the certificate does not name. */
  ldapsWrongNameUrl: string;
  /** PEM of the CA that signed the server certificate. */
  caPem: string;
  dir: string;
  /** A client bound as the directory's root, for changing entries during a test. */
  admin<T>(fn: (c: Client) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listenOnLoopback(s);
  await new Promise((r) => s.close(r));
  return port;
}

export function userLdif(u: DirectoryUser): string {
  const lines = [
    `dn: uid=${u.uid},${PEOPLE_DN}`,
    "objectClass: inetOrgPerson",
    `uid: ${u.uid}`,
    `cn: ${u.cn}`,
    `sn: ${u.cn.split(" ").pop()}`,
    `mail: ${u.mail}`,
    `userPassword: ${u.password}`,
  ];
  if (u.displayName) lines.push(`displayName:: ${Buffer.from(u.displayName, "utf8").toString("base64")}`);
  for (const [k, v] of Object.entries(u.extra ?? {})) lines.push(`${k}: ${v}`);
  return lines.join("\n") + "\n\n";
}

function baseLdif(): string {
  return [
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example KK\n`,
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=services,${SUFFIX}\nobjectClass: organizationalUnit\nou: services\n`,
    `dn: ${SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: mamori\nuserPassword: ${SERVICE_PASSWORD}\n`,
  ].join("\n") + "\n";
}

function makeCerts(dir: string) {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-subj", "/CN=Mamori Test LDAP CA", "-keyout", "ca.key", "-out", "ca.pem",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
    "-keyout", "server.key", "-out", "server.csr");
  writeFileSync(path.join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
    "-extfile", "server.ext", "-out", "server.pem");
}

function config(dir: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key

database mdb
maxsize 268435456
suffix "${SUFFIX}"
rootdn "${ADMIN_DN}"
rootpw ${ADMIN_PASSWORD}
directory ${dir}/db
index objectClass,uid,mail eq
limits users size.soft=${SIZE_LIMIT} size.hard=${SIZE_LIMIT} size.prtotal=unlimited
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
`;
}

/** Starts slapd with the given users under ou=people; call stop() after the tests. */
export async function startSlapd(users: DirectoryUser[] = []): Promise<Slapd> {
  const dir = mkdtempSync(path.join(tmpdir(), "mamori-slapd-"));
  mkdirSync(path.join(dir, "db"));
  makeCerts(dir);
  writeFileSync(path.join(dir, "slapd.conf"), config(dir));
  writeFileSync(path.join(dir, "data.ldif"), baseLdif() + users.map(userLdif).join(""));
  execFileSync("/usr/sbin/slapadd", ["-q", "-f", path.join(dir, "slapd.conf"), "-l", path.join(dir, "data.ldif")], { stdio: "pipe" });
  const [ldapPort, ldapsPort] = [await freePort(), await freePort()];
  const ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  // All of 127.0.0.0/8 is loopback on Linux: a second address to test host name checks.
  const ldapsWrongNameUrl = `ldaps://127.0.0.2:${ldapsPort}`;
  // -d 0: stay in the foreground (a child we can stop), log nothing.
  const child: ChildProcess = spawn("/usr/sbin/slapd", ["-d", "0", "-f", path.join(dir, "slapd.conf"), "-h", `${ldapUrl}/ ${ldapsUrl}/ ${ldapsWrongNameUrl}/`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const caPem = readFileSync(path.join(dir, "ca.pem"), "utf8");

  async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ url: ldapUrl, connectTimeout: 2000, timeout: 10_000 });
    try {
      await c.bind(ADMIN_DN, ADMIN_PASSWORD);
      return await fn(c);
    } finally {
      await c.unbind().catch(() => {});
    }
  }

  // Ready when an anonymous bind answers on both ports.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`slapd exited: ${stderr}`);
    try {
      await admin(async () => undefined);
      const s = new Client({ url: ldapsUrl, connectTimeout: 2000, tlsOptions: { ca: caPem } });
      await s.bind(ADMIN_DN, ADMIN_PASSWORD);
      await s.unbind();
      break;
    } catch (e) {
      if (i > 100) throw new Error(`slapd did not answer: ${(e as Error).message} ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    ldapUrl,
    ldapsUrl,
    ldapsWrongNameUrl,
    caPem,
    dir,
    admin,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` generated users: user0001 … with password "pw-<uid>". */
export function manyUsers(count: number, prefix = "user"): DirectoryUser[] {
  return Array.from({ length: count }, (_, i) => {
    const uid = `${prefix}${String(i + 1).padStart(4, "0")}`;
    return { uid, cn: `User ${uid}`, mail: `${uid}@example.jp`, password: `pw-${uid}` };
  });
}
