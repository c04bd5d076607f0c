// Background service worker (Chromium) / event page (Firefox): registers listeners and delegates
// to src/core. It owns the vault and the companion session; pages talk to it with typed messages.
import { browser } from 'wxt/browser';
import { handleMenuClick, createMenus } from '../src/core/menus';
import { isRequestMessage } from '../src/core/messages';
import { OUTBOX_ALARM } from '../src/core/outbox';
import { createRouter } from '../src/core/router';
import { createServices } from '../src/core/services';
import { AUTO_LOCK_ALARM } from '../src/core/vault';

export default defineBackground(() => {
  const services = createServices();
  const route = createRouter(services);
  // A worker that starts again finds what the previous one left: stuck jobs and waiting keys.
  void services.enrichment.recoverInterrupted().catch(() => undefined);

  browser.runtime.onInstalled.addListener(() => {
    void createMenus();
  });

  // CRYPTO.md section 6: a new browser session starts locked.
  browser.runtime.onStartup.addListener(() => {
    void services.vault.lock();
    void createMenus();
  });

  browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (!isRequestMessage(message) || sender.id !== browser.runtime.id) return false;
    void route(message).then(sendResponse);
    return true;
  });

  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === AUTO_LOCK_ALARM) void services.vault.enforceAutoLock();
    if (alarm.name === OUTBOX_ALARM) {
      void services.drainOutbox().catch(() => undefined);
    }
  });

  browser.contextMenus.onClicked.addListener((info, tab) => {
    void handleMenuClick(info, tab, services.enrichment);
  });

  const sidePanel = (browser as { sidePanel?: typeof chrome.sidePanel }).sidePanel;
  void sidePanel?.setPanelBehavior({ openPanelOnActionClick: false }).catch(() => undefined);
});
