/**
 * The alarm list: active, latched (cleared but unacknowledged), shelved and suppressed alarms,
 * most severe first, then oldest first; guidance under each message; select several and
 * acknowledge them together; shelve one for a time with a reason; open the journal.
 */
import { api, describeError } from './api.js';
import { h, fill } from './dom.js';
import { compareAlarms, dateTimeText, needsAck, ROLE_RANK, SHOWN_STATES, STATE_TEXT } from './format.js';
import type { JournalView } from './journal.js';
import type { ShelveDialog } from './shelve-dialog.js';
import type { Store } from './store.js';
import type { AlarmView } from '@cicenns/contracts';

export class AlarmList {
  private readonly selected = new Set<string>();
  private readonly rows = new Map<string, { el: HTMLTableRowElement; key: string }>();
  private readonly tbody = h('tbody');
  private readonly status = h('span', { class: 'status', role: 'status', 'aria-live': 'polite' });
  private readonly ackButton = h(
    'button',
    { type: 'button', id: 'ack-selected', class: 'primary' },
    'Acknowledge',
  );
  private readonly selectAll = h('input', {
    type: 'checkbox',
    'aria-label': 'Select all unacknowledged alarms',
  });
  private readonly comment = h('input', {
    id: 'ack-comment',
    placeholder: 'comment (optional)',
    'aria-label': 'Acknowledge comment',
  });
  private readonly showAll = h('input', { type: 'checkbox', id: 'alarms-show-all' });
  private readonly empty = h('p', { class: 'hint' }, '✔ No active, latched or shelved alarms.');

