// A horizontal swipe on a touch screen (the list viewer's previous/next): one finger, at least
// SWIPE_MIN px across and mostly sideways. Not with two fingers (a pinch), not on a zoomed-in
// page (the finger pans it), not from inside something that scrolls sideways or is a control
// (a player's seek bar, a field). While the page is not zoomed the area claims sideways pans
// (touch-action: pan-y pinch-zoom): else the browser takes them for its own back/forward gesture
// and cancels the touch. Boxes that scroll sideways inside it still scroll.

export const SWIPE_MIN = 60;

export interface SwipeHandlers {
  /** Right to left: the next item. */
  onnext: () => void;
  /** Left to right: the previous one. */
  onprevious: () => void;
}

/** Whether a gesture starting on `target` belongs to something inside `root` instead. */
function claimed(target: EventTarget | null, root: HTMLElement): boolean {
  for (
    let el = target instanceof Element ? target : null;
    el && el !== root;
    el = el.parentElement
  ) {
    if (el.matches('input, textarea, select, video, audio, [contenteditable]')) return true;
    if (el.scrollWidth > el.clientWidth + 1) {
      const overflow = getComputedStyle(el).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return true;
    }
  }
  return false;
}

/** Svelte action: call `onnext`/`onprevious` on a swipe inside `node`. */
export function swipe(node: HTMLElement, handlers: SwipeHandlers) {
  let current = handlers;
  let start: { x: number; y: number } | null = null;
  let last: { x: number; y: number } | null = null;

  const onstart = (e: TouchEvent) => {
    const t = e.touches[0];
    start =
      e.touches.length === 1 && t && !zoomed() && !claimed(e.target, node)
        ? { x: t.clientX, y: t.clientY }
        : null;
    last = start;
  };
  const onmove = (e: TouchEvent) => {
    const t = e.touches[0];
    // A second finger makes it a pinch, for good.
    if (e.touches.length !== 1 || !t) start = null;
    else last = { x: t.clientX, y: t.clientY };
  };
  const onend = (e: TouchEvent) => {
    if (!start || !last || e.touches.length > 0) {
      if (e.touches.length === 0) start = null;
      return;
    }
    const dx = last.x - start.x;
    const dy = last.y - start.y;
    start = null;
    if (Math.abs(dx) < SWIPE_MIN || Math.abs(dx) < 2 * Math.abs(dy)) return;
    if (dx < 0) current.onnext();
    else current.onprevious();
  };
  const oncancel = () => {
    start = null;
  };
  const zoomed = () => (window.visualViewport?.scale ?? 1) > 1.01;
  const claimPans = () => {
    node.style.touchAction = zoomed() ? '' : 'pan-y pinch-zoom';
  };
  claimPans();
  window.visualViewport?.addEventListener('resize', claimPans);
  const passive = { passive: true };
  node.addEventListener('touchstart', onstart, passive);
  node.addEventListener('touchmove', onmove, passive);
  node.addEventListener('touchend', onend, passive);
  node.addEventListener('touchcancel', oncancel, passive);
  return {
    update(next: SwipeHandlers) {
      current = next;
    },
    destroy() {
      window.visualViewport?.removeEventListener('resize', claimPans);
      node.removeEventListener('touchstart', onstart);
      node.removeEventListener('touchmove', onmove);
      node.removeEventListener('touchend', onend);
      node.removeEventListener('touchcancel', oncancel);
    },
  };
}
