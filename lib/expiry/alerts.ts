import { audit } from "@/lib/audit";
import { sendMail } from "@/lib/mail";
import { getSetting } from "@/lib/settings";
import { recipientGroups } from "./index";
import type { MailLanguage } from "./messages";

// Alerts that cannot wait for an expiry threshold: Apple refusing the push certificate.

const TEXT = {
  ja: (topic: string, reason: string) => ({
    subject: "[Mamori] Apple がプッシュ証明書を拒否しました",
    text: `Apple のプッシュ通知サービスが、プッシュ証明書「${topic}」を拒否しました（${reason}）。\n\nMamori はこの証明書での通知を停止しました。デバイスへのロック・ワイプなどの指示が届きません。\n\nApple Push Certificates Portal で同じ Apple ID から証明書を更新し、Mamori の「証明書」画面でアップロードしてください。`,
  }),
  en: (topic: string, reason: string) => ({
    subject: "[Mamori] Apple refused the push certificate",
    text: `Apple's push service refused the push certificate "${topic}" (${reason}).\n\nMamori has stopped pushing with it: lock, wipe and other commands cannot reach devices.\n\nRenew the certificate in the Apple Push Certificates Portal with the same Apple ID and upload it on Mamori's Certificates page.`,
  }),
};

function compose(language: MailLanguage, topic: string, reason: string) {
  if (language !== "both") return TEXT[language](topic, reason);
  const j = TEXT.ja(topic, reason);
  const e = TEXT.en(topic, reason);
  return { subject: `${j.subject} / ${e.subject.replace(/^\[Mamori\] /, "")}`, text: `${j.text}\n\n${"-".repeat(40)}\n\n${e.text}` };
}

/** Mails the notification recipients (or every admin) that the push certificate is unusable. */
export async function alertPushCertificateRefused(topic: string, reason: string): Promise<void> {
  const { recipients } = await getSetting("notifications");
  for (const g of await recipientGroups(recipients)) {
    const m = await sendMail({ to: g.to, ...compose(g.language, topic, reason) });
    await audit({ actor: { id: null, label: "system" }, action: "pushCert.alert", result: m.status === "FAILED" ? "FAILURE" : "SUCCESS", target: { type: "pushCertificate", label: topic }, details: { mailId: m.id, to: m.to } });
  }
}