  constructor(
    root: HTMLElement,
    private readonly store: Store,
    private readonly shelveDialog: ShelveDialog,
    private readonly journal: JournalView,
  ) {
    this.ackButton.addEventListener('click', () => void this.ack([...this.selected]));
    this.selectAll.addEventListener('change', () => {
      this.selected.clear();
      if (this.selectAll.checked)
        for (const a of this.visible()) if (needsAck(a)) this.selected.add(a.alarmId);
      this.render(true);
    });
    this.showAll.addEventListener('change', () => this.render(true));
    fill(
      root,
      h(
        'div',
        { class: 'toolbar' },
        this.ackButton,
        this.comment,
        h(
          'button',
          { type: 'button', id: 'open-journal', onclick: () => void this.journal.open() },
          'Journal…',
        ),
        h('label', {}, this.showAll, ' show normal and disabled too'),
        this.status,
      ),
      h(
        'div',
        { class: 'alarm-scroll' },
        h(
          'table',
          { id: 'alarm-table', 'aria-describedby': 'alarms-title' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, this.selectAll),
              h('th', { scope: 'col' }, 'Alarm'),
              h('th', { scope: 'col' }, 'Message, guidance, state'),
              h('th', { scope: 'col' }, 'Raised, actions'),
            ),
          ),
          this.tbody,
        ),
        this.empty,
      ),
    );
    store.on('alarms', () => this.render());
    store.on('user', () => this.render(true));
    this.render();
  }

  private canOperate(): boolean {
    return ROLE_RANK[this.store.user?.role ?? 'viewer'] >= ROLE_RANK.shifter;
  }

  private visible(): AlarmView[] {
    return [...this.store.alarms.values()]
      .filter((a) => this.showAll.checked || SHOWN_STATES.has(a.state))
      .sort(compareAlarms);
  }

  private render(force = false): void {
    const list = this.visible();
    const ids = new Set(list.map((a) => a.alarmId));
    for (const id of [...this.selected]) {
      const a = this.store.alarms.get(id);
      if (!ids.has(id) || !a || !needsAck(a)) this.selected.delete(id);
    }
    for (const [id, r] of this.rows) {
      if (!ids.has(id)) {
        r.el.remove();
        this.rows.delete(id);
      }
    }
    let prev: Element | null = null;
    for (const a of list) {
      const key = JSON.stringify(a) + this.selected.has(a.alarmId) + (this.store.user?.role ?? '');
      let r = this.rows.get(a.alarmId);
      if (!r || r.key !== key || force) {
        const el = this.row(a);
        const focused = r?.el.contains(document.activeElement)
          ? (document.activeElement as HTMLElement)
          : null;
        if (r) r.el.replaceWith(el);
        r = { el, key };
        this.rows.set(a.alarmId, r);
        if (focused?.dataset.action)
          el.querySelector<HTMLElement>(`[data-action="${focused.dataset.action}"]`)?.focus();
      }
      const want: Element | null = prev ? prev.nextElementSibling : this.tbody.firstElementChild;
      if (want !== r.el) {
        if (prev) prev.after(r.el);
        else this.tbody.prepend(r.el);
      }
      prev = r.el;
    }
    this.empty.hidden = list.length > 0;
    this.ackButton.disabled = !this.canOperate() || this.selected.size === 0;
    this.ackButton.textContent = `Acknowledge selected (${this.selected.size})`;
    this.selectAll.disabled = !this.canOperate();
  }

  private row(a: AlarmView): HTMLTableRowElement {
    const can = this.canOperate();
    const box = h('input', {
      type: 'checkbox',
      'data-action': 'select',
      'aria-label': `Select ${a.alarmId}`,
      disabled: !can || !needsAck(a),
    });
    box.checked = this.selected.has(a.alarmId);
    box.addEventListener('change', () => {
      if (box.checked) this.selected.add(a.alarmId);
      else this.selected.delete(a.alarmId);
      this.render();
    });
    const shelved = a.state === 'shelved';
    const until = a.shelf?.until;
    const ackBy = a.ack?.by;
    const tr = h(
      'tr',
      { class: 'alarm-row', 'data-alarm': a.alarmId, 'data-state': a.state, 'data-severity': a.severity },
      h('td', {}, box),
      h(
        'td',
        {},
        h('div', { class: 'sev' }, a.severity === 'alarm' ? '▲ ALARM' : '! WARNING'),
        h('a', { class: 'subject', href: '#detail-section', onclick: () => this.pick(a) }, a.subject.id),
        h('div', { class: 'muted' }, a.rule),
      ),
      h(
        'td',
        {},
        h('div', { class: 'message' }, a.message),
        // guidance open while the alarm waits for someone; one click away once handled
        h(
          'details',
          { class: 'guidance', open: a.state === 'active-unack' },
          h('summary', {}, 'What to do'),
          a.guidance,
        ),
        h(
          'div',
          { class: 'state' },
          STATE_TEXT[a.state],
          ackBy ? h('span', { class: 'muted' }, ` · by ${ackBy}`) : null,
          shelved && until ? h('span', { class: 'muted' }, ` · until ${dateTimeText(until)}`) : null,
          shelved && a.shelf?.reason ? h('span', { class: 'muted' }, ` · “${a.shelf.reason}”`) : null,
        ),
      ),
      h(
        'td',
        { class: 'actions' },
        h('div', { class: 'muted' }, dateTimeText(a.raisedAt)),
        h(
          'button',
          {
            type: 'button',
            'data-action': 'ack',
            disabled: !can || !needsAck(a),
            onclick: () => void this.ack([a.alarmId]),
          },
          'Ack',
        ),
        shelved
          ? h(
              'button',
              {
                type: 'button',
                'data-action': 'unshelve',
                disabled: !can,
                onclick: () => void this.unshelve(a),
              },
              'Unshelve',
            )
          : h(
              'button',
              {
                type: 'button',
                'data-action': 'shelve',
                disabled: !can,
                onclick: () => this.shelveDialog.open(a, (m) => this.say(m)),
              },
              'Shelve…',
            ),
        h(
          'button',
          { type: 'button', 'data-action': 'journal', onclick: () => void this.journal.open(a.alarmId) },
          'Journal',
        ),
      ),
    );
    return tr;
  }

  private pick(a: AlarmView): void {
    if (this.store.pmts.has(a.subject.id)) this.store.select(a.subject.id);
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private async ack(alarmIds: string[]): Promise<void> {
    if (!alarmIds.length) return;
    const comment = this.comment.value.trim();
    try {
      await api('/api/alarms/ack', { body: { alarmIds, ...(comment && { comment }) } });
      for (const id of alarmIds) this.selected.delete(id);
      this.comment.value = '';
      this.say(`Acknowledged ${alarmIds.length} alarm(s).`);
      this.render(true);
    } catch (e) {
      this.say(`Acknowledge failed: ${describeError(e)}`);
    }
  }

  private async unshelve(a: AlarmView): Promise<void> {
    try {
      await api(`/api/alarms/${encodeURIComponent(a.alarmId)}/unshelve`, { method: 'POST' });
      this.say(`Unshelved ${a.alarmId}.`);
    } catch (e) {
      this.say(`Unshelve failed: ${describeError(e)}`);
    }
  }
}
