/**
 * Evaluates one data point of a CloudWatch alarm from its template: the metric math subset the stacks use
 * (numbers, + - * /, comparisons, FILL, IF, MAX and MIN over [arrays]), with a missing data point as undefined.
 * Arithmetic on a missing value is missing, as in CloudWatch, and division by zero gives no data point.
 * Anything else throws, so that an alarm using more than this is never judged by a guess.
 */

/** The value a metric has in the minute being evaluated; undefined when CloudWatch has no data point. */
export type MetricValues = (metric: {
  readonly namespace: string;
  readonly name: string;
  /** Dimension names, sorted: ['LoadBalancer'] is the load balancer, ['LoadBalancer', 'TargetGroup'] a group. */
  readonly dimensions: readonly string[];
}) => number | undefined;

type Value = number | undefined | Value[];

interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string }[] };
}
interface Query {
  Id: string;
  Expression?: string;
  MetricStat?: MetricStat;
  ReturnData?: boolean;
}
export interface AlarmProperties {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string }[];
  Metrics?: Query[];
  Threshold: number;
  ComparisonOperator: string;
}

const metricValue = (values: MetricValues, namespace: string, name: string, dimensions: { Name: string }[] = []) =>
  values({ namespace, name, dimensions: dimensions.map((d) => d.Name).sort() });

/** The alarm's value for one minute, or undefined when it has no data point. */
export function alarmValue(alarm: AlarmProperties, values: MetricValues): number | undefined {
  if (alarm.Metrics === undefined) {
    return metricValue(values, alarm.Namespace!, alarm.MetricName!, alarm.Dimensions);
  }
  const queries = new Map(alarm.Metrics.map((query) => [query.Id, query]));
  const resolve = (id: string): Value => {
    const query = queries.get(id);
    if (query === undefined) throw new Error(`no metric or expression with id ${id}`);
    if (query.MetricStat !== undefined) {
      const { Namespace, MetricName, Dimensions } = query.MetricStat.Metric;
      return metricValue(values, Namespace, MetricName, Dimensions);
    }
    return evaluate(query.Expression!, resolve);
  };
  const watched = alarm.Metrics.filter((query) => query.ReturnData !== false);
  if (watched.length !== 1) throw new Error(`expected one query with ReturnData, found ${watched.length}`);
  const value = resolve(watched[0]!.Id);
  if (Array.isArray(value)) throw new Error('the watched expression gives an array, not a time series');
  return value;
}

/** Whether the alarm's data point for this minute breaches its threshold (a missing one does not: notBreaching). */
export function breaches(alarm: AlarmProperties, values: MetricValues): boolean {
  const value = alarmValue(alarm, values);
  if (value === undefined) return false;
  const compare: Record<string, (a: number, b: number) => boolean> = {
    GreaterThanThreshold: (a, b) => a > b,
    GreaterThanOrEqualToThreshold: (a, b) => a >= b,
    LessThanThreshold: (a, b) => a < b,
    LessThanOrEqualToThreshold: (a, b) => a <= b,
  };
  const operator = compare[alarm.ComparisonOperator];
  if (operator === undefined) throw new Error(`unsupported comparison ${alarm.ComparisonOperator}`);
  return operator(value, alarm.Threshold);
}

const scalar = (value: Value): number | undefined => {
  if (Array.isArray(value)) throw new Error('an array where a time series was expected');
  return value;
};
const both = (a: Value, b: Value, f: (x: number, y: number) => number | undefined) => {
  const [x, y] = [scalar(a), scalar(b)];
  return x === undefined || y === undefined ? undefined : f(x, y);
};
const defined = (items: Value) => {
  if (!Array.isArray(items)) throw new Error('MAX and MIN take an [array]');
  return items.map(scalar).filter((v): v is number => v !== undefined);
};

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  FILL: ([series, fill]) => scalar(series) ?? scalar(fill),
  IF: ([condition, then, otherwise]) => {
    const c = scalar(condition);
    return c === undefined ? undefined : c !== 0 ? then : otherwise;
  },
  MAX: ([items]) => (defined(items).length === 0 ? undefined : Math.max(...defined(items))),
  MIN: ([items]) => (defined(items).length === 0 ? undefined : Math.min(...defined(items))),
};

const BINARY: Record<string, (a: Value, b: Value) => Value> = {
  '+': (a, b) => both(a, b, (x, y) => x + y),
  '-': (a, b) => both(a, b, (x, y) => x - y),
  '*': (a, b) => both(a, b, (x, y) => x * y),
  '/': (a, b) => both(a, b, (x, y) => (y === 0 ? undefined : x / y)),
  '>=': (a, b) => both(a, b, (x, y) => Number(x >= y)),
  '<=': (a, b) => both(a, b, (x, y) => Number(x <= y)),
  '>': (a, b) => both(a, b, (x, y) => Number(x > y)),
  '<': (a, b) => both(a, b, (x, y) => Number(x < y)),
  '==': (a, b) => both(a, b, (x, y) => Number(x === y)),
  '!=': (a, b) => both(a, b, (x, y) => Number(x !== y)),
};

/** A recursive-descent evaluation of one expression; identifiers are resolved by id. */
export function evaluate(expression: string, resolve: (id: string) => Value): Value {
  const tokens = expression.match(/\d+(?:\.\d+)?|[A-Za-z_]\w*|>=|<=|==|!=|[-+*/()[\],<>]|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new Error(`${expression}: expected ${expected ?? 'a token'} at token ${at}, found ${String(token)}`);
    }
    return token;
  };
  const binary = (operators: readonly string[], next: () => Value) => (): Value => {
    let left = next();
    while (operators.includes(peek() ?? '')) {
      const operator = take();
      left = BINARY[operator]!(left, next());
    }
    return left;
  };
  const primary = (): Value => {
    const token = take();
    if (token === '(') {
      const value = comparison();
      take(')');
      return value;
    }
    if (token === '[') {
      const items: Value[] = [comparison()];
      while (peek() === ',') {
        take(',');
        items.push(comparison());
      }
      take(']');
      return items;
    }
    if (token === '-') return BINARY['-']!(0, primary());
    if (/^\d/.test(token)) return Number(token);
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() !== '(') return resolve(token);
      const f = FUNCTIONS[token];
      if (f === undefined) throw new Error(`${expression}: unsupported function ${token}`);
      take('(');
      const args: Value[] = [comparison()];
      while (peek() === ',') {
        take(',');
        args.push(comparison());
      }
      take(')');
      return f(args);
    }
    throw new Error(`${expression}: unexpected ${token}`);
  };
  const term = binary(['*', '/'], primary);
  const sum = binary(['+', '-'], term);
  const comparison = binary(['>=', '<=', '>', '<', '==', '!='], sum);
  const value = comparison();
  if (at !== tokens.length) throw new Error(`${expression}: unexpected ${String(peek())}`);
  return value;
}
