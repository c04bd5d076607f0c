// Injected on demand into the page the user asked to enrich: defines the extractor that returns
// the readable article (Mozilla Readability on a clone, so the page itself is left untouched).
import { Readability } from '@mozilla/readability';

export default defineUnlistedScript(() => {
  (globalThis as { byokExtractPage?: () => { title: string; text: string } | null }).byokExtractPage = () => {
    const clone = document.cloneNode(true) as Document;
    const article = new Readability(clone).parse();
    const text = article?.textContent?.trim() || document.body?.innerText?.trim() || '';
    return { title: article?.title || document.title, text };
  };
});
