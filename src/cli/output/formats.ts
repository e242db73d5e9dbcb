/** The `-o` formats, apart from the renderer so that declaring `-o` does not load yaml at start-up. */
export const OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
