/// <reference types="vite/client" />
// The PDF preview's renderer, loaded on demand (a dynamic import from PdfPreview.svelte): PDF.js
// draws pages into canvases, nothing else. No text, annotation or XFA layer (no HTML from the
// file), no scripting, no eval; the worker is our own /res/ asset. Pages are drawn when they
// come near the scroller's view and dropped when they leave it, so a 500-page file holds a few
// canvases at a time.
import {
  AnnotationMode,
  getDocument,
  GlobalWorkerOptions,
  type PDFDocumentProxy,
  type RenderTask,
} from 'pdfjs-dist';
import workerSrc from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerSrc;

/** A canvas's limit in device pixels (width × height): phones refuse much bigger ones. */
const MAX_PIXELS = 16 * 1024 * 1024;

export interface PdfView {
  pages: number;
  destroy(): void;
}

/** A message for a person: what is wrong with the file, not PDF.js's words. */
export function pdfErrorMessage(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  if (name === 'PasswordException') return 'This PDF is password-protected.';
  if (name === 'InvalidPDFException') return 'This file is not a valid PDF, or it is damaged.';
  const message = err instanceof Error ? err.message : String(err);
  return `Could not show this PDF (${message}).`;
}

/**
 * Open the PDF at `url` and lay out one holder per page in `pagesEl` (inside `scroller`, the
 * scrolling box): each is drawn when it comes within a screen of the view.
 */
export async function openPdf(
  url: string,
  scroller: HTMLElement,
  pagesEl: HTMLElement,
): Promise<PdfView> {
  const task = getDocument({
    url,
    isEvalSupported: false,
    enableXfa: false,
    // No fetches beyond the file itself (no font or wasm files are served).
    useWasm: false,
    useSystemFonts: true,
    stopAtErrors: false,
  });
  let doc: PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (err) {
    void task.destroy();
    throw err;
  }
  const first = (await doc.getPage(1)).getViewport({ scale: 1 });
  const holders: HTMLElement[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const holder = document.createElement('div');
    holder.className = 'pdf-page';
    holder.dataset.page = String(i);
    holder.setAttribute('role', 'img');
    holder.setAttribute('aria-label', `Page ${i} of ${doc.numPages}`);
    // Until drawn, every page is assumed the first one's shape.
    holder.style.aspectRatio = `${first.width} / ${first.height}`;
    holders.push(holder);
  }
  pagesEl.replaceChildren(...holders);

  const near = new Set<number>();
  const drawn = new Map<number, { width: number; task: RenderTask | null }>();
  let destroyed = false;

  async function draw(i: number): Promise<void> {
    const holder = holders[i - 1]!;
    const width = holder.clientWidth;
    if (destroyed || !near.has(i) || width === 0) return;
    const state = { width, task: null as RenderTask | null };
    drawn.set(i, state);
    try {
      const page = await doc.getPage(i);
      const base = page.getViewport({ scale: 1 });
      holder.style.aspectRatio = `${base.width} / ${base.height}`;
      let scale = (width / base.width) * (window.devicePixelRatio || 1);
      const pixels = base.width * base.height * scale * scale;
      if (pixels > MAX_PIXELS) scale *= Math.sqrt(MAX_PIXELS / pixels);
      const viewport = page.getViewport({ scale });
      const canvas = document.createElement('canvas');
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      if (drawn.get(i) !== state) return;
      state.task = page.render({ canvas, viewport, annotationMode: AnnotationMode.ENABLE });
      await state.task.promise;
      if (drawn.get(i) !== state) return;
      state.task = null;
      holder.replaceChildren(canvas);
      holder.classList.add('drawn');
      page.cleanup();
    } catch (err) {
      if (
        drawn.get(i) !== state ||
        (err instanceof Error && err.name === 'RenderingCancelledException')
      )
        return;
      holder.classList.add('failed');
      holder.textContent = `Page ${i} could not be drawn.`;
    }
  }

  function drop(i: number): void {
    const state = drawn.get(i);
    if (!state) return;
    drawn.delete(i);
    state.task?.cancel();
    const holder = holders[i - 1]!;
    for (const c of holder.querySelectorAll('canvas')) {
      // Frees the bitmap now, not when the collector gets to it.
      c.width = 0;
      c.height = 0;
    }
    holder.replaceChildren();
    holder.classList.remove('drawn', 'failed');
  }

  const observer = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const i = Number((e.target as HTMLElement).dataset.page);
        if (e.isIntersecting) {
          near.add(i);
          if (!drawn.has(i)) void draw(i);
        } else {
          near.delete(i);
          drop(i);
        }
      }
    },
    { root: scroller, rootMargin: '100% 0px' },
  );
  for (const h of holders) observer.observe(h);

  // A new width redraws the pages in view at it.
  const resize = new ResizeObserver(() => {
    for (const [i, state] of [...drawn]) {
      if (Math.abs(holders[i - 1]!.clientWidth - state.width) > 1) {
        drop(i);
        void draw(i);
      }
    }
  });
  resize.observe(pagesEl);

  return {
    pages: doc.numPages,
    destroy() {
      destroyed = true;
      observer.disconnect();
      resize.disconnect();
      for (const i of [...drawn.keys()]) drop(i);
      void task.destroy();
    },
  };
}
