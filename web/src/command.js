// The command platform beside the alerts: the cases (kept current by the alert stream's `case`
// events, handed over and closed from their cards) and the leadership view of red and yellow
// cards of towns, villages and risk points.

import { api, sayFailure } from './api.js';
import { button, el } from './dom.js';
import { dateTime, name, t } from './i18n.js';

const AGENCIES = ['coast_guard', 'police', 'customs', 'agriculture', 'market', 'transport'];
const CASE_OUTCOMES = ['confirmed', 'no_violation', 'other'];
const GOODS = ['frozen_food', 'refined_oil', 'cigarettes', 'agricultural_products', 'other'];
/** Seconds between reloads of the cards while their tab is shown. */
const CARDS_REFRESH_S = 60;

const option = (what) => (value) => el('option', { value, textContent: name(what, value) });

/** The tabs of the right-hand panel: alerts, cases, cards. */
export function setUpTabs(onShow) {
  const tabs = [...document.querySelectorAll('#tabs [data-tab]')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      for (const other of tabs) {
        const shown = other === tab;
        other.setAttribute('aria-selected', String(shown));
        document.getElementById(other.dataset.tab).hidden = !shown;
      }
      onShow(tab.dataset.tab);
    });
  }
}

/** The case list: newest first, live from the stream, with hand-over and closing. */
export class CasePanel {
  constructor(map) {
    this.map = map;
    this.cases = new Map(); // id → case JSON
    this.list = document.getElementById('case-list');
    this.list.dataset.empty = t('No cases');
  }

  async load() {
    try {
      for (const item of await api('/api/v1/cases')) this.upsert(item);
    } catch (error) {
      sayFailure(t('Cases'), error);
    }
  }

  /** Takes in the current state of a case (the newer one wins). */
  upsert(item) {
    const known = this.cases.get(item.id);
    if (known && known.updated_at > item.updated_at) return;
    this.cases.set(item.id, item);
    this.render();
  }

  render() {
    const cases = [...this.cases.values()].sort((a, b) =>
      (a.status === 'closed') - (b.status === 'closed') || b.updated_at - a.updated_at);
    this.list.replaceChildren(...cases.map((item) => this.card(item)));
  }

  card(item) {
    const card = el('li', { className: `case status-${item.status}` });
    card.dataset.caseId = item.id;
    const agencies = [`${t('lead')}: ${name('agency', item.lead_agency)}`];
    if (item.supporting?.length) agencies.push(`${t('supporting')}: ${item.supporting.map((a) => name('agency', a)).join('、')}`);
    const outcome = item.outcome ? ` · ${name('outcome', item.outcome)}${item.goods ? ` (${name('goods', item.goods)})` : ''}` : '';
    card.append(
      el('div', { className: 'alert-head' },
        el('b', { textContent: item.title }),
        el('span', { className: 'status', textContent: name('case_status', item.status) })),
      el('div', { className: 'alert-subject', textContent: [agencies.join(' · '), item.town, dateTime(item.opened_at)].filter(Boolean).join(' · ') + outcome }),
    );
    if (item.status !== 'closed') {
      const form = el('form', { className: 'alert-form', hidden: true });
      card.append(
        el('div', { className: 'alert-actions' },
          button(t('Hand over…'), 'handover', () => this.openForm(form, item, 'handover')),
          button(t('Close case…'), 'close', () => this.openForm(form, item, 'close'))),
        form,
      );
    }
    card.addEventListener('click', (event) => {
      if (item.location && !event.target.closest('button, form, select, input')) {
        this.map.flyTo({ center: item.location.coordinates, zoom: Math.max(this.map.getZoom(), 13) });
      }
    });
    return card;
  }

