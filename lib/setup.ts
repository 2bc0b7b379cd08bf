import { z } from "zod";
import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { hashPassword, passwordProblem, PASSWORD_MIN } from "@/lib/auth/password";
import { normalizeEmail } from "@/lib/auth/login";

const SETUP_KEY = "setup.completed";

/** True until the first admin exists; never true again afterwards, even if admins are deleted. */
export async function needsSetup(): Promise<boolean> {
  return (await prisma().setting.findUnique({ where: { key: SETUP_KEY } })) === null;
}

// Every field is checked at once (the form shows each problem beside its field); completeSetup
// checks the password again for callers that skip the schema.
export const setupSchema = z
  .object({
    name: z.string().trim().min(1, "validation.required").max(100, "validation.tooLong"),
    email: z.string().trim().email("validation.email").max(320, "validation.tooLong"),
    password: z.string(),
    confirm: z.string(),
  })
  .superRefine((v, ctx) => {
    const email = v.email.includes("@") ? normalizeEmail(v.email) : undefined;
    const problem = passwordProblem(v.password, { email, name: v.name });
    if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: `errors.${problem}`, params: { min: PASSWORD_MIN } });
    if (v.confirm !== v.password) ctx.addIssue({ code: "custom", path: ["confirm"], message: "errors.password.mismatch" });
  });

export type SetupInput = z.infer<typeof setupSchema>;

export async function completeSetup(input: SetupInput, ctx: { ip: string | null; userAgent: string | null }) {
  const email = normalizeEmail(input.email);
  const problem = passwordProblem(input.password, { email, name: input.name });
  if (problem) throw new UserError(problem, { min: PASSWORD_MIN });
  if (input.password !== input.confirm) throw new UserError("password.mismatch");
  const passwordHash = await hashPassword(input.password);
  try {
    return await prisma().$transaction(async (tx) => {
      // The settings row's primary key is the lock: a raced second setup fails right here.
      await tx.setting.create({ data: { key: SETUP_KEY, value: { at: new Date().toISOString(), email } } });
      const user = await tx.user.create({
        data: { email, displayName: input.name.trim(), role: "ADMIN", passwordHash },
      });
      await audit({ actor: { id: user.id, label: email }, action: "setup.complete", target: { type: "user", id: user.id, label: email }, ...ctx }, tx);
      return user;
    });
  } catch (e) {
    if ((e as { code?: string }).code === "P2002") {
      await audit({ actor: { id: null, label: email }, action: "setup.complete", result: "DENIED", details: { reason: "alreadyDone" }, ...ctx });
      throw new UserError("setup.alreadyDone");
    }
    throw e;
  }
}
