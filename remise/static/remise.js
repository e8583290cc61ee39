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

  /* On device pages F2 goes to the bench scan field. */
  function benchShortcuts() {
    if (document.querySelector("[data-scan-field]")) return;
    if (!document.body.querySelector("[data-bench-device]")) return;
    document.addEventListener("keydown", (event) => {
      if (event.key === "F2") { event.preventDefault(); window.location.href = "/bench"; }
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
    let state = { batch_id: null, shelf: null, seen: [], expected: [] };

    const counts = () => {
      root.querySelector("[data-count]").textContent = state.seen.length;
      root.querySelector("[data-expected]").textContent = state.expected.length;
      root.querySelector("[data-aside-count]").textContent = aside.children.length;
      missing.replaceChildren(...state.expected.filter((c) => !state.seen.includes(c))
        .map((c) => item(c, "", "/bench/devices/" + c, root.dataset.msgOpen)));
      root.querySelector("[data-missing-count]").textContent = missing.children.length;
    };
    const reset = () => {
      state = { batch_id: null, shelf: null, seen: [], expected: [] };
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
      const body = { text, batch_id: state.batch_id, shelf: state.shelf, already: state.seen };
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
        state.batch_id = answer.batch_id; state.shelf = answer.shelf; state.expected = answer.expected;
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
    keepScanFocus(); benchShortcuts(); liveProbe(); continuousMode(); printing();
  });
})();
