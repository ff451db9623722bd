import { describe, expect, it } from 'vitest';
import { checkpointAtX, clampView, followGrowth, MIN_SPAN, panBy, revealCheckpoint, stepSelection, wholeView, zoomAt } from './timeline.js';

describe('timeline view', () => {
  it('zooms around the anchor, keeping it at the same screen position', () => {
    const v = zoomAt({ from: 0, to: 1000 }, 1000, 250, 0.5);
    expect(v.to - v.from).toBe(500);
    expect((250 - v.from) / (v.to - v.from)).toBeCloseTo(0.25);
  });

  it('never zooms past the recording or below the minimum span', () => {
    expect(zoomAt({ from: 0, to: 1000 }, 1000, 500, 4)).toEqual({ from: 0, to: 1000 });
    const tight = zoomAt({ from: 100, to: 200 }, 1000, 150, 0.001);
    expect(tight.to - tight.from).toBe(MIN_SPAN);
    expect(clampView({ from: 0, to: 3 }, 5)).toEqual({ from: 0, to: 5 });
  });

  it('pans within bounds', () => {
    expect(panBy({ from: 0, to: 100 }, 1000, -50)).toEqual({ from: 0, to: 100 });
    expect(panBy({ from: 800, to: 900 }, 1000, 500)).toEqual({ from: 900, to: 1000 });
    expect(panBy({ from: 100, to: 200 }, 1000, 10)).toEqual({ from: 110, to: 210 });
  });

  it('maps pixels to checkpoints', () => {
    expect(checkpointAtX({ from: 0, to: 10 }, 100, 0, 10)).toBe(0);
    expect(checkpointAtX({ from: 0, to: 10 }, 100, 55, 10)).toBe(5);
    expect(checkpointAtX({ from: 0, to: 10 }, 100, 100, 10)).toBe(9);
  });

  it('steps the selection by key', () => {
    const v = { from: 0, to: 1000 };
    expect(stepSelection('ArrowRight', 5, v, 1000)).toBe(6);
    expect(stepSelection('ArrowLeft', 0, v, 1000)).toBe(0);
    expect(stepSelection('PageDown', 5, v, 1000)).toBe(105);
    expect(stepSelection('PageUp', 5, v, 1000)).toBe(0);
    expect(stepSelection('End', 5, v, 1000)).toBe(999);
    expect(stepSelection('Home', 5, v, 1000)).toBe(0);
    expect(stepSelection('ArrowRight', 999, v, 1000)).toBe(999);
  });

  it('reveals a checkpoint outside the view', () => {
    expect(revealCheckpoint({ from: 100, to: 200 }, 1000, 150)).toEqual({ from: 100, to: 200 });
    expect(revealCheckpoint({ from: 100, to: 200 }, 1000, 250)).toEqual({ from: 151, to: 251 });
    expect(revealCheckpoint({ from: 100, to: 200 }, 1000, 20)).toEqual({ from: 20, to: 120 });
  });

  it('follows a growing recording only when showing all of it', () => {
    expect(followGrowth(wholeView(10), 10, 50)).toEqual(wholeView(50));
    expect(followGrowth({ from: 0, to: 20 }, 100, 200)).toEqual({ from: 0, to: 20 });
  });
});
