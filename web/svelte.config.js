import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app served by the Worker's static assets, same origin as /api.
    adapter: adapter({ pages: "build", assets: "build", fallback: "index.html", strict: false }),
  },
};
