/** scripts/web-size.ts: what the first load of each screen costs, from Vite's manifest. */
import { describe, expect, it } from "vitest";
import { firstLoads } from "../../scripts/web-size.ts";

describe("first-load size of the web app", () => {
  it("counts the entry with everything it imports, plus each lazily loaded screen's own chunks", () => {
    const manifest = {
      "index.html": { file: "assets/index.js", isEntry: true, imports: ["_vendor.js"] },
      "_vendor.js": { file: "assets/vendor.js" },
      "_shared.js": { file: "assets/shared.js", imports: ["_vendor.js"] },
      "src/screens/A.tsx": { file: "assets/A.js", isDynamicEntry: true, imports: ["_shared.js"] },
      "src/screens/B.tsx": { file: "assets/B.js", isDynamicEntry: true },
    };
    const sizes: Record<string, number> = {
      "assets/index.js": 100,
      "assets/vendor.js": 50,
      "assets/shared.js": 20,
      "assets/A.js": 5,
      "assets/B.js": 1,
    };
    const { entry, screens } = firstLoads(manifest, (f) => sizes[f] ?? Number.NaN);
    expect(entry).toBe(150);
    expect(screens).toEqual([
      { screen: "src/screens/A.tsx", bytes: 175 },
      { screen: "src/screens/B.tsx", bytes: 151 },
    ]);
  });
});
