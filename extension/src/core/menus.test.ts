// "Enrich linked document" asks for read access to the link's site inside the click (a permission
// request needs the user gesture, so nothing may be awaited before it), and a download that failed
// without that access says so.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { createHarness, type Harness } from '../testing/harness';
import { DOWNLOAD_FAILED, ExtensionError } from './errors';
import { explainDownloadFailure, handleMenuClick, MENU_LINK, MENU_SELECTION } from './menus';

describe('context menu', () => {
  let harness: Harness;
  let requested: string[][];
  let answer: boolean;

  beforeEach(async () => {
    fakeBrowser.reset();
    harness = await createHarness();
    requested = [];
    answer = false;
    (fakeBrowser.permissions as unknown as { request: (permissions: { origins?: string[] }) => Promise<boolean> }).request = async (permissions) => {
      requested.push(permissions.origins ?? []);
      return answer;
    };
  });

  const click = (menuItemId: string, extra: Record<string, unknown> = {}) =>
    handleMenuClick({ menuItemId, editable: false, pageUrl: 'https://news.example.com/story', ...extra } as never, undefined, harness.services.enrichment);

  it('asks for the linked site before anything is awaited', async () => {
    const pending = click(MENU_LINK, { linkUrl: 'https://docs.example.org:8443/papers/a.pdf?x=1' });
    // Still inside the click's task: the request has been made.
    expect(requested).toEqual([['https://docs.example.org/*']]);
    const id = await pending;
    expect(await harness.services.db.history.get(id ?? '')).toMatchObject({ state: 'error', kind: 'document' });
  });

  it('explains a failed download by the refused access, and nothing else', () => {
    const url = 'https://docs.example.org/a.pdf';
    const failed = new ExtensionError('extract_failed', DOWNLOAD_FAILED);
    expect(explainDownloadFailure(failed, false, url)).toMatchObject({ code: 'permission_denied', message: expect.stringContaining('docs.example.org') });
    expect(explainDownloadFailure(failed, true, url)).toBe(failed);
    const unsupported = new ExtensionError('unsupported_document', 'Only web pages, PDF and plain text.');
    expect(explainDownloadFailure(unsupported, false, url)).toBe(unsupported);
  });

  it('asks nothing for a selection or for a link that is not http(s)', async () => {
    await click(MENU_SELECTION, { selectionText: 'Some text.' });
    await click(MENU_LINK, { linkUrl: 'mailto:someone@example.org' });
    expect(requested).toEqual([]);
  });
});
