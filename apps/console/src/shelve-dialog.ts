/** Shelve one alarm for a chosen time with a reason (required: the journal keeps it). */
import { api, describeError } from './api.js';
import { byId, h, fill } from './dom.js';
import type { AlarmView } from '@cicenns/contracts';

const DURATIONS = [15, 30, 60, 120, 240, 480, 720];

export class ShelveDialog {
  private readonly dialog = byId<HTMLDialogElement>('shelve-dialog');

  open(a: AlarmView, report: (msg: string) => void): void {
    const reason = h('input', { name: 'reason', required: true, minlength: 3, id: 'shelve-reason' });
    const minutes = h(
      'select',
      { name: 'minutes', id: 'shelve-minutes' },
      ...DURATIONS.map((m) =>
        h('option', { value: m, selected: m === 60 }, m < 60 ? `${m} min` : `${m / 60} h`),
      ),
    );
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'shelve-title' }, `Shelve ${a.alarmId}`),
      h('p', { class: 'muted' }, a.message),
      h('label', {}, 'Reason (required)', reason),
      h('label', {}, 'For', minutes),
      error,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'button', onclick: () => this.dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, 'Shelve'),
      ),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void (async () => {
        try {
          await api(`/api/alarms/${encodeURIComponent(a.alarmId)}/shelve`, {
            body: { reason: reason.value.trim(), minutes: Number(minutes.value) },
          });
          this.dialog.close();
          report(`Shelved ${a.alarmId} for ${minutes.selectedOptions[0]?.textContent ?? ''}.`);
        } catch (e) {
          error.textContent = describeError(e);
        }
      })();
    });
    fill(this.dialog, form);
    this.dialog.showModal();
    reason.focus();
  }
}
