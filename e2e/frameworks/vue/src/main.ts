import { createApp } from "vue";
import { settings, startPresence } from "../../shared/presence";
import App from "./App.vue";

const { sim, people } = settings(location.search);
await startPresence(sim);
createApp(App, { people }).mount("#app");
