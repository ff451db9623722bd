/**
 * Start: open a recording (recent ones, or by path) or make a new one. New recording asks for
 * the program, its arguments and working directory, and the triggers (syscalls, an interval,
 * breakpoints); the bundled demo is filled in when the app was started with --demo, else the
 * form as last submitted.
 */
import { useEffect, useState } from 'react';
import type { StartRecordingParams } from '../../shared/api/contract.js';
import { splitArgs } from '../lib/format.js';
import { useApp } from '../stores/app-store.js';

export function StartScreen(): React.JSX.Element {
  return (
    <div className="start" data-testid="start-screen">
      <div className="start-col">
        <OpenRecording />
        <RecentList />
        <Guide />
      </div>
      <div className="start-col">
        <NewRecordingForm />
      </div>
    </div>
  );
}

function OpenRecording(): React.JSX.Element {
  const open = useApp((s) => s.openRecording);
  const busy = useApp((s) => s.busy);
  const [path, setPath] = useState('');
  return (
    <section className="card">
      <h2>Open a recording</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim()) void open(path.trim());
        }}
      >
        <input data-testid="open-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/recording.dlr" spellCheck={false} />
        <button type="submit" data-testid="open-button" disabled={!path.trim() || busy !== null}>
          Open
        </button>
      </form>
    </section>
  );
}

