/**
 * The recording viewer: the timeline across the top, the selected checkpoint's memory, source,
 * output, search and registers/maps/changes below it.
 *
 *   +-----------------------------------------------------------------------------+
 *   | checkpoint bar: #k, trigger, time, pin, bookmark                            |
 *   | timeline                                                                    |
 *   +--------------------------+------------------------+-------------------------+
 *   | memory                   | source                 | search                  |
 *   |                          +------------------------+-------------------------+
 *   |                          | output at #k           | regs|stack|maps|diff|chg|
 *   +--------------------------+------------------------+-------------------------+
 *   | gdb #k | gdb #j |  (the gdb dock, while any "Open in gdb" tab is open)         |
 *   +-----------------------------------------------------------------------------+
 *
 * gdb tabs belong to the recording shown: they close when another one is opened or the
 * viewer is left. The screen is mounted afresh for every recording shown (App keys it by the
 * viewer's scope), so no view keeps anything of the previous one.
 */
import { useEffect, useState } from 'react';
import { ChangesPanel } from '../components/ChangesPanel.js';
import { CheckpointBar } from '../components/CheckpointBar.js';
import { DiffView } from '../components/DiffView.js';
import { GdbDock } from '../components/GdbDock.js';
import { MapsView } from '../components/MapsView.js';
import { MemoryView } from '../components/MemoryView.js';
import { RegistersView } from '../components/RegistersView.js';
import { SearchPanel } from '../components/SearchPanel.js';
import { SourceView } from '../components/SourceView.js';
import { StackView } from '../components/StackView.js';
import { TerminalAt } from '../components/TerminalAt.js';
import { Timeline } from '../components/timeline/Timeline.js';
import { useCheckpointKeys } from '../lib/keys.js';
import { useGdb } from '../stores/gdb-store.js';
import { useMemory } from '../stores/memory-store.js';

type Tab = 'registers' | 'stack' | 'maps' | 'diff' | 'changes';

export function ViewerScreen(): React.JSX.Element {
  useCheckpointKeys();
  const [tab, setTab] = useState<Tab>('registers');
  const changes = useMemory((s) => s.changes);
  const hasGdb = useGdb((s) => s.tabs.length > 0);
  useEffect(() => () => useGdb.getState().closeAll(), []);
  useEffect(() => {
    if (changes) setTab('changes');
  }, [changes?.sel]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <div className={hasGdb ? 'viewer with-gdb' : 'viewer'} data-testid="viewer-screen">
      <CheckpointBar />
      <Timeline />
      <div className="viewer-grid">
        <MemoryView />
        <div className="col">
          <SourceView />
          <TerminalAt />
        </div>
        <div className="col">
          <SearchPanel />
          <section className="panel tabs-panel">
            <nav className="tabs" role="tablist">
              {(['registers', 'stack', 'maps', 'diff', 'changes'] as const).map((t) => (
                <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'tab on' : 'tab'} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
                  {t[0]!.toUpperCase() + t.slice(1)}
                </button>
              ))}
            </nav>
            <div className="tab-body">
              {tab === 'registers' && <RegistersView />}
              {tab === 'stack' && <StackView />}
              {tab === 'maps' && <MapsView />}
              {tab === 'diff' && <DiffView />}
              {tab === 'changes' && <ChangesPanel />}
            </div>
          </section>
        </div>
      </div>
      <GdbDock />
    </div>
  );
}
