/** The alarm journal: every transition (raise, ack, shelve, clear...) with who and when. */
import { apiWithHeaders, describeError } from './api.js';
import { byId, h, fill } from './dom.js';
import { dateTimeText, MISSING_PARTITIONS, missingPartitionsNote } from './format.js';
import type { JournalEvent } from '@cicenns/contracts';

export class JournalView {
  private readonly dialog = byId<HTMLDialogElement>('journal-dialog');

  async open(alarmId?: string): Promise<void> {
    const body = h('div', { class: 'alarm-scroll' }, h('p', { class: 'hint' }, 'Loading…'));
    fill(
      this.dialog,
      h('h2', { id: 'journal-title' }, alarmId ? `Journal of ${alarmId}` : 'Alarm journal (latest 200)'),
      body,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'button', onclick: () => this.dialog.close() }, 'Close'),
      ),
    );
    if (!this.dialog.open) this.dialog.showModal();
    const q = new URLSearchParams({ limit: '200', ...(alarmId && { alarmId }) });
    try {
      const { data: res, headers } = await apiWithHeaders<JournalEvent[] | { events: JournalEvent[] }>(
        `/api/alarms/journal?${q}`,
      );
      const events = (Array.isArray(res) ? res : res.events).slice().sort((a, b) => b.ts - a.ts);
      const note = missingPartitionsNote(headers.get(MISSING_PARTITIONS));
      fill(
        body,
        ...(note ? [h('p', { class: 'error', id: 'journal-missing', role: 'status' }, note)] : []),
        events.length
          ? h(
              'table',
              { id: 'journal-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Time', 'Alarm', 'Action', 'From → to', 'Severity', 'By', 'Message / comment'].map(
                    (t) => h('th', { scope: 'col' }, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                ...events.map((e) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, dateTimeText(e.ts)),
                    h('td', {}, e.alarmId),
                    h('td', {}, e.action),
                    h('td', {}, `${e.from} → ${e.to}`),
                    h('td', {}, e.severity),
                    h('td', {}, e.by ?? '—'),
                    h('td', {}, e.comment ? `${e.message} — “${e.comment}”` : e.message),
                  ),
                ),
              ),
            )
          : h('p', { class: 'hint' }, 'No journal entries.'),
      );
    } catch (e) {
      fill(body, h('p', { class: 'error' }, `Journal unavailable: ${describeError(e)}`));
    }
  }
}
