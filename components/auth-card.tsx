import { LocaleSwitcher } from "./locale-switcher";

/** The narrow centred card of the signed-out pages (setup, sign-in). */
export function AuthCard({ title, intro, children }: { title: string; intro?: string; children: React.ReactNode }) {
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-md flex-col justify-center gap-6 px-4 py-10">
      <div className="flex items-center justify-between">
        <span className="text-xl font-bold text-brand-700">Mamori</span>
        <LocaleSwitcher />
      </div>
      <section className="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="mb-2 text-2xl font-semibold">{title}</h1>
        {intro && <p className="mb-4 text-sm text-slate-600">{intro}</p>}
        {children}
      </section>
    </main>
  );
}
