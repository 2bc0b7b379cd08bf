// Texts of the expiry mails, kept beside the code that sends them rather than in the UI
// catalogs: they are mail bodies, not screens, and a mail to a shared address carries both.

export type Kind = "pushCertificate" | "adeToken" | "ca";
export type MailLanguage = "ja" | "en" | "both";

export interface MessageVars {
  label: string;
  /** YYYY-MM-DD in the portal's time zone. */
  date: string;
  /** YYYY-MM-DD HH:mm in the portal's time zone. */
  dateTime: string;
  timeZone: string;
  daysLeft: number;
  expired: boolean;
  appleId?: string;
}

interface KindText {
  name: string;
  before: string;
  after: string;
  steps: (v: MessageVars) => string;
}

interface LanguageText {
  kinds: Record<Kind, KindText>;
  subject: (name: string, v: MessageVars) => string;
  lead: (name: string, v: MessageVars) => string;
  footer: string;
}

const en: LanguageText = {
  subject: (name, v) =>
    v.expired ? `[Mamori] ${name} has expired (${v.date})`
    : v.daysLeft === 0 ? `[Mamori] ${name} expires within 24 hours (${v.date})`
    : `[Mamori] ${name} expires in ${v.daysLeft} ${v.daysLeft === 1 ? "day" : "days"} (${v.date})`,
  lead: (name, v) =>
    v.expired ? `The ${name} "${v.label}" expired on ${v.dateTime} (${v.timeZone}).`
    : `The ${name} "${v.label}" expires on ${v.dateTime} (${v.timeZone}), ${
      v.daysLeft === 0 ? "within 24 hours" : `in ${v.daysLeft} ${v.daysLeft === 1 ? "day" : "days"}`}.`,
  footer: "This message was sent automatically by Mamori. Choose who receives these notices and when under Settings > Notifications.",
  kinds: {
    pushCertificate: {
      name: "Apple push certificate",
      before: "When it expires, Mamori can no longer send push notifications to managed iPhones, iPads and Macs: commands such as lock, erase, app and profile changes stop reaching them, and new devices cannot enroll.",
      after: "Mamori can no longer send push notifications to managed iPhones, iPads and Macs: commands such as lock, erase, app and profile changes do not reach them, and new devices cannot enroll.",
      steps: (v) => [
        "To renew it:",
        "1. In Mamori, open Certificates and create a new certificate request.",
        `2. Sign in to the Apple Push Certificates Portal (https://identity.apple.com) with the same Apple ID that created this certificate${v.appleId ? ` (${v.appleId})` : ""}, choose Renew next to this certificate and upload the request.`,
        "3. Download the renewed certificate and upload it in Mamori under Certificates.",
        "Renew the existing certificate rather than creating a new one: a certificate with a different topic means every device has to enroll again.",
      ].join("\n"),
    },
    adeToken: {
      name: "Automated Device Enrollment server token",
      before: "When it expires, Mamori can no longer sync with Apple Business Manager: newly purchased or erased devices are no longer enrolled automatically. Devices already enrolled keep working.",
      after: "Mamori can no longer sync with Apple Business Manager: newly purchased or erased devices are not enrolled automatically. Devices already enrolled keep working.",
      steps: () => [
        "To renew it:",
        "1. Sign in to Apple Business Manager (https://business.apple.com) as an administrator.",
        "2. Under Preferences > Your MDM Servers, select the Mamori server and download a new server token.",
        "3. Upload the token in Mamori's admin console.",
      ].join("\n"),
    },
    ca: {
      name: "device certificate authority",
      before: "When it expires, devices can no longer obtain or renew their identity certificates and stop checking in with Mamori.",
      after: "Devices can no longer obtain or renew their identity certificates and do not check in with Mamori.",
      steps: () => "Renew the certificate authority in Mamori under Certificates.",
    },
  },
};

