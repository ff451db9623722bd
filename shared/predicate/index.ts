/**
 * The predicate language: a small C-like expression language over a recording's memory and
 * registers at one checkpoint (see lexer.ts for the lexical rules, parser.ts for the grammar,
 * values.ts for the arithmetic). Shared by the engine, the CLI and the renderer: no Node or
 * DOM imports anywhere in this folder.
 */
export * from './ast.js';
export * from './lexer.js';
export * from './parser.js';
export * from './values.js';
