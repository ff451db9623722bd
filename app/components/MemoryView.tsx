/**
 * Memory at the selected checkpoint: address, 16 hex bytes, ASCII and a typed column per row;
 * bytes changed since the previous checkpoint (or since the pinned one) highlighted; an
 * inspector reading the selected bytes as every scalar type; "go to" an address or any
 * expression the engine resolves (a symbol selects its whole size); "When did this change?"
 * lists every change of the selected bytes (ChangesPanel).
 *
 * Selecting: click a byte, shift+click to extend; click a typed value to select its bytes.
 * The mouse wheel over the rows scrolls.
 */
import { useEffect, useMemo, useState } from 'react';
import { hexToBytes, maskHas } from '../../shared/api/bytes.js';
import { api } from '../lib/api.js';
import { formatAddress } from '../lib/format.js';
import { asciiOf, readCString, readScalar, SIZE, type ScalarType } from '../lib/typed.js';
import { useQuery } from '../lib/use-query.js';
import { ROW_BYTES, TYPED_COLUMNS, useMemory, type TypedColumn } from '../stores/memory-store.js';
import { useViewer } from '../stores/viewer-store.js';

const ROWS = 24;
const INSPECT: readonly ScalarType[] = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64'];

export function MemoryView(): React.JSX.Element {
  const rec = useViewer((s) => s.summary?.rec ?? null);
  const k = useViewer((s) => s.selected);
  const pinned = useViewer((s) => s.pinned);
  const { base, selection, typed, goTo, setSelection, setTyped, scrollRows, loadChanges } = useMemory();
  const [expr, setExpr] = useState('');
  const [gotoError, setGotoError] = useState<string | null>(null);

  // First look: the program's writable data (where its globals live).
  useEffect(() => {
    if (!rec || base !== null) return;
    let cancelled = false;
    void (async () => {
      const [maps, summary] = [await api().maps({ rec, k }), useViewer.getState().summary];
      const program = summary?.meta.program;
      const data = maps.find((m) => m.perms.startsWith('rw') && m.path === program) ?? maps.find((m) => m.perms.startsWith('rw'));
      if (!cancelled && data && useMemory.getState().base === null) useMemory.getState().goTo(BigInt(data.start) + 32n);
    })().catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [rec, k, base]);

  const len = ROWS * ROW_BYTES;
  const compareTo = pinned !== null && pinned !== k ? pinned : undefined;
  const q = useQuery(
    rec && base !== null ? () => api().readMemory({ rec, k, addr: '0x' + base.toString(16), len, compareTo }) : null,
    [rec, k, base, compareTo],
  );
  const block = useMemo(() => {
    if (!q.data) return null;
    return { base: BigInt(q.data.addr), bytes: hexToBytes(q.data.bytes), readable: hexToBytes(q.data.readable), changed: hexToBytes(q.data.changed), comparedTo: q.data.comparedTo };
  }, [q.data]);

  const onGo = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    if (!rec || !expr.trim()) return;
    try {
      const r = await api().resolve({ rec, k, expr: expr.trim() });
      setGotoError(null);
      goTo(BigInt(r.addr), r.size && r.size > 0 ? Math.min(r.size, 4096) : 1);
    } catch (err) {
      setGotoError((err as Error).message);
    }
  };

  const selStart = selection?.addr ?? null;
  const selEnd = selection ? selection.addr + BigInt(selection.len) : null;
  const isSelected = (a: bigint): boolean => selStart !== null && selEnd !== null && a >= selStart && a < selEnd;

  const clickByte = (a: bigint, e: React.MouseEvent): void => {
    if (e.shiftKey && selection) {
      const start = a < selection.addr ? a : selection.addr;
      const end = a >= selection.addr + BigInt(selection.len) ? a + 1n : selection.addr + BigInt(selection.len);
      setSelection({ addr: start, len: Number(end - start) });
    } else setSelection({ addr: a, len: 1 });
  };

  /** Whether all n bytes from offset o were read (a value of any unread byte is unknown). */
  const readableAt = (o: number, n: number): boolean => {
    if (!block || o < 0 || o + n > block.bytes.length) return false;
    for (let i = o; i < o + n; i++) if (!maskHas(block.readable, i)) return false;
    return true;
  };
  const selOffset = block && selection ? Number(selection.addr - block.base) : -1;
  const selInView = block !== null && selOffset >= 0 && selOffset < block.bytes.length;

  return (
    <section className="panel memory" data-testid="memory-view">
      <header className="panel-head">
        <h2>Memory</h2>
        <form className="goto" onSubmit={(e) => void onGo(e)}>
          <input data-testid="memory-goto" value={expr} onChange={(e) => setExpr(e.target.value)} placeholder="address, symbol or expression" spellCheck={false} />
          <button type="submit" data-testid="memory-goto-button">
            Go
          </button>
        </form>
        <label className="typed-pick">
          as
          <select data-testid="memory-typed" value={typed} onChange={(e) => setTyped(e.target.value as TypedColumn)}>
            {TYPED_COLUMNS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      </header>
      {gotoError && (
        <div className="inline-error" data-testid="memory-goto-error">
          {gotoError}
        </div>
      )}
      <div className="memory-compare">
        {block === null
          ? base === null
            ? 'nothing shown yet: go to an address, a symbol or an expression'
            : '…'
          : block.comparedTo === null
            ? 'no earlier checkpoint to compare with'
            : pinned !== null && block.comparedTo === pinned
              ? <span className="pinned-note">changed since pinned #{block.comparedTo}</span>
              : `changed since #${block.comparedTo}`}
        {q.error && <span className="inline-error"> {q.error}</span>}
      </div>
      <div
        className="hex-grid"
        data-testid="memory-grid"
        onWheel={(e) => scrollRows(Math.sign(e.deltaY) * 3)}
      >
        {block &&
          Array.from({ length: ROWS }, (_, r) => {
            const rowAddr = block.base + BigInt(r * ROW_BYTES);
            const off = r * ROW_BYTES;
            const cells = [];
            const ascii = [];
            for (let i = 0; i < ROW_BYTES; i++) {
              const o = off + i;
              const a = rowAddr + BigInt(i);
              const readable = maskHas(block.readable, o);
              const b = block.bytes[o]!;
              const cls = ['byte', readable ? (b === 0 ? 'zero' : '') : 'unreadable', readable && maskHas(block.changed, o) ? 'changed' : '', isSelected(a) ? 'selected' : '', i === 8 ? 'gap' : ''].filter(Boolean).join(' ');
              cells.push(
                <span key={i} className={cls} data-addr={a.toString(16)} onClick={(e) => clickByte(a, e)}>
                  {readable ? b.toString(16).padStart(2, '0') : '??'}
                </span>,
              );
              ascii.push(
                <span key={i} className={['ch', isSelected(a) ? 'selected' : '', readable && maskHas(block.changed, o) ? 'changed' : ''].filter(Boolean).join(' ')} onClick={(e) => clickByte(a, e)}>
                  {readable ? asciiOf(b) : ' '}
                </span>,
              );
            }
            const size = SIZE[typed];
            const values = [];
            for (let i = 0; i < ROW_BYTES; i += size) {
              const a = rowAddr + BigInt(i);
              const readable = readableAt(off + i, size);
              values.push(
                <span key={i} className={['val', isSelected(a) ? 'selected' : ''].filter(Boolean).join(' ')} onClick={() => setSelection({ addr: a, len: size })} title={`${typed} at ${formatAddress(a)}`}>
                  {readable ? readScalar(block.bytes, off + i, typed) : '??'}
                </span>,
              );
            }
            return (
              <div className="hex-row" key={r}>
                <span className="addr">{rowAddr.toString(16).padStart(12, '0')}</span>
                <span className="bytes">{cells}</span>
                <span className="ascii">{ascii}</span>
                <span className={`typed typed-${size}`}>{values}</span>
              </div>
            );
          })}
      </div>
      <footer className="inspector" data-testid="memory-inspector">
        {selection && block && selInView ? (
          <>
            <div className="inspector-head">
              <span>
                {formatAddress(selection.addr)} · {selection.len} byte{selection.len === 1 ? '' : 's'}
              </span>
              <button data-testid="when-changed" onClick={() => rec && void loadChanges(rec, k)} title="List every checkpoint where these bytes changed">
                When did this change?
              </button>
            </div>
            <div className="inspector-values">
              {INSPECT.map((t) => (
                <span key={t} className="kv" data-testid={`inspect-${t}`}>
                  <span className="k">{t}</span>
                  <span className="v">{selOffset + SIZE[t] > block.bytes.length ? '—' : readableAt(selOffset, SIZE[t]) ? readScalar(block.bytes, selOffset, t) : '??'}</span>
                </span>
              ))}
              <span className="kv wide">
                <span className="k">cstr</span>
                <span className="v">{readCString(block.bytes, selOffset, 64, (i) => maskHas(block.readable, i))}</span>
              </span>
            </div>
          </>
        ) : (
          <div className="hint">Click a byte to inspect it; shift+click to select a range.</div>
        )}
      </footer>
    </section>
  );
}
