/** Printing a result as text, JSON (one line) or YAML, the `-o text|json|yaml` every structured command takes. */
import { stringify } from 'yaml';
import type { OutputFormat } from './formats.js';

export { OUTPUT_FORMATS, type OutputFormat } from './formats.js';

/** Renders `value` in the format; `text` uses the command's own renderer. */
export function renderStructured(format: OutputFormat, value: unknown, text: () => string): string {
  switch (format) {
    case 'json':
      return JSON.stringify(value) + '\n';
    case 'yaml':
      return '---\n' + stringify(value);
    case 'text':
      return text();
  }
}
