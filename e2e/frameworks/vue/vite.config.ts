import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

export default defineConfig({
  plugins: [
    vue({
      // The package's tags are custom elements, not Vue components.
      template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith("presence-") } },
    }),
  ],
  base: "./",
  build: { outDir: process.env.OUT_DIR ?? "dist", emptyOutDir: true },
});
