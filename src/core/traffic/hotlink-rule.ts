/** The hotlink rule's thresholds (STOWAGE_HOTLINK_FACTOR, STOWAGE_HOTLINK_MIN_DOWNLOADS). */
export interface HotlinkOptions {
  /** Downloads above this many times the views trip the rule; 0 turns the rule off. */
  factor: number;
  /** ...once the file has at least this many downloads. */
  minDownloads: number;
}

/** A file's unique views and downloads (stored counters plus those not yet written). */
export interface ViewsAndDownloads {
  views: number;
  downloads: number;
}

/**
 * Pixeldrain's rule: "the rate limit will be enabled if a file has three times more downloads
 * than views". A file is hotlinked when its downloads exceed `factor` × views and number at
 * least `minDownloads`. Views catch up when visitors open the viewer (and solve the captcha), and
 * the rule lifts by itself.
 */
export function isHotlinked(c: ViewsAndDownloads, opts: HotlinkOptions): boolean {
  if (opts.factor <= 0) return false;
  return c.downloads >= opts.minDownloads && c.downloads > opts.factor * c.views;
}
