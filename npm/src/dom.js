// Applies the slot language (defined once in the Rust core, src/slots.rs) to a live DOM.
// Text goes in through textContent only, never as HTML, and never into an attribute. No slot inside
// an element whose content is not shown as text (script, style, template, textarea, title,
// noscript, iframe, xmp, noembed, noframes, plaintext; SVG's script and style too) is filled: a value
// there would run as code or load CSS. Without a personalizer (missing, failed to load) nothing is
// touched, so the page keeps the defaults it was authored with.

// The same list as the Worker's rewriter (src/bindings/worker/html.rs, RAW_TEXT_ELEMENTS).
const RAW_TEXT = 'script, style, template, textarea, title, noscript, iframe, xmp, noembed, noframes, plaintext';

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

  for (const group of within(root, '[data-persona-variants]')) {
    if (attempt(group, () => {
      const children = Array.from(group.children).filter((c) => c.hasAttribute('data-persona-variant'));
      const chosen = p.chooseVariant(children.map((c) => c.getAttribute('data-persona-variant')), now);
      if (chosen === undefined) return;
      children.forEach((child, i) => { child.hidden = i !== chosen; });
      group.setAttribute('data-persona-chosen', String(chosen));
    })) report.variants += 1;
  }

  report.applied = true;
  return report;
}