function RecentList(): React.JSX.Element {
  const recent = useApp((s) => s.recent);
  const open = useApp((s) => s.openRecording);
  return (
    <section className="card grow">
      <h2>Recent recordings</h2>
      {recent.length === 0 ? (
        <p className="hint">Nothing yet. Record a program, or open a recording made with <code>delorean record</code>.</p>
      ) : (
        <ul className="recent" data-testid="recent-list">
          {recent.map((r) => (
            <li key={r.path} onClick={() => void open(r.path)} data-testid="recent-item" title={r.path}>
              <span className="name">{r.program.split('/').at(-1)}</span>
              <span className="dim">
                {r.checkpoints.toLocaleString('en-US')} checkpoint{r.checkpoints === 1 ? '' : 's'}
              </span>
              <span className="path">{r.path}</span>
              <span className="dim when">{new Date(r.openedAt).toLocaleString()}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The three things to know, for a first session. */
function Guide(): React.JSX.Element {
  return (
    <section className="card guide">
      <h2>How it works</h2>
      <ol>
        <li>
          <b>Record.</b> DeLorean runs the program under its recorder and takes a checkpoint of every page it writes, at each chosen system call, interval or
          breakpoint. The demo is a shop with a buffer overrun: record it.
        </li>
        <li>
          <b>Scrub.</b> Drag across the timeline, or step with <kbd>←</kbd> <kbd>→</kbd>, <kbd>PgUp</kbd> <kbd>PgDn</kbd>, <kbd>Home</kbd> <kbd>End</kbd>; the wheel
          zooms. Memory, registers, source and output follow the selected checkpoint.
        </li>
        <li>
          <b>Search.</b> Write a predicate such as <code>u32(shop + 64) != 0xc0ffee11</code> and Bisect to the first checkpoint where it holds, or select
          bytes and ask <i>When did this change?</i>
        </li>
      </ol>
    </section>
  );
}

const BACKENDS = ['auto', 'uffd-wp', 'soft-dirty', 'hash'] as const;
type Backend = (typeof BACKENDS)[number];

/** The form as last submitted, so the next recording starts from it (kept by the browser). */
interface LastForm {
  readonly program: string;
  readonly args: string;
  readonly cwd: string;
  readonly syscalls: string;
  readonly interval: string;
  readonly breaks: string;
  readonly backend: Backend;
}
const LAST_FORM_KEY = 'delorean.new-recording';

function loadLastForm(): LastForm | null {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(LAST_FORM_KEY) ?? 'null');
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    const str = (k: string): string => (typeof o[k] === 'string' ? o[k] : '');
    const backend = BACKENDS.find((b) => b === o.backend) ?? 'auto';
    return { program: str('program'), args: str('args'), cwd: str('cwd'), syscalls: typeof o.syscalls === 'string' ? o.syscalls : 'write', interval: str('interval'), breaks: str('breaks'), backend };
  } catch {
    return null; // unreadable or storage refused: start from the defaults
  }
}

function saveLastForm(form: LastForm): void {
  try {
    localStorage.setItem(LAST_FORM_KEY, JSON.stringify(form));
  } catch {
    // Storage refused (private mode, quota): the form just starts from the defaults next time.
  }
}

function NewRecordingForm(): React.JSX.Element {
  const info = useApp((s) => s.info);
  const start = useApp((s) => s.startRecording);
  const busy = useApp((s) => s.busy);
  const [last] = useState(loadLastForm);
  const [program, setProgram] = useState(last?.program ?? '');
  const [args, setArgs] = useState(last?.args ?? '');
  const [cwd, setCwd] = useState(last?.cwd ?? '');
  const [syscalls, setSyscalls] = useState(last?.syscalls ?? 'write');
  const [interval, setIntervalText] = useState(last?.interval ?? '');
  const [breaks, setBreaks] = useState(last?.breaks ?? '');
  const [backend, setBackend] = useState<Backend>(last?.backend ?? 'auto');
  const [out, setOut] = useState('');

  useEffect(() => {
    if (!info) return;
    if (info.demo && (info.preselectDemo || !program)) setProgram(info.demo.program);
    if (!cwd) setCwd(info.cwd);
    // Only when the host info arrives.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [info]);

  const list = (s: string): string[] =>
    s
      .split(/[,\s]+/)
      .map((x) => x.trim())
      .filter(Boolean);

  const submit = (e: React.FormEvent): void => {
    e.preventDefault();
    const sc = syscalls.trim();
    const params: StartRecordingParams = {
      program: program.trim(),
      args: splitArgs(args),
      cols: 100,
      rows: 30,
      backend,
      ...(cwd.trim() ? { cwd: cwd.trim() } : {}),
      ...(sc ? { syscalls: sc === 'all' ? ('all' as const) : list(sc) } : {}),
      ...(interval.trim() ? { interval: interval.trim() } : {}),
      ...(breaks.trim() ? { breaks: list(breaks) } : {}),
      ...(out.trim() ? { out: out.trim() } : {}),
    };
    saveLastForm({ program, args, cwd, syscalls, interval, breaks, backend });
    void start(params);
  };

  return (
    <section className="card">
      <h2>New recording</h2>
      <form className="form" onSubmit={submit} data-testid="new-recording">
        <label>
          <span>Program</span>
          <input data-testid="rec-program" value={program} onChange={(e) => setProgram(e.target.value)} placeholder="/path/to/program" spellCheck={false} required />
        </label>
        {info?.demo && program === info.demo.program && <div className="hint field-hint">The bundled demo ({info.demo.source.split('/').at(-1)}): a small C program with a bug to find.</div>}
        <label>
          <span>Arguments</span>
          <input data-testid="rec-args" value={args} onChange={(e) => setArgs(e.target.value)} placeholder="arg1 'arg 2'" spellCheck={false} />
        </label>
        <label>
          <span>Working directory</span>
          <input data-testid="rec-cwd" value={cwd} onChange={(e) => setCwd(e.target.value)} spellCheck={false} />
        </label>
        <fieldset>
          <legend>Checkpoint when</legend>
          <label>
            <span>Syscalls</span>
            <input data-testid="rec-syscalls" value={syscalls} onChange={(e) => setSyscalls(e.target.value)} placeholder="write, read … or all" spellCheck={false} />
          </label>
          <label>
            <span>Every</span>
            <input data-testid="rec-interval" value={interval} onChange={(e) => setIntervalText(e.target.value)} placeholder="e.g. 10ms (off when empty)" spellCheck={false} />
          </label>
          <label>
            <span>Breakpoints</span>
            <input data-testid="rec-breaks" value={breaks} onChange={(e) => setBreaks(e.target.value)} placeholder="functions or addresses: main, 0x401136" spellCheck={false} />
          </label>
        </fieldset>
        <label>
          <span>Dirty tracking</span>
          <select value={backend} onChange={(e) => setBackend(e.target.value as Backend)}>
            {BACKENDS.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Save to</span>
          <input data-testid="rec-out" value={out} onChange={(e) => setOut(e.target.value)} placeholder={info ? `${info.recordingsDir}/NAME-TIME.dlr` : ''} spellCheck={false} />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="rec-start" disabled={!program.trim() || busy !== null}>
            ● Record
          </button>
        </div>
      </form>
    </section>
  );
}
