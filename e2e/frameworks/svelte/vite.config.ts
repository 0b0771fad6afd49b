import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  base: "./",
  build: { outDir: process.env.OUT_DIR ?? "dist", emptyOutDir: true },
});
