import { mount } from "svelte";
import { settings, startPresence } from "../../shared/presence";
import App from "./App.svelte";

const { sim, people } = settings(location.search);
await startPresence(sim);
mount(App, { target: document.getElementById("app")!, props: { people } });
