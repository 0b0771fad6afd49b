import { provideZonelessChangeDetection } from "@angular/core";
import { bootstrapApplication } from "@angular/platform-browser";
import { settings, startPresence } from "../../shared/presence";
import { App } from "./app";

startPresence(settings(location.search).sim)
  .then(() => bootstrapApplication(App, { providers: [provideZonelessChangeDetection()] }))
  .catch((error: unknown) => console.error(error));