const ja: LanguageText = {
  subject: (name, v) =>
    v.expired ? `[Mamori] ${name}の有効期限が切れました（${v.date}）`
    : v.daysLeft === 0 ? `[Mamori] ${name}の有効期限が 24 時間以内に切れます（${v.date}）`
    : `[Mamori] ${name}の有効期限まであと ${v.daysLeft} 日です（${v.date}）`,
  lead: (name, v) =>
    v.expired ? `${name}「${v.label}」の有効期限が ${v.dateTime}（${v.timeZone}）に切れました。`
    : `${name}「${v.label}」の有効期限は ${v.dateTime}（${v.timeZone}）です（${
      v.daysLeft === 0 ? "残り 24 時間以内" : `あと ${v.daysLeft} 日`}）。`,
  footer: "このメールは Mamori から自動送信されています。通知の宛先と時期は「設定」>「通知」で変更できます。",
  kinds: {
    pushCertificate: {
      name: "Apple プッシュ証明書",
      before: "期限が切れると、Mamori から管理対象の iPhone・iPad・Mac にプッシュ通知を送れなくなります。ロックや消去、アプリや構成プロファイルの変更などのコマンドがデバイスに届かなくなり、新しいデバイスも登録できなくなります。",
      after: "現在、Mamori から管理対象の iPhone・iPad・Mac にプッシュ通知を送れません。ロックや消去、アプリや構成プロファイルの変更などのコマンドがデバイスに届かず、新しいデバイスも登録できません。",
      steps: (v) => [
        "更新手順:",
        "1. Mamori の「証明書」画面で、新しい証明書要求を作成します。",
        `2. Apple Push Certificates Portal（https://identity.apple.com）に、この証明書を作成したときと同じ Apple ID${v.appleId ? `（${v.appleId}）` : ""}でサインインし、この証明書の「Renew」を選んで証明書要求をアップロードします。`,
        "3. 更新された証明書をダウンロードし、Mamori の「証明書」画面でアップロードします。",
        "新しい証明書を作成せず、必ず既存の証明書を更新してください。トピックの異なる証明書に切り替えると、すべてのデバイスの再登録が必要になります。",
      ].join("\n"),
    },
    adeToken: {
      name: "自動デバイス登録（ADE）サーバートークン",
      before: "期限が切れると、Mamori と Apple Business Manager の同期ができなくなり、新しく購入したデバイスや消去したデバイスが自動登録されなくなります。登録済みのデバイスはそのまま使えます。",
      after: "現在、Mamori と Apple Business Manager の同期ができず、新しく購入したデバイスや消去したデバイスが自動登録されません。登録済みのデバイスはそのまま使えます。",
      steps: () => [
        "更新手順:",
        "1. Apple Business Manager（https://business.apple.com）に管理者としてサインインします。",
        "2. 「環境設定」の「MDM サーバ」で Mamori のサーバを選び、新しいサーバートークンをダウンロードします。",
        "3. ダウンロードしたトークンを Mamori の管理画面でアップロードします。",
      ].join("\n"),
    },
    ca: {
      name: "デバイス認証局（CA）証明書",
      before: "期限が切れると、デバイスが証明書を取得・更新できなくなり、Mamori へのチェックインが止まります。",
      after: "現在、デバイスが証明書を取得・更新できず、Mamori へのチェックインが止まっています。",
      steps: () => "Mamori の「証明書」画面で認証局を更新してください。",
    },
  },
};

function compose(lang: LanguageText, kind: Kind, v: MessageVars): { subject: string; text: string } {
  const k = lang.kinds[kind];
  const text = [lang.lead(k.name, v), v.expired ? k.after : k.before, k.steps(v), lang.footer].join("\n\n");
  // Sentence-initial in English subjects ("Device certificate authority expires ...").
  return { subject: lang.subject(k.name.charAt(0).toUpperCase() + k.name.slice(1), v), text };
}

/** Subject and plain-text body; "both" puts Japanese first, then English, in one mail. */
export function expiryMail(language: MailLanguage, kind: Kind, v: MessageVars): { subject: string; text: string } {
  if (language === "ja") return compose(ja, kind, v);
  if (language === "en") return compose(en, kind, v);
  const j = compose(ja, kind, v);
  const e = compose(en, kind, v);
  return {
    subject: `${j.subject} / ${e.subject.replace(/^\[Mamori\] /, "")}`,
    text: `${j.text}\n\n${"-".repeat(40)}\n\n${e.text}`,
  };
}
