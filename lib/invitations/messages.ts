// Texts of the invitation and reminder mails, in the user's language (ja unless the user
// chose en). Mail bodies, not screens: kept beside the code that sends them.

export interface InvitationVars {
  name: string;
  /** The enrollment link: <public url>/go?invite=<token>, or /go for a reminder. */
  link: string;
  /** The short address to type: <public url>/go. */
  go: string;
  email: string;
  pin: string | null;
  pinUntil: string | null;
  until: string;
}

interface Text {
  subject: string;
  reminderSubject: string;
  greeting: (v: InvitationVars) => string;
  lead: string;
  reminderLead: string;
  pin: (v: InvitationVars) => string;
  noPin: string;
  reminderAuth: string;
  until: (v: InvitationVars) => string;
  steps: string[];
  footer: string;
}

const ja: Text = {
  subject: "[Mamori] デバイス登録のご案内",
  reminderSubject: "[Mamori] デバイス登録がまだ完了していません",
  greeting: (v) => `${v.name} 様`,
  lead: "会社のデバイス管理 (Mamori) にお使いのデバイスを登録してください。登録するデバイスで次のリンクを開きます:",
  reminderLead: "デバイス登録がまだ完了していません。登録するデバイスで次のアドレスを開いてください:",
  pin: (v) => `ワンタイム PIN: ${v.pin} (${v.pinUntil} まで、1 回限り有効)\nメールアドレス ${v.email} と、この PIN を入力します。`,
  noPin: "メールアドレスとパスワードでサインインします。",
  reminderAuth: "最初の招待メールの PIN、またはパスワードでサインインします。PIN の期限が切れた場合は IT 管理者に再送を依頼してください。",
  until: (v) => `この招待の有効期限: ${v.until}`,
  steps: [
    "iPhone / iPad: Safari でリンクを開き、「ダウンロード」を選んでから、設定アプリの「プロファイルがダウンロードされました」→「インストール」をタップします。",
    "Mac: Safari でリンクを開いてプロファイルをダウンロードし、システム設定 →「プライバシーとセキュリティ」→「プロファイル」でインストールします。",
    "Android: Chrome でリンクを開き、画面の案内に従います。",
    "パソコンでこのメールを読んでいる場合は、登録するデバイスのブラウザで上のアドレスを入力してください。",
  ],
  footer: "このメールは Mamori から自動送信されています。心当たりがない場合は IT 管理者にお問い合わせください。",
};

const en: Text = {
  subject: "[Mamori] Enroll your device",
  reminderSubject: "[Mamori] Your device is not enrolled yet",
  greeting: (v) => `Hello ${v.name},`,
  lead: "Please enroll your device in your company's device management (Mamori). Open this link on the device you want to enroll:",
  reminderLead: "Your device enrollment is not finished yet. Open this address on the device you want to enroll:",
  pin: (v) => `One-time PIN: ${v.pin} (valid once, until ${v.pinUntil})\nEnter your email address ${v.email} and this PIN.`,
  noPin: "Sign in with your email address and password.",
  reminderAuth: "Sign in with the PIN from your first invitation mail or with your password. If the PIN has expired, ask your IT administrator to send the invitation again.",
  until: (v) => `This invitation is valid until ${v.until}.`,
  steps: [
    "iPhone / iPad: open the link in Safari, choose Allow, then in Settings tap Profile Downloaded > Install.",
    "Mac: open the link in Safari to download the profile, then install it in System Settings > Privacy & Security > Profiles.",
    "Android: open the link in Chrome and follow the steps on the screen.",
    "Reading this on a computer? Type the address above into the browser of the device to enroll.",
  ],
  footer: "Mamori sent this message automatically. If you did not expect it, ask your IT administrator.",
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function invitationMail(locale: string | null | undefined, v: InvitationVars, reminder = false) {
  const l = locale === "en" ? en : ja;
  const auth = reminder ? l.reminderAuth : v.pin ? l.pin(v) : l.noPin;
  const lead = reminder ? l.reminderLead : l.lead;
  const text = [l.greeting(v), "", lead, v.link, "", auth, l.until(v), "", ...l.steps.map((s) => `- ${s}`), "", l.footer].join("\n");
  const html = `<div style="font-family:system-ui,sans-serif;max-width:36rem">
<p>${esc(l.greeting(v))}</p><p>${esc(lead)}</p>
<p><a href="${esc(v.link)}" style="display:inline-block;padding:12px 20px;background:#0f766e;color:#fff;border-radius:8px;text-decoration:none">${esc(v.link)}</a></p>
<p style="white-space:pre-line">${esc(auth)}</p><p>${esc(l.until(v))}</p>
<ul>${l.steps.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>
<p style="color:#64748b;font-size:12px">${esc(l.footer)}</p></div>`;
  return { subject: reminder ? l.reminderSubject : l.subject, text, html };
}
