import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Built into ../../../target/e2e/frameworks/react (OUT_DIR), its server entry beside it.
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: { outDir: process.env.OUT_DIR ?? "dist", emptyOutDir: true },
});
