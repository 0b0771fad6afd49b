// The README's sign-in recipes (`<!-- recipe: NAME -->` and the ```ts block after it) compile
// under `strict` against the package's types and the sign-in libraries' own types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";

const RECIPES = ["graph-msal", "genesys-pkce"];

/** The code of the ```ts block right after the line `<!-- recipe: NAME -->`. */
function recipe(readme, name) {
  const marker = `<!-- recipe: ${name} -->`;
  const lines = readme.split("\n");
  const at = lines.findIndex((line) => line.trim() === marker);
  assert.notEqual(at, -1, `README.md has no \`${marker}\` line`);
  let open = at + 1;
  while (open < lines.length && lines[open].trim() === "") open += 1;
  assert.equal(lines[open]?.trim(), "```ts", `README.md's \`${marker}\` is not followed by a \`\`\`ts block`);
  const close = lines.findIndex((line, i) => i > open && line.trim() === "```");
  assert.notEqual(close, -1, `README.md's \`${marker}\` block is never closed`);
  const code = lines.slice(open + 1, close).join("\n");
  assert.ok(code.trim(), `README.md's \`${marker}\` block is empty`);
  return code;
}

const readme = readFileSync("../README.md", "utf8");

for (const name of RECIPES) {
  test(`the README's ${name} recipe type-checks`, () => {
    const file = `recipe-${name}.ts`;
    writeFileSync(`types/${file}`, `// Made by signin.test.mjs from README.md's ${name} recipe.\n${recipe(readme, name)}\n`);
    const pkg = resolve(process.env.PKG_DIR ?? "../pkg");
    const config = {
      compilerOptions: {
        target: "ES2022",
        module: "ES2022",
        moduleResolution: "Bundler",
        lib: ["ES2022", "DOM"],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        paths: { "presence-widgets": [`${pkg}/presence_widgets.d.ts`] },
      },
      files: [file],
    };
    const tsconfig = `types/tsconfig.recipe-${name}.json`;
    writeFileSync(tsconfig, JSON.stringify(config, null, 2));
    execFileSync(resolve("node_modules/.bin/tsc"), ["-p", tsconfig], { stdio: "inherit" });
  });
}
