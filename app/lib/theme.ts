/**
 * Colours shared by canvas drawing and Monaco/xterm themes (CSS uses the same values as
 * custom properties in styles/app.css). One dark palette, tuned for long sessions.
 */
export const theme = {
  bg: '#16181d',
  panel: '#1c1f26',
  panelAlt: '#21252d',
  border: '#2c313b',
  text: '#d5d9e0',
  textDim: '#8b93a1',
  textFaint: '#5c6470',
  accent: '#4fb3ff',
  density: '#2f8f83',
  densityHi: '#5fd4c4',
  changed: '#e2b340',
  selected: '#ffffff',
  pinned: '#d070e0',
  result: '#ff8a3d',
  bookmark: '#4fb3ff',
  change: '#7bd88f',
  exit: '#ff5c5c',
  breakpoint: '#e2b340',
  request: '#4fd0e0',
  exec: '#b48cff',
  mono: '"JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
} as const;
