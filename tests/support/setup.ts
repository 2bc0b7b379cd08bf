import { inject } from "vitest";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.MAMORI_DATA_KEY ||= inject("dataKey");
process.env.AUTH_SECRET ||= "test-secret-test-secret-test-secret";
