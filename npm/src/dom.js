// Applies the slot language (defined once in the Rust core, src/slots.rs) to a live DOM.
// Text goes in through textContent only, never as HTML, and never into an attribute. No slot inside
// an element whose content is not shown as text (script, style, template, textarea, title,
// noscript, iframe, xmp, noembed, noframes, plaintext; SVG's script and style too) is filled: a value
// there would run as code or load CSS. Without a personalizer (missing, failed to load) nothing is
// touched, so the page keeps the defaults it was authored with.

// The slot language's list (src/slots.rs, RAW_TEXT_ELEMENTS; npm/test/slots.test.mjs checks they are
// equal), which the Worker's rewriter uses too.
const RAW_TEXT = 'script, style, template, textarea, title, noscript, iframe, xmp, noembed, noframes, plaintext';

// Variants groups are decided in the order they end, as the Worker decides them while the page
// streams: an inner group before the one around it, siblings in document order.
function byEnd(a, b) {
  if (a.contains(b)) return 1;
  if (b.contains(a)) return -1;
  return a.compareDocumentPosition(b) & 4 /* DOCUMENT_POSITION_FOLLOWING */ ? -1 : 1;
}

function within(root, selector) {
  const found = Array.from(root.querySelectorAll(selector));
  if (typeof root.matches === 'function' && root.matches(selector)) found.unshift(root);
  return found;
}

export function personalize(root, p, options) {
  const report = { applied: false, slots: 0, conditions: 0, variants: 0, errors: [] };
  if (!root || typeof root.querySelectorAll !== 'function' || !p) return report;
  const now = options && options.now !== undefined ? { now: options.now } : undefined;
  const attempt = (el, fn) => {
    try {
      fn();
      return true;
    } catch (err) {
      report.errors.push({ element: el, error: err });
      return false;
    }
  };

  for (const el of within(root, '[data-persona]')) {
    if (el.closest(RAW_TEXT)) continue;
    if (attempt(el, () => {
      const value = p.slotValue(el.getAttribute('data-persona'));
      const fallback = el.getAttribute('data-persona-default');
      if (value !== undefined) el.textContent = value;
      else if (fallback !== null) el.textContent = fallback;
    })) report.slots += 1;
  }

  for (const el of within(root, '[data-persona-if], [data-persona-unless]')) {
    if (attempt(el, () => {
      const cond = el.getAttribute('data-persona-if');
      const unless = el.getAttribute('data-persona-unless');
      const keep = (cond === null || p.conditionHolds(cond)) && (unless === null || !p.conditionHolds(unless));
      el.hidden = !keep;
    })) report.conditions += 1;
  }

  // A group that is itself a variant stays as authored (its parent decides). Each group is told how
  // many variants the page's earlier groups had: past the slot language's page cap it stays as
  // authored, as does a group over the per-group cap (src/slots.rs).
  const groups = within(root, '[data-persona-variants]').filter((g) => !g.hasAttribute('data-persona-variant'));
  let earlier = 0;
  for (const group of groups.sort(byEnd)) {
    const children = Array.from(group.children).filter((c) => c.hasAttribute('data-persona-variant'));
    if (attempt(group, () => {
      const options = now ? { now: now.now, earlier } : { earlier };
      const chosen = p.chooseVariant(children.map((c) => c.getAttribute('data-persona-variant')), options);
      if (chosen === undefined) return;
      children.forEach((child, i) => { child.hidden = i !== chosen; });
      group.setAttribute('data-persona-chosen', String(chosen));
    })) report.variants += 1;
    earlier += children.length;
  }

  report.applied = true;
  return report;
}
