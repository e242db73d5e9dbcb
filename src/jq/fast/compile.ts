/**
 * The fast path of `--jq`: a compiler from a common subset of jq — paths (`.a.b`, `."k"`, `?`),
 * literals, `$args`, `|`, `,`, `//`, `and`/`or`/`not`, comparisons, object construction,
 * `select`, `startswith`, `endswith`, `empty` — to JavaScript closures over values parsed by
 * values.ts. Anything outside the subset does not compile (jq runs it); a record whose evaluation
 * would raise a jq error, or that cannot be kept exact, is handed to jq too, so messages and
 * edge cases stay jq's own. Differential tests check it against jq-wasm.
 */
import { BigLiteral, Decline, compare, equals, truthy, type ObjectValue, type Value } from './values.js';

/** A jq runtime error would happen here; jq itself will report it. */
export class JqWouldFail extends Error {}

type Emit = (v: Value) => void;
type Node = (input: Value, emit: Emit) => void;

interface Token {
  readonly kind: 'punct' | 'field' | 'ident' | 'string' | 'number' | 'var' | 'end';
  readonly text: string;
}

class Unsupported extends Error {}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') throw new Unsupported('comment');
    const two = src.slice(i, i + 2);
    if (['//', '==', '!=', '<=', '>='].includes(two)) {
      if (two === '//' && src[i + 2] === '=') throw new Unsupported('//=');
      tokens.push({ kind: 'punct', text: two });
      i += 2;
      continue;
    }
    if (c === '.' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i + 1))!;
      tokens.push({ kind: 'field', text: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (c === '.' && src[i + 1] === '.') throw new Unsupported('..');
    if ('.|,()<>{}:?'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
      continue;
    }
    if (c === '$') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i + 1));
      if (!m) throw new Unsupported('$');
      tokens.push({ kind: 'var', text: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          if (src[j + 1] === '(') throw new Unsupported('string interpolation');
          j += 2;
        } else j++;
      }
      if (j >= src.length) throw new Unsupported('unterminated string');
      tokens.push({ kind: 'string', text: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(src.slice(i))!;
      if (/^[.eE]/.test(src.slice(i + m[0].length))) throw new Unsupported('non-integer literal');
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      // Identifiers are object keys or keywords; any other function call is outside the subset (see keyword()).
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
      continue;
    }
    throw new Unsupported(`character ${c}`);
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

function number(text: string): Value {
  return text.length <= 15 && !(text.length > 1 && text.startsWith('0')) ? Number(text) : new BigLiteral(text, BigInt(text));
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly args: Readonly<Record<string, string>>,
  ) {}

  private peek(): Token {
    return this.tokens[this.at]!;
  }
  private take(): Token {
    return this.tokens[this.at++]!;
  }
  private is(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }
  private expect(text: string): void {
    if (!this.is(text)) throw new Unsupported(`expected ${text}`);
    this.at++;
  }

  program(): Node {
    const node = this.pipe();
    if (this.peek().kind !== 'end') throw new Unsupported('trailing tokens');
    return node;
  }

  private pipe(): Node {
    const left = this.comma();
    if (!this.is('|')) return left;
    this.at++;
    const right = this.pipe();
    return (input, emit) => left(input, (v) => right(v, emit));
  }

  private comma(): Node {
    let node = this.alt();
    while (this.is(',')) {
      this.at++;
      const a = node;
      const b = this.alt();
      node = (input, emit) => {
        a(input, emit);
        b(input, emit);
      };
    }
    return node;
  }

  private alt(): Node {
    const left = this.or();
    if (!this.is('//')) return left;
    this.at++;
    const right = this.alt();
    return (input, emit) => {
      let any = false;
      try {
        left(input, (v) => {
          if (truthy(v)) {
            any = true;
            emit(v);
          }
        });
      } catch (error) {
        // `//` suppresses errors of its left side, as jq does.
        if (!(error instanceof JqWouldFail)) throw error;
      }
      if (!any) right(input, emit);
    };
  }

  private or(): Node {
    let node = this.and();
    while (this.is('or')) {
      this.at++;
      const a = node;
      const b = this.and();
      node = (input, emit) => a(input, (x) => (truthy(x) ? emit(true) : b(input, (y) => emit(truthy(y)))));
    }
    return node;
  }

  private and(): Node {
    let node = this.comparison();
    while (this.is('and')) {
      this.at++;
      const a = node;
      const b = this.comparison();
      node = (input, emit) => a(input, (x) => (!truthy(x) ? emit(false) : b(input, (y) => emit(truthy(y)))));
    }
    return node;
  }

  private comparison(): Node {
    const left = this.postfix();
    const t = this.peek();
    if (t.kind !== 'punct' || !['==', '!=', '<', '<=', '>', '>='].includes(t.text)) return left;
    this.at++;
    const right = this.postfix();
    const test = {
      '==': (a: Value, b: Value) => equals(a, b),
      '!=': (a: Value, b: Value) => !equals(a, b),
      '<': (a: Value, b: Value) => compare(a, b) < 0,
      '<=': (a: Value, b: Value) => compare(a, b) <= 0,
      '>': (a: Value, b: Value) => compare(a, b) > 0,
      '>=': (a: Value, b: Value) => compare(a, b) >= 0,
    }[t.text]!;
    // jq evaluates the right operand in the outer loop.
    return (input, emit) => right(input, (b) => left(input, (a) => emit(test(a, b))));
  }

  private postfix(): Node {
    let node = this.term();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'field') {
        this.at++;
        node = this.index(node, t.text);
      } else if (t.kind === 'punct' && t.text === '.' && this.tokens[this.at + 1]?.kind === 'string') {
        this.at++;
        node = this.index(node, this.take().text);
      } else if (this.is('?')) {
        this.at++;
        const inner = node;
        node = (input, emit) => {
          try {
            inner(input, emit);
          } catch (error) {
            if (!(error instanceof JqWouldFail)) throw error;
          }
        };
      } else return node;
    }
  }

  private index(base: Node, key: string): Node {
    return (input, emit) =>
      base(input, (v) => {
        if (v === null) emit(null);
        else if (typeof v === 'object' && !Array.isArray(v) && !(v instanceof BigLiteral)) emit(Object.hasOwn(v, key) ? v[key]! : null);
        else throw new JqWouldFail('cannot index');
      });
  }

  private term(): Node {
    const t = this.take();
    switch (t.kind) {
      case 'field':
        this.at--;
        return (input, emit) => emit(input);
      case 'string':
        return (_input, emit) => emit(t.text);
      case 'number': {
        const value = number(t.text);
        return (_input, emit) => emit(value);
      }
      case 'var': {
        if (!(t.text in this.args)) throw new Unsupported(`$${t.text}`);
        const value = this.args[t.text]!;
        return (_input, emit) => emit(value);
      }
      case 'punct':
        if (t.text === '.') {
          const identity: Node = (input, emit) => emit(input);
          // `."key"`: an index written as a string.
          return this.peek().kind === 'string' ? this.index(identity, this.take().text) : identity;
        }
        if (t.text === '(') {
          const inner = this.pipe();
          this.expect(')');
          return inner;
        }
        if (t.text === '{') return this.object();
        throw new Unsupported(`token ${t.text}`);
      case 'ident':
        return this.keyword(t.text);
      default:
        throw new Unsupported('end of program');
    }
  }

  private keyword(word: string): Node {
    switch (word) {
      case 'true':
        return (_i, emit) => emit(true);
      case 'false':
        return (_i, emit) => emit(false);
      case 'null':
        return (_i, emit) => emit(null);
      case 'empty':
        return () => {};
      case 'not':
        return (input, emit) => emit(!truthy(input));
      case 'select': {
        this.expect('(');
        const cond = this.pipe();
        this.expect(')');
        return (input, emit) => cond(input, (v) => (truthy(v) ? emit(input) : undefined));
      }
      case 'startswith':
      case 'endswith': {
        this.expect('(');
        const arg = this.pipe();
        this.expect(')');
        const starts = word === 'startswith';
        return (input, emit) =>
          arg(input, (s) => {
            if (typeof input !== 'string' || typeof s !== 'string') throw new JqWouldFail(`${word}() requires string inputs`);
            emit(starts ? input.startsWith(s) : input.endsWith(s));
          });
      }
      default:
        throw new Unsupported(word);
    }
  }

  /** `{a, b: E, "c": E, $v}`; values are ExpD (terms joined by `|`), as in jq's grammar. */
  private object(): Node {
    const pairs: [string, Node][] = [];
    if (!this.is('}')) {
      for (;;) {
        const t = this.take();
        let key: string;
        let value: Node;
        if (t.kind === 'var') {
          if (!(t.text in this.args)) throw new Unsupported(`$${t.text}`);
          const v = this.args[t.text]!;
          key = t.text;
          value = (_i, emit) => emit(v);
        } else if (t.kind === 'ident' || t.kind === 'string') {
          key = t.text;
          value = this.index((input, emit) => emit(input), key);
        } else throw new Unsupported('object key');
        if (this.is(':')) {
          if (t.kind === 'var') throw new Unsupported('$v: in object');
          this.at++;
          value = this.objectValue();
        }
        pairs.push([key, value]);
        if (this.is(',')) {
          this.at++;
          continue;
        }
        break;
      }
    }
    this.expect('}');
    return (input, emit) => {
      const build = (k: number, acc: [string, Value][]): void => {
        if (k === pairs.length) {
          const obj: ObjectValue = Object.create(null) as ObjectValue;
          for (const [key, v] of acc) {
            if (/^(?:0|[1-9]\d*)$/.test(key)) throw new Decline('integer-like key');
            obj[key] = v;
          }
          emit(obj);
          return;
        }
        const [key, node] = pairs[k]!;
        node(input, (v) => build(k + 1, [...acc, [key, v]]));
      };
      build(0, []);
    };
  }

  private objectValue(): Node {
    const left = this.postfix();
    if (!this.is('|')) return left;
    this.at++;
    const right = this.objectValue();
    return (input, emit) => left(input, (v) => right(v, emit));
  }
}

/** A compiled fast filter: the outputs for one parsed record. Throws JqWouldFail or Decline to hand the record to jq. */
export type FastFilter = (input: Value) => Value[];

/**
 * Compiles `program` if it is in the subset; undefined otherwise.
 * @example compileFast('select(.granted==false)')!(parseJson(line))
 */
export function compileFast(program: string, args: Readonly<Record<string, string>> = {}): FastFilter | undefined {
  let node: Node;
  try {
    node = new Parser(tokenize(program), args).program();
  } catch (error) {
    if (error instanceof Unsupported || error instanceof SyntaxError) return undefined;
    throw error;
  }
  return (input) => {
    const out: Value[] = [];
    node(input, (v) => out.push(v));
    return out;
  };
}
