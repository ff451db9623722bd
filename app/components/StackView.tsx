/**
 * The call stack of the stopped thread at the selected checkpoint (unwound from DWARF
 * call-frame information by the service), innermost first. Frames with readable source can be
 * clicked to show them in the source view.
 */
import { useSource } from '../stores/source-store.js';
import { useViewer } from '../stores/viewer-store.js';

export function StackView(): React.JSX.Element {
  const k = useViewer((s) => s.selected);
  const location = useSource((s) => s.location);
  const chooseFrame = useSource((s) => s.chooseFrame);
  if (!location) return <div className="hint">No stack at this checkpoint.</div>;
  return (
    <ol className="stack" data-testid="stack-view">
      {location.frames.map((f, i) => (
        <li
          key={i}
          className={[i === location.frame ? 'current' : '', f.hasSource ? 'has-source' : ''].filter(Boolean).join(' ')}
          onClick={() => f.hasSource && chooseFrame(k, i)}
          data-testid="stack-frame"
          title={f.file ? `${f.file}:${f.line ?? '?'}` : f.pc}
        >
          <span className="idx">#{i}</span>
          <span className="fn">{f.function ?? f.pc}</span>
          <span className="where">
            {f.file ? `${f.file.split('/').at(-1)}:${f.line ?? '?'}` : ''}
            {f.library ? <span className="lib"> {f.library}</span> : null}
          </span>
        </li>
      ))}
    </ol>
  );
}
