// The companion permission: loopback over http is granted by the manifest on every port, so it is
// never asked for (Firefox would prompt for it); anything else is requested for its origin.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { requestCompanionPermission } from './companion-permission';

describe('requestCompanionPermission', () => {
  let asked: string[][];

  beforeEach(() => {
    fakeBrowser.reset();
    asked = [];
    (fakeBrowser.permissions as unknown as { request: (request: { origins: string[] }) => Promise<boolean> }).request = async (request) => {
      asked.push(request.origins);
      return true;
    };
  });

  it('does not ask for loopback over http, on any port', async () => {
    for (const url of ['http://127.0.0.1:40715', 'http://localhost:8787/', 'http://127.0.0.1']) expect(await requestCompanionPermission(url)).toBe(true);
    expect(asked).toEqual([]);
  });

  it('asks for the origin of any other companion, https loopback included', async () => {
    expect(await requestCompanionPermission('https://companion.example.com/base')).toBe(true);
    expect(await requestCompanionPermission('https://127.0.0.1:8443')).toBe(true);
    expect(asked).toEqual([['https://companion.example.com/*'], ['https://127.0.0.1:8443/*']]);
  });

  it('refuses what is not a URL without asking', async () => {
    expect(await requestCompanionPermission('not a url')).toBe(false);
    expect(asked).toEqual([]);
  });
});
