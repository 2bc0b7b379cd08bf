import { describe, expect, it } from "vitest";
import { FilterParser } from "ldapts";
import { groupName, userFilter } from "@/lib/directory/client";
import { DEFAULT_CONFIG } from "@/lib/directory/config";

describe("directory filters and mapping", () => {
  it("narrows the configured filter to one username, escaping what could widen it", () => {
    const c = { ...DEFAULT_CONFIG, filter: "(objectClass=inetOrgPerson)" };
    expect(userFilter(c, "taro")).toBe("(&(objectClass=inetOrgPerson)(uid=taro))");
    const evil = userFilter(c, "*)(uid=*");
    expect(evil).toBe("(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))");
    // Still one equality test on uid, not a wildcard.
    expect(() => FilterParser.parseString(evil)).not.toThrow();
    expect(evil).not.toMatch(/uid=\*/);
  });

  it("takes a group from a plain value or the first name of a DN", () => {
    expect(groupName("Sales")).toBe("Sales");
    expect(groupName("cn=Engineering,ou=groups,dc=example,dc=jp")).toBe("Engineering");
    expect(groupName("cn=R\\2CD,ou=groups,dc=example,dc=jp")).toBe("R,D");
    expect(groupName("cn=\\E5\\96\\B6\\E6\\A5\\AD,ou=groups,dc=example,dc=jp")).toBe("営業");
    expect(groupName("cn=Sales\\, East,ou=groups,dc=example,dc=jp")).toBe("Sales, East");
    expect(groupName("  ")).toBeNull();
  });
});
