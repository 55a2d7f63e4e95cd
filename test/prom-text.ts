/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: it throws on
 * anything a Prometheus server would reject or that the format forbids (bad names, bad escapes,
 * a TYPE after its samples or twice, a family's samples not together, duplicate series,
 * histograms whose buckets are not cumulative or whose +Inf bucket differs from _count).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | null;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, Family>;
  /** The value of one series (exact labels), or undefined. */
  get(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum of the series of a name whose labels include `match`. */
  sum(name: string, match?: Record<string, string>): number;
  /** Every sample of a name. */
  series(name: string): Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(line: number, msg: string): never {
  throw new Error(`prometheus text, line ${line}: ${msg}`);
}

/**
 * Values as Prometheus reads them (Go's strconv.ParseFloat): a decimal float, or Inf/NaN in any
 * case (prom-client writes NaN as "Nan", e.g. the event-loop lag's deviation before two samples).
 */
function parseValue(raw: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(raw)) return Infinity;
  if (/^-inf(inity)?$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) fail(line, `bad value "${raw}"`);
  return Number(raw);
}

function unescapeHelp(s: string, line: number): string {
  return s.replace(/\\(.?)/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    fail(line, `bad escape \\${c} in HELP`);
  });
}

/** The family a sample belongs to: histogram/summary suffixes map to their base name. */
function familyOf(name: string, types: Map<string, MetricType>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = types.get(base);
      if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
    }
  }
  return name;
}

function parseLabels(s: string, line: number): [Record<string, string>, number] {
  // s starts after '{'; returns labels and the index just after '}'
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    if (s[i] === '}') return [labels, i + 1];
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(s.slice(i));
    if (!m) fail(line, `bad label at "${s.slice(i, i + 20)}"`);
    const name = m[1]!;
    if (!LABEL_NAME.test(name) || name.startsWith('__')) fail(line, `bad label name ${name}`);
    if (name in labels) fail(line, `label ${name} twice`);
    i += m[0].length;
    let v = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) fail(line, 'unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else fail(line, `bad escape \\${n} in label value`);
        i += 2;
        continue;
      }
      if (c === '\n') fail(line, 'newline in label value');
      v += c;
      i++;
    }
    labels[name] = v;
    i++; // closing quote
    if (s[i] === ',') i++;
    else if (s[i] !== '}') fail(line, `expected , or } after label ${name}`);
  }
}

export function parsePrometheusText(text: string): Exposition {
  if (text.length > 0 && !text.endsWith('\n')) fail(0, 'the last line must end with \\n');
  const families = new Map<string, Family>();
  const types = new Map<string, MetricType>();
  const helps = new Map<string, string>();
  const seenSeries = new Set<string>();
  const closed = new Set<string>(); // families whose samples are over
  let current: string | null = null;
  const lines = text.split('\n');
  lines.pop();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: types.get(name) ?? 'untyped', help: helps.get(name) ?? null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name!)) fail(n, `bad metric name ${name}`);
      if (kind === 'TYPE') {
        if (types.has(name!)) fail(n, `TYPE of ${name} twice`);
        if (families.get(name!)?.samples.length) fail(n, `TYPE of ${name} after its samples`);
        if (!TYPES.has(rest.trim())) fail(n, `unknown type "${rest}"`);
        types.set(name!, rest.trim() as MetricType);
        family(name!).type = rest.trim() as MetricType;
      } else {
        if (helps.has(name!)) fail(n, `HELP of ${name} twice`);
        helps.set(name!, unescapeHelp(rest, n));
        family(name!).help = helps.get(name!)!;
      }
      return;
    }
    const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(raw);
    if (!nm) fail(n, `bad sample line "${raw}"`);
    const name = nm[1]!;
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const [l, end] = parseLabels(rest.slice(1), n);
      labels = l;
      rest = rest.slice(1 + end);
    }
    const vm = /^[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$/.exec(rest);
    if (!vm) fail(n, `bad value part "${rest}"`);
    const value = parseValue(vm[1]!, n);
    const fam = familyOf(name, types);
    if (current !== fam) {
      if (closed.has(fam)) fail(n, `samples of ${fam} are not together`);
      if (current) closed.add(current);
      current = fam;
    }
    const t = types.get(fam) ?? 'untyped';
    if (t === 'histogram' && name === `${fam}_bucket` && !('le' in labels)) {
      fail(n, `${name} without le`);
    }
    if (t === 'counter' && (value < 0 || Number.isNaN(value)))
      fail(n, `counter ${name} is ${value}`);
    const key = `${name}{${Object.keys(labels)
      .sort()
      .map((k) => `${k}=${JSON.stringify(labels[k])}`)
      .join(',')}}`;
    if (seenSeries.has(key)) fail(n, `duplicate series ${key}`);
    seenSeries.add(key);
    family(fam).samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  const matches = (s: Sample, want: Record<string, string>) =>
    Object.entries(want).every(([k, v]) => s.labels[k] === v);
  const all = (name: string) =>
    families.get(familyOf(name, types))?.samples.filter((s) => s.name === name) ?? [];
  return {
    families,
    series: all,
    get(name, labels = {}) {
      const want = Object.keys(labels).length;
      return all(name).find((s) => Object.keys(s.labels).length === want && matches(s, labels))
        ?.value;
    },
    sum(name, match = {}) {
      return all(name)
        .filter((s) => matches(s, match))
        .reduce((a, s) => a + s.value, 0);
    },
  };
}

/** Buckets cumulative and sorted by le, +Inf present and equal to _count, per label set. */
function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  const keyOf = (labels: Record<string, string>) =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([k]) => k !== 'le')
        .sort(),
    );
  for (const s of f.samples) {
    const k = keyOf(s.labels);
    const g = groups.get(k) ?? { buckets: [] };
    groups.set(k, g);
    if (s.name === `${f.name}_bucket`) g.buckets.push([parseValue(s.labels.le!, 0), s.value]);
    else if (s.name === `${f.name}_count`) g.count = s.value;
  }
  for (const [k, g] of groups) {
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![1] < sorted[i - 1]![1])
        throw new Error(`${f.name}${k}: buckets not cumulative`);
    }
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    if (g.count !== inf[1])
      throw new Error(`${f.name}${k}: +Inf bucket ${inf[1]} != _count ${g.count}`);
  }
}
