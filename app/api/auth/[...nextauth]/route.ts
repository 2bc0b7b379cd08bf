import type { NextRequest } from "next/server";
import { handlers } from "@/lib/auth";
import { route } from "@/lib/auth/guard";

// Sign-in and session endpoints of next-auth: open to anyone (it checks credentials itself).
export const GET = route.public("auth.session", (req) => handlers.GET(req as NextRequest));
export const POST = route.public("auth.session", (req) => handlers.POST(req as NextRequest));
