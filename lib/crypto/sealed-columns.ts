// Every column that holds a sealed value (lib/crypto seal), with the context it was sealed
// under. `npm run rotate-key` re-seals exactly these; tests/integration/secrets-at-rest checks
// the schema has no sealed column missing here.

export interface SealedColumn {
  table: string;
  column: string;
  context: string;
  idType: "uuid" | "int";
  /** Rows written before the column was sealed hold plain text; rotation seals them too. */
  legacyPlain?: boolean;
}

export const SEALED_COLUMNS: SealedColumn[] = [
  { table: "certificate_authorities", column: "key_sealed", context: "ca-key", idType: "uuid" },
  { table: "push_certificate_requests", column: "key_sealed", context: "push-request-key", idType: "int" },
  { table: "push_certificates", column: "key_sealed", context: "push-cert-key", idType: "uuid" },
  { table: "vendor_certificates", column: "key_sealed", context: "vendor-key", idType: "int" },
  { table: "vendor_signing_service", column: "api_key_sealed", context: "vendor-service.api-key", idType: "int" },
  { table: "vendor_signing_service", column: "encryption_key_sealed", context: "vendor-service.encryption-key", idType: "int" },
  { table: "ade_tokens", column: "key_sealed", context: "ade-key", idType: "int" },
  { table: "ade_tokens", column: "credentials_sealed", context: "ade-credentials", idType: "int" },
  { table: "devices", column: "unlock_token_sealed", context: "unlock-token", idType: "uuid" },
  { table: "devices", column: "bootstrap_token_sealed", context: "bootstrap-token", idType: "uuid" },
  { table: "commands", column: "sealed_body", context: "command-body", idType: "uuid" },
  { table: "user_certificates", column: "pkcs12_sealed", context: "user-certificate-pkcs12", idType: "uuid" },
  { table: "user_certificates", column: "password_sealed", context: "user-certificate-password", idType: "uuid" },
  { table: "android_enterprises", column: "private_key_sealed", context: "android.service-account-key", idType: "int" },
  { table: "android_enterprises", column: "access_token_sealed", context: "android.access-token", idType: "int" },
  // The service-account key of a signup under way (lib/android/binding.ts), until the enterprise exists.
  { table: "android_signups", column: "private_key_sealed", context: "android.service-account-key", idType: "uuid" },
  { table: "mail_messages", column: "text", context: "mail.text", idType: "uuid", legacyPlain: true },
  { table: "mail_messages", column: "html", context: "mail.html", idType: "uuid", legacyPlain: true },
];

/** Sealed fields inside a JSON setting (settings.value). */
export const SEALED_SETTINGS: { key: string; field: string; context: string }[] = [
  { key: "directory", field: "bindPasswordSealed", context: "directory.bindPassword" },
  { key: "smtp", field: "passwordSealed", context: "smtp.password" },
];
