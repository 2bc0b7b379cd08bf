import { redirect } from "next/navigation";
import { needsSetup } from "@/lib/setup";
import { view } from "@/lib/auth/guard";

export const dynamic = "force-dynamic";

export default async function Home() {
  if (await needsSetup()) redirect("/setup");
  const user = await view.public();
  if (!user) redirect("/login");
  redirect(user.role === "ADMIN" ? "/admin" : "/my");
}
