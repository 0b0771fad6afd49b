/// <reference types="vite/client" />
// The package's tags, typed in templates (GlobalComponents).
/// <reference types="presence-widgets/vue" />
