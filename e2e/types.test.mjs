// The package's TypeScript types accept what a user writes (types/usage.ts), under `strict`.
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { writeFileSync, readFileSync } from "node:fs";

test("the TypeScript types of pkg/ check a typical use", () => {
  const pkg = resolve(process.env.PKG_DIR ?? "../pkg");
  const config = JSON.parse(readFileSync("types/tsconfig.json", "utf8"));
  config.compilerOptions.paths["presence-widgets"] = [`${pkg}/presence_widgets.d.ts`];
  writeFileSync("types/tsconfig.generated.json", JSON.stringify(config, null, 2));
  execFileSync(resolve("node_modules/.bin/tsc"), ["-p", "types/tsconfig.generated.json"], { stdio: "inherit" });
});