  openForm(form, item, step) {
    const note = el('input', { name: 'note', placeholder: t('note (required)'), required: true });
    const fields = step === 'handover'
      ? [el('select', { name: 'to', title: t('to agency') }, ...AGENCIES.filter((a) => a !== item.lead_agency).map(option('agency')))]
      : [el('select', { name: 'outcome' }, ...CASE_OUTCOMES.map(option('outcome'))),
        el('select', { name: 'goods' }, el('option', { value: '', textContent: '—' }), ...GOODS.map(option('goods')))];
    const cancel = button(t('Cancel'), 'cancel', () => { form.hidden = true; });
    form.replaceChildren(...fields, note, el('button', { type: 'submit', textContent: t(step === 'handover' ? 'Hand over' : 'Close case') }), cancel);
    form.onsubmit = async (event) => {
      event.preventDefault();
      const body = { note: note.value };
      for (const field of fields) if (field.value) body[field.name] = field.value;
      try {
        this.upsert(await api(`/api/v1/cases/${item.id}/${step}`, { method: 'POST', body }));
      } catch (error) {
        sayFailure(`${t('Cases')} ${item.id}`, error);
      }
    };
    form.hidden = false;
  }
}

/** A card's detail (a figure in no language, see `CardRecord::detail`) in words. */
function cardDetail(card) {
  const d = card.detail;
  if (!d) return '';
  switch (card.reason) {
    case 'not_covered': return name('gap', d);
    case 'low_coverage': return `${t('risk points covered')} ${d} %`;
    case 'inspection_overdue': return d === 'never' ? t('never inspected') : `${t('last inspected')} ${d} ${t('days ago')}`;
    case 'unacknowledged_alerts': return `${d} ${t('alerts waiting over 24 h')}`;
    default: return d;
  }
}

/** The leadership view: how many units hold a red or yellow card, and which. */
export class CardPanel {
  constructor(map) {
    this.map = map;
    this.list = document.getElementById('card-list');
    this.list.dataset.empty = t('No cards');
    this.summary = document.getElementById('card-summary');
    this.timer = null;
  }

  /** Loads the cards now and every minute while `shown`. */
  show(shown) {
    clearInterval(this.timer);
    if (!shown) return;
    this.load();
    this.timer = setInterval(() => this.load(), CARDS_REFRESH_S * 1000);
  }

  async load() {
    let units;
    try {
      units = await api('/api/v1/cards');
    } catch (error) {
      return sayFailure(t('Cards'), error);
    }
    const carded = units.filter((u) => u.card !== 'none')
      .sort((a, b) => (a.card === 'red' ? 0 : 1) - (b.card === 'red' ? 0 : 1) || Number(b.overdue) - Number(a.overdue));
    const count = (unit, card) => units.filter((u) => u.unit === unit && u.card === card).length;
    this.summary.replaceChildren(el('table', { className: 'card-summary' },
      el('tr', {}, el('th'), ...['red', 'yellow'].map((c) => el('th', { className: `card-${c}`, textContent: name('card', c) }))),
      ...['town', 'village', 'risk_point'].map((unit) => el('tr', {},
        el('th', { textContent: name('unit', unit) }),
        ...['red', 'yellow'].map((c) => el('td', { textContent: String(count(unit, c)) }))))));
    this.list.replaceChildren(...carded.map((unit) => this.card(unit)));
  }

  card(unit) {
    const inForce = unit.cards.filter((c) => c.status === 'active');
    const reasons = inForce.map((c) => {
      const deadline = c.deadline ? ` · ${t('deadline')} ${dateTime(c.deadline)}${c.overdue ? ` (${t('overdue')})` : ''}` : '';
      const detail = cardDetail(c);
      return el('div', { className: 'card-reason', textContent: `${name('card', c.color)}: ${name('reason', c.reason)}${detail ? ` — ${detail}` : ''}${deadline}` });
    });
    const card = el('li', { className: `unit-card card-${unit.card}${unit.overdue ? ' overdue' : ''}` },
      el('div', { className: 'alert-head' },
        el('b', { textContent: unit.name }),
        el('span', { className: 'status', textContent: name('card', unit.card) })),
      el('div', { className: 'alert-subject', textContent: [name('unit', unit.unit), unit.town, t(unit.award_eligible ? 'award eligible' : 'not award eligible')].filter(Boolean).join(' · ') }),
      ...reasons);
    card.dataset.unit = `${unit.unit}/${unit.unit_id}`;
    card.addEventListener('click', () => {
      if (unit.location) this.map.flyTo({ center: unit.location.coordinates, zoom: Math.max(this.map.getZoom(), 13) });
    });
    return card;
  }
}
