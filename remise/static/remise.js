/* Remise pages: scan field focus, shortcuts, live probe results, continuous scanning.
   Plain JavaScript, no build step; every page works without it except live updates. */
"use strict";
(function () {
  const csrf = () => document.body.dataset.csrf || "";

  /* The scan field keeps the focus: a scanner types into whatever is focused. */
  function keepScanFocus() {
    const field = document.querySelector("[data-scan-field]");
    if (!field) return;
    field.focus();
    document.addEventListener("keydown", (event) => {
      const active = document.activeElement;
      if (event.key === "F2") { event.preventDefault(); field.focus(); field.select(); return; }
      if ((!active || active === document.body) && event.key.length === 1 && !event.ctrlKey && !event.altKey) {
        field.focus();
      }
    });
    if (field.hasAttribute("autofocus")) {
      window.addEventListener("focus", () => field.focus());
    }
  }

  /* A barcode scanner types a whole code, then Enter, far faster than a person: at least
     SCAN_MIN_KEYS printable keys less than SCAN_KEY_GAP_MS apart on average, then Enter.
     USB scanners send a key every 1–20 ms; people type 100 ms or more apart, and even a
     fast typist does not keep under 40 ms a key for six keys. A pause of SCAN_PAUSE_MS
     ends a burst; it is longer than the gap so that one late key (a busy computer) does
     not split a scan in two. */
  const SCAN_MIN_KEYS = 6;
  const SCAN_KEY_GAP_MS = 40;
  const SCAN_PAUSE_MS = 250;
  const SCAN_IGNORED_KEYS = ["Shift", "CapsLock", "AltGraph"];  // scanners press Shift for capitals

  /* `onScan(code)` for every scanner burst, wherever the focus is. The burst's keys have
     already reached the focused field: its value from before the burst is put back, and
     the Enter that ends it neither submits a form nor writes a new line. */
  function scannerBursts(onScan) {
    let burst = "", first = 0, last = -Infinity, field = null, before = "";
    const editable = (element) => element && (element.tagName === "TEXTAREA" || (element.tagName === "INPUT"
      && !["radio", "checkbox", "file", "submit", "button", "hidden"].includes(element.type)));
    const fast = () => burst.length >= SCAN_MIN_KEYS && (last - first) / (burst.length - 1) < SCAN_KEY_GAP_MS;
    document.addEventListener("keydown", (event) => {
      if (SCAN_IGNORED_KEYS.includes(event.key)) return;
      const now = performance.now();
      const going = now - last < SCAN_PAUSE_MS;
      if (event.key === "Enter" && going && fast()) {
        event.preventDefault();
        event.stopPropagation();
        if (field && field.hasAttribute("data-scan-keeps")) {
          /* A field made for a scanned value (a disk's serial) keeps it; the scanner's
             Enter moves on to the next field instead of sending the form half filled. */
          burst = ""; last = -Infinity;
          const fields = Array.from(field.form ? field.form.elements : []).filter((e) => !e.disabled && e.type !== "hidden");
          const next = fields[fields.indexOf(field) + 1];
          if (next) next.focus();
          return;
        }
        if (field) field.value = before;
        const code = burst;
        burst = ""; last = -Infinity;
        onScan(code, field);
        return;
      }
      if (event.key.length !== 1 || event.ctrlKey || event.metaKey) { burst = ""; last = -Infinity; return; }
      if (!going) {
        burst = ""; first = now;
        const active = document.activeElement;
        field = editable(active) ? active : null;
        before = field ? field.value : "";
      }
      burst += event.key; last = now;
    }, true);
  }

  const THOUSANDS = "[ \u00a0\u202f\u2009]";
  const TYPED_NUMBER = new RegExp("^[+-]?(?:\\d{1,3}(?:" + THOUSANDS + "\\d{3})+|\\d+)(?:[.,]\\d+)?$");
  /* What refurbish.checklists.parse_number accepts: 85, 85,5, 1 234,5, 85 %. */
  function isNumber(text, unit) {
    let typed = text.trim().replace("\u2212", "-");
    if (unit && typed.toLowerCase().endsWith(unit.toLowerCase())) typed = typed.slice(0, -unit.length).trim();
    return TYPED_NUMBER.test(typed) || (typed !== "" && Number.isFinite(Number(typed.replace(",", "."))));
  }

  /* The open run's answers not saved yet: kept in this browser (localStorage, by run) as
     they are typed and before every submission, offered back on the next visit, and
     forgotten once saved. A session that expired, a scan, F2 or a closed tab lose nothing. */
  function checklistDraft(root) {
    const form = root.querySelector("[data-checklist]");
    const region = root.querySelector("[data-draft-offer]");
    if (!form || !root.dataset.runId) return null;
    const key = "remise.draft.run." + root.dataset.runId;
    const read = () => { try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (error) { return null; } };
    const values = () => {
      const found = {};
      for (const element of form.elements) {
        if (!/^(step|note)\./.test(element.name || "") || element.type === "file") continue;
        if (element.type !== "radio") found[element.name] = element.value;
        else if (element.checked) found[element.name] = element.value;
        else if (!(element.name in found)) found[element.name] = "";
      }
      return found;
    };
    const apply = (kept) => {
      for (const element of form.elements) {
        if (!(element.name in kept) || element.type === "file") continue;
        if (element.type === "radio") element.checked = element.value === kept[element.name];
        else element.value = kept[element.name];
      }
    };
    const forget = () => { base = {}; window.localStorage.removeItem(key); };
    if (root.dataset.savedRun === root.dataset.runId) window.localStorage.removeItem(key);
    const initial = values();
    let base = (read() || {}).values || {};  // kept before this page: not dropped silently
    const changes = () => {
      const now = values(), changed = {};
      for (const name in now) if (now[name] !== initial[name]) changed[name] = now[name];
      return changed;
    };
    const keep = () => {
      const kept = Object.assign({}, base, changes());
      if (Object.keys(kept).length) {
        window.localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), values: kept }));
      }
    };
    const dirty = () => form.hasAttribute("data-unsaved") || Object.keys(changes()).length > 0;
    const valid = () => Array.from(form.querySelectorAll("fieldset[data-kind]")).every((step) => {
      const field = step.querySelector("input:not([type]), textarea");
      if (!field || !field.value.trim()) return true;
      if (step.dataset.kind === "measure") return isNumber(field.value, step.dataset.unit);
      return field.value.trim().length <= Number(field.getAttribute("maxlength") || Infinity);
    });
    const save = async () => {
      const status = region.querySelector("p") || region.appendChild(document.createElement("p"));
      status.textContent = region.dataset.saving;
      try {
        const answer = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
        return answer.ok && new URL(answer.url).searchParams.has("saved");
      } catch (error) { return false; }
    };
    const offer = () => {
      const kept = read();
      if (!kept || !kept.values) return;
      const now = values();
      if (Object.keys(kept.values).every((name) => now[name] === kept.values[name])) return;
      const shown = { dateStyle: "short", timeStyle: "short", timeZone: region.dataset.zone || undefined };
      let when;
      try { when = new Date(kept.at).toLocaleString(document.documentElement.lang, shown); }
      catch (error) { when = new Date(kept.at).toLocaleString(); }  // a zone this browser does not know
      const text = document.createElement("p");
      text.textContent = region.dataset.text.replace("%(when)s", when);
      const take = document.createElement("button");
      take.type = "button"; take.className = "primary"; take.textContent = region.dataset.take;
      const drop = document.createElement("button");
      drop.type = "button"; drop.className = "link"; drop.textContent = region.dataset.drop;
      take.addEventListener("click", () => {
        apply(kept.values);
        const done = document.createElement("p");
        done.textContent = region.dataset.taken;
        region.replaceChildren(done);
        form.querySelector("button[type=submit]").focus();
      });
      drop.addEventListener("click", () => { forget(); region.replaceChildren(); form.querySelector("fieldset input, fieldset textarea").focus(); });
      region.replaceChildren(text, take, " ", drop);
      region.classList.add("warning");
      take.focus();
    };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", keep);
    offer();
    /* Before leaving for another page: answers that can all be saved are saved; others
       stay kept and are offered back here. */
    const settle = async () => {
      if (!dirty()) return;
      keep();
      if (valid() && await save()) forget();
    };
    return { keep, settle };
  }

  /* The bench's device page: the device bar stays on screen without covering the focus,
     feedback is brought into view beside what caused it, an error page's address is the
     device page's (F5 reloads the page, never resends the form), and a scan or F2 leaves
     without losing the checklist. */
  function benchDevice() {
    if (document.querySelector("[data-scan-field]")) return;
    const root = document.querySelector("[data-bench-device]");
    if (!root) return;
    const bar = root.querySelector("[data-device-bar]");
    const room = () => document.documentElement.style.setProperty("--bar-height", bar.offsetHeight + "px");
    room();
    window.addEventListener("resize", room);
    const url = root.dataset.pageUrl;
    if (url && window.location.pathname + window.location.search !== url) {
      window.history.replaceState(window.history.state, "", url + window.location.hash);
    }
    const feedback = root.querySelector("[data-feedback]");
    if (feedback) {
      window.addEventListener("load", () => window.requestAnimationFrame(() => {
        feedback.scrollIntoView({ block: "start" });
        if (feedback.id === "problem" && !document.querySelector("[autofocus]")) feedback.focus({ preventScroll: true });
      }));
    }
    const draft = checklistDraft(root);
    let leaving = false;
    const leave = async (where) => {
      if (leaving) return;
      leaving = true;
      if (draft) await draft.settle();
      window.location.assign(where);
    };
    const scanned = (code) => leave("/bench/scan?q=" + encodeURIComponent(code.trim()));
    scannerBursts((code) => { if (draft) draft.keep(); scanned(code); });
    const rescan = root.querySelector("[data-rescan]");
    rescan.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (rescan.value.trim()) scanned(rescan.value);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "F2") { event.preventDefault(); leave("/bench"); }
    });
  }

  /* Probe results, refreshed while the station's `remise bench watch` sends snapshots. */
  function liveProbe() {
    const panel = document.querySelector("[data-probe-url]");
    if (!panel) return;
    const refresh = async () => {
      try {
        const answer = await fetch(panel.dataset.probeUrl, { headers: { "Accept": "text/html" } });
        if (!answer.ok) return;
        const html = await answer.text();
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.querySelector("[data-probe-version]");
        const current = panel.querySelector("[data-probe-version]");
        if (fresh && current && fresh.dataset.probeVersion !== current.dataset.probeVersion) {
          current.replaceWith(fresh);
          const note = panel.querySelector("[data-probe-news]");
          if (note) note.textContent = note.dataset.text;
        }
      } catch (error) { /* the next round tries again */ }
    };
    window.setInterval(refresh, Number(panel.dataset.probeEvery || 3000));
  }

  /* A short sound: high for a recorded device, low for one set aside. */
  function beep(ok) {
    try {
      const AudioContext = window.AudioContext || window.webkitAudioContext;
      if (!AudioContext) return;
      const context = beep.context || (beep.context = new AudioContext());
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.frequency.value = ok ? 1320 : 220;
      tone.type = ok ? "sine" : "square";
      gain.gain.value = 0.15;
      tone.connect(gain).connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + (ok ? 0.12 : 0.35));
    } catch (error) { /* no sound card: the line on screen still says it */ }
  }

  function item(text, kind, link, linkText) {
    const li = document.createElement("li");
    li.className = kind;
    li.append(document.createTextNode(text + " "));
    if (link) {
      const a = document.createElement("a");
      a.href = link; a.textContent = linkText;
      li.append(a);
    }
    return li;
  }

  function continuousMode() {
    const root = document.querySelector("[data-continuous]");
    if (!root) return;
    const form = root.querySelector("[data-continuous-form]");
    const field = root.querySelector("[data-scan-field]");
    const label = root.querySelector("[data-scan-label]");
    const title = root.querySelector("[data-context-title]");
    const last = root.querySelector("[data-last]");
    const seenList = root.querySelector("[data-seen]");
    const aside = root.querySelector("[data-aside]");
    const missing = root.querySelector("[data-missing]");
    let state = { batch_id: null, location: null, seen: [], expected: [] };

    const counts = () => {
      root.querySelector("[data-count]").textContent = state.seen.length;
      root.querySelector("[data-expected]").textContent = state.expected.length;
      root.querySelector("[data-aside-count]").textContent = aside.children.length;
      missing.replaceChildren(...state.expected.filter((c) => !state.seen.includes(c))
        .map((c) => item(c, "", "/bench/devices/" + c, root.dataset.msgOpen)));
      root.querySelector("[data-missing-count]").textContent = missing.children.length;
    };
    const reset = () => {
      state = { batch_id: null, location: null, seen: [], expected: [] };
      seenList.replaceChildren(); aside.replaceChildren(); title.textContent = "";
      label.textContent = root.dataset.msgContext;
      counts(); field.focus();
    };
    root.querySelector("[data-continuous-reset]").addEventListener("click", reset);
    aside.addEventListener("click", (event) => {
      if (event.target.matches("button[data-dismiss]")) {
        event.target.closest("li").remove(); counts(); field.focus();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = field.value.trim();
      field.value = "";
      field.focus();
      if (!text) return;
      const body = { text, batch_id: state.batch_id, location: state.location, already: state.seen };
      let answer;
      try {
        const response = await fetch("/bench/continuous/scan", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
          body: JSON.stringify(body),
        });
        answer = await response.json();
      } catch (error) {
        answer = { kind: "error", message: String(error) };
      }
      if (answer.kind === "context") {
        state.batch_id = answer.batch_id; state.location = answer.location; state.expected = answer.expected;
        title.textContent = answer.title;
        label.textContent = root.dataset.msgDevice;
        last.textContent = answer.title;
        beep(true);
      } else if (answer.kind === "seen") {
        state.seen.push(answer.code);
        seenList.prepend(item(answer.message, "ok"));
        last.textContent = answer.message;
        beep(true);
      } else {
        const line = item(answer.message + " (" + text + ")", "bad",
          answer.code ? "/bench/devices/" + answer.code : null, root.dataset.msgOpen);
        const dismiss = document.createElement("button");
        dismiss.type = "button"; dismiss.className = "link"; dismiss.dataset.dismiss = "";
        dismiss.textContent = root.dataset.msgDismiss;
        line.append(" ", dismiss);
        if (answer.kind === "set_aside") aside.prepend(line);
        last.textContent = answer.message;
        beep(false);
      }
      counts();
    });
    counts();
  }

  function printing() {
    document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
    if (document.body.hasAttribute("data-print-on-load")) {
      window.addEventListener("load", () => window.print());
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    keepScanFocus(); benchDevice(); liveProbe(); continuousMode(); printing();
  });
})();
