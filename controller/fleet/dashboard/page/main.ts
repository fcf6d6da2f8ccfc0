/**
 * The dashboard page: one stream from the server (stream.ts), applied once per animation frame to
 * the panels: Rollout, Devices, Images, Activity and the reclaimed-bytes chart. Performance marks
 * for the bench: `dashboard:snapshot` when the whole picture arrived (in the page itself, or on
 * the stream), `dashboard:devices` at the
 * frame after the first one that drew devices (the first paint: the rollout, the table's first
 * screenful of rows and the activity; the chart comes a frame later), `dashboard:all-devices`
 * likewise once every row is in the table.
 */
import { ActivityView } from './activity.js';
import { ReclaimedChart } from './chart.js';
import { DevicesTable } from './devices.js';
import { byId, setText } from './dom.js';
import { followSelector } from './filter.js';
import { ImagesView } from './images.js';
import { RolloutView } from './rollout.js';
import type { Snapshot } from '../wire.js';
import { emptyBatch, follow, mergeSnapshot, SNAPSHOT_MARK, type Batch, type ConnectionState } from './stream.js';

export const FIRST_PAINT_MARK = 'dashboard:devices';
export const ALL_ROWS_MARK = 'dashboard:all-devices';

const STATES: Record<ConnectionState, string> = {
  connecting: 'Connecting to the dashboard server…',
  live: 'Live',
  reconnecting: 'Connection lost; reconnecting…',
  closed: 'Disconnected: reload the page (signed out, or the server stopped).',
};

function start(): void {
  const rollout = new RolloutView();
  let devices: DevicesTable;
  const passes = (node: string) => devices.passes(devices.rows.get(node)?.data.labels);
  const activity = new ActivityView(byId<HTMLTableElement>('activity-table'), passes);
  const images = new ImagesView(byId<HTMLFormElement>('images-form'), passes);
  const chart = new ReclaimedChart(byId('chart'), byId('chart-caption'));
  let painted = false;
  let allMarked = false;
  devices = new DevicesTable(byId<HTMLTableElement>('devices-table'), byId('devices-count'), () => rollout.render(devices.selected()), () => {
    if (allMarked) return;
    allMarked = true;
    requestAnimationFrame(() => performance.mark(ALL_ROWS_MARK));
  });
  followSelector(byId<HTMLInputElement>('selector'), byId('selector-error'), (reqs) => {
    devices.setFilter(reqs);
    activity.refilter();
    images.refilter();
  });
  const conn = byId('conn');
  const apply = (b: Batch) => {
    const first = !painted && b.replace;
    if (first) {
      painted = true;
      // the next frame starts once this one, with the rows drawn in it, has been laid out and painted
      requestAnimationFrame(() => performance.mark(FIRST_PAINT_MARK));
    }
    // the chart before the table: it reads its width, which after the table's changes would lay out
    // the page early; on the first load, in the frame after (it is below the fold)
    chart.set(b.reclaimed, b.replace);
    if (first) requestAnimationFrame(() => chart.render());
    else chart.render();
    if (b.rollout) rollout.setInfo(b.rollout);
    devices.apply(b.upsert.values(), b.remove, b.replace);
    activity.add(b.activity, b.replace);
    if (b.upsert.size || b.remove.size) images.devicesChanged();
  };
  // the server put the whole picture in the page: drawn now, before the event stream is open
  const inline = document.getElementById('snapshot')?.textContent;
  if (inline) {
    performance.mark(SNAPSHOT_MARK);
    apply(mergeSnapshot(emptyBatch(), JSON.parse(inline) as Snapshot));
  }
  follow('/events', apply, (s) => {
    setText(conn, STATES[s]);
    conn.dataset.state = s;
  });
}

start();
