import { describe, expect, it } from "vitest";
import { errorChainText } from "@/lib/mdm/results";

describe("errorChainText", () => {
  it("gives the first description with its domain and code", () => {
    expect(errorChainText([{ code: 1009, domain: "MCProfileErrorDomain", description: "プロファイルをインストールできませんでした。" }, { code: 4001, domain: "MCInstallationErrorDomain", description: "cause" }]))
      .toBe("プロファイルをインストールできませんでした。 (MCProfileErrorDomain 1009)");
    expect(errorChainText([{ code: null, domain: "Mamori", description: "The device did not answer" }])).toBe("The device did not answer (Mamori)");
  });

  it("falls back to the English text, or to the domain alone", () => {
    expect(errorChainText([{ code: 12, domain: "X", description: null, usEnglishDescription: "Not now" }])).toBe("Not now (X 12)");
    expect(errorChainText([{ code: 12, domain: "X", description: null }])).toBe("(X 12)");
  });

  it("is null for nothing usable", () => {
    expect(errorChainText(null)).toBeNull();
    expect(errorChainText([])).toBeNull();
    expect(errorChainText("boom")).toBeNull();
  });
});
