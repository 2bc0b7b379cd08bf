import { cache } from "react";
import { prisma } from "@/lib/db/client";

/**
 * The rows that expire, as the dashboard's cards and its days-left chart show them: read once
 * per request (React's cache) however many parts of the page ask.
 */
export const expiryRows = cache(async () => {
  const [push, ade, ca] = await Promise.all([
    prisma().pushCertificate.findFirst({ where: { status: "ACTIVE" }, select: { notAfter: true, topic: true, unusableAt: true } }),
    prisma().adeToken.findUnique({ where: { id: 1 }, select: { accessTokenExpiry: true, orgName: true } }),
    prisma().certificateAuthority.findUnique({ where: { purpose: "device" }, select: { notAfter: true, subject: true } }),
  ]);
  return { push, ade, ca };
});
