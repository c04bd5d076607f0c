// Background service worker: registers listeners and delegates to src/core.
export default defineBackground(() => {
  // Filled in by the extension issue.
});
