// One-time form keys (remise/forms.py) across Back and reload.
//
// Pages are sent with Cache-Control: no-store, so Back fetches the page again, with a
// new key: the form would then look new and a second copy could be made. The first key
// a history entry was shown with is kept in that entry's state (which survives Back
// and reload) and put back into the forms, so a form sent again from the same entry is
// recognised and leads to what it first made.
(function () {
  "use strict";
  function keepFormKeys() {
    const inputs = document.querySelectorAll('input[name="form_key"]');
    if (!inputs.length) return;
    const state = history.state && typeof history.state === "object" ? history.state : {};
    if (typeof state.remiseFormKey === "string") {
      inputs.forEach((input) => { input.value = state.remiseFormKey; });
    } else {
      history.replaceState(Object.assign({}, state, { remiseFormKey: inputs[0].value }), "");
    }
  }
  document.addEventListener("DOMContentLoaded", keepFormKeys);
})();
