// leadform loader: the one <script> a site owner pastes.
//   <script src="https://EDGE/leadform.js" data-agent-id="agent_demo" async></script>
// It exposes window.leadform at once (so handlers can be registered before the widget
// loads), fetches the widget config and paints the chat bubble itself, then loads the Rust
// widget only when the page is idle or the visitor reaches for the bubble (hover, focus,
// tap), whichever comes first: the wasm is most of the bytes, and its download then never
// competes with the page's own. The widget takes the bubble over in place (same element,
// so no jump and focus stays). Calls made before the widget is ready are queued and replayed.
(() => {
  // A module script (type="module") has no currentScript: the tag is found by its attribute.
  // (The first script with it and an address: the attribute on another element, or on
  // another tool's inline script or data block, is not ours.)
  var script = document.currentScript || document.querySelector("script[data-agent-id][src]");
  if (!script) return;
  var agentId = script.getAttribute("data-agent-id");
  var apiBase = (script.getAttribute("data-api") || new URL(script.src).origin).replace(/\/+$/, "");
  var base = new URL("widget/", script.src).href;
  var glue = base + "leadform_widget.js";
  var wasm = base + "leadform_widget_bg.wasm";
  var handlers = {};
  var widget = null;
  var pending = [];
  // A second copy of this script on the page (pasted twice) leaves the first in charge.
  if (window.leadform?.registerFormHandler) return;
  // A fresh object: an element with id="leadform" shows through window.leadform too, and
  // is no place for the API (a <dialog>'s `open` is a boolean, a form's inputs answer to
  // their names); the page's element stays as it was.
  var api = (window.leadform = {});

  api.registerFormHandler = (toolName, handler) => {
    // (A name that is not a string never matches a form.)
    if (typeof handler?.onSubmit != "function") {
      throw TypeError("leadform: registerFormHandler needs onSubmit");
    }
    handlers[toolName] = handler;
  };
  function later(method) {
    return (arg) => {
      if (widget) return widget[method](arg);
      pending.push([method, arg]);
      load();
    };
  }
  api.open = later("open");
  api.showForm = later("showForm");

  // The widget calls this to run a handler: sync results, Promises and throws all become
  // one Promise, which the widget awaits and reports to /form-submissions/client-result.
  function runHandler(toolName, context) {
    var handler = handlers[toolName];
    if (!handler) return Promise.reject(Error("no handler registered for " + toolName));
    return new Promise((resolve) => resolve(handler.onSubmit(context)));
  }
  // Whether a page handler is there yet: a kept submission of a `client` or `both` form
  // waits for a page that has one (its handler is the delivery).
  runHandler.has = (toolName) => !!handlers[toolName];

  // Attribution. "The visit" is this browser tab's session: the first page the loader runs
  // on is its landing page, and that page's referrer and utm_* params stay the visit's for
  // every later page of the tab (sessionStorage "leadform:visit"; in memory, this page only,
  // when storage throws). First touch, kept simple: utm comes from the landing URL only,
  // even when a later page carries utm_* params of its own. Empty values count as missing.
  var UTM = ["source", "medium", "campaign", "term", "content"];
  // Cut by code points, as the edge counts them (never half an emoji); non-strings: null.
  function cut(value, max) {
    return value && typeof value === "string" ? [...value].slice(0, max).join("") : null;
  }
  // Within the edge's limits, whatever is in storage (any script of the page can write it).
  function clean(v) {
    var utm = {};
    UTM.forEach((key) => (utm[key] = cut(v.utm?.[key], 200)));
    return { landingPage: cut(v.landingPage, 2000), referrer: cut(v.referrer, 2000), utm: utm };
  }
  var VISIT_KEY = "leadform:visit";
  var visit = null;
  try {
    visit = JSON.parse(sessionStorage.getItem(VISIT_KEY));
  } catch (e) {}
  if (visit?.landingPage) {
    visit = clean(visit);
  } else {
    var query = new URLSearchParams(location.search);
    var utm = {};
    UTM.forEach((key) => (utm[key] = query.get("utm_" + key)));
    visit = clean({ landingPage: location.href, referrer: document.referrer, utm: utm });
    try {
      sessionStorage.setItem(VISIT_KEY, JSON.stringify(visit));
    } catch (e) {}
  }
  // What the host page knows about its visitor (a signed-in user): leadform.identify({
  // email, name, ... }) prefills a form's fields by name or by what they are (an email
  // field takes `email`), and fills hidden fields by name. Kept for the tab's later pages;
  // identify(null) forgets it. The widget takes only the form's own fields' strings, cut as
  // the edge would (widget/src/form.rs): the loader keeps its 2 KB.
  var IDENTITY = "leadform:identity";
  var identity = {};
  try {
    identity = JSON.parse(sessionStorage.getItem(IDENTITY)) || {};
  } catch (e) {}
  api.identify = (data) => {
    // Replaced, not merged: another visitor signing in on this tab gets nothing of the last.
    identity = data || {};
    try {
      sessionStorage.setItem(IDENTITY, JSON.stringify(identity));
    } catch (e) {}
  };

  // The widget calls this for every submission's "attribution" key, and its `identity`
  // when it shows a form.
  attribution.identity = () => identity;
  function attribution() {
    return {
      pageUrl: cut(location.href, 2000),
      referrer: visit.referrer,
      landingPage: visit.landingPage,
      utm: visit.utm,
    };
  }

  if (!agentId) {
    console.error("leadform: the script tag needs data-agent-id");
    return;
  }
  // A page whose Content-Security-Policy forbids WebAssembly: one message that names the
  // directive, and the page is left as it was (no bubble that could never open). Compiling
  // the smallest module (its 8-byte header) is what the policy refuses.
  var FAILED = "leadform: the widget could not start";
  try {
    new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  } catch (e) {
    console.error(
      "leadform: this page's Content-Security-Policy blocks WebAssembly: script-src needs 'wasm-unsafe-eval'"
    );
    // The page's open() and showForm() download nothing either.
    load = () => {};
    return;
  }

  // The bubble, drawn as the widget draws it (widget/src/chat.rs, `Chat::mount`) with the
  // widget's own rules for it (widget/src/style.rs: `:host`, `.lf-root`'s box, `.lf-bubble`,
  // `:focus-visible`, `.lf-labelled`, `.lf-left`; the root's font and color do not reach
  // the bubble): keep the two in step, or the bubble jumps when the widget takes over
  // (tests/loader.test.mjs compares them). A constructed stylesheet, as the widget's, so a
  // strict Content-Security-Policy (no inline styles) still shows it styled.
  var CSS =
    ":host{all:initial}.lf-root{all:initial;--b:#3b5bdb;--bt:#fff;position:fixed;right:20px;bottom:20px;z-index:2147483647}" +
    ".lf-bubble{min-width:56px;height:56px;border-radius:28px;border:0;background:var(--b);color:var(--bt);cursor:pointer;display:grid;place-items:center;box-shadow:0 6px 20px rgba(30,40,90,.3);float:right}" +
    ":focus-visible{outline:2px solid #1d2433;outline-offset:2px;box-shadow:0 0 0 2px #fff}" +
    ".lf-labelled{display:flex;align-items:center;gap:8px;padding:0;padding-inline:14px 18px;font:600 15px/1 system-ui,sans-serif}" +
    ".lf-left{right:auto;left:20px}.lf-left .lf-bubble{float:left}" +
    "@media (prefers-color-scheme:dark){:focus-visible{outline-color:#e9ecf2;box-shadow:0 0 0 2px #131622}}";
  var HEX = /^#[0-9a-f]{6}$/i;
  var config = null;
  var host = null;
  var wantOpen = 0;

  function el(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }
  function paint() {
    var agent = config.agent || {};
    var look = agent.look || {};
    var texts = config.texts;
    var css = CSS;
    // Colors go into the stylesheet: only #rrggbb gets there.
    if (HEX.test(look.brandColor) && HEX.test(look.brandText)) {
      css += ".lf-root{--b:" + look.brandColor + ";--bt:" + look.brandText + "}";
    }
    // A tag of its own: a page's rules for `div` (`div:empty { display: none }`) miss it.
    host = el("leadform-widget");
    host.id = "leadform-widget";
    var shadow = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      shadow.adoptedStyleSheets = [sheet];
    } catch (e) {
      // No constructable stylesheets (older browsers): a <style> element.
      shadow.appendChild(el("style")).textContent = css;
    }
    var root = el("div", look.position == "left" ? "lf-root lf-left" : "lf-root");
    root.lang = config.locale;
    root.dir = config.locale == "ar" ? "rtl" : "ltr";
    var bubble = el("button", "lf-bubble");
    bubble.type = "button";
    // A function, so a `$` in the name is not read as a replacement pattern.
    // The texts come from the same edge as this file, so chatWith is there.
    // A launcher's words begin its name (WCAG 2.5.3, label in name: "click Ask us" works).
    var label = texts.chatWith.replace("{}", () => agent.name);
    bubble.setAttribute("aria-label", look.launcherLabel ? look.launcherLabel + ", " + label : label);
    bubble.setAttribute("aria-expanded", false);
    // A speech-bubble icon (an emoji would depend on the visitor's fonts).
    var SVG = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(SVG, "svg");
    var path = svg.appendChild(document.createElementNS(SVG, "path"));
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", 26);
    svg.setAttribute("height", 26);
    svg.setAttribute("aria-hidden", true);
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    bubble.appendChild(svg);
    if (look.launcherLabel) {
      bubble.className = "lf-bubble lf-labelled";
      bubble.appendChild(el("span")).textContent = look.launcherLabel;
    }
    // Reaching for the bubble (a pointer over it, a finger or button down on it, keyboard
    // focus) starts the widget's download; a click (or Enter) before the widget is ready
    // opens the chat as soon as it is. Once it is, the widget's own listener on this same
    // button does the work.
    ["pointerenter", "pointerdown", "focus"].forEach((type) => bubble.addEventListener(type, load));
    bubble.addEventListener("click", () => {
      if (!widget) {
        wantOpen = true;
        load();
      }
    });
    root.appendChild(bubble);
    shadow.appendChild(root);
    // After the body, not in it: a page's transform or filter on <body> would make the
    // body the box `position: fixed` is placed in (the bubble at the foot of a long page).
    document.documentElement.appendChild(host);
  }

  // The wasm-bindgen glue and the wasm, fetched once: when the page is idle or the visitor
  // reaches for the bubble, or at once (beside the config's fetch) when the page calls
  // open or showForm. The widget starts once they and the bubble are there, with the
  // config the loader has.
  var fetched;
  var starting = 0;
  function load() {
    // The wasm's download starts beside the glue's, not after it: one round trip less.
    fetched =
      fetched ||
      ((bytes) => import(glue).then((mod) => mod.default({ module_or_path: bytes }).then(() => mod)))(fetch(wasm));
    if (starting || !host) return;
    starting = true;
    fetched
      .then((mod) => mod.start(config, apiBase, runHandler, attribution, host))
      .then((started) => {
        widget = started;
        if (wantOpen) widget.open();
        pending.splice(0).forEach((call) => widget[call[0]](call[1]));
        document.dispatchEvent(new Event("leadform:ready"));
      })
      .catch((err) => {
        // A download that failed (a flaky network) is tried again the next time the
        // visitor reaches for the bubble, which stays; what was asked of it meanwhile is
        // forgotten (a later hover must not open the chat). Chromium keeps a failed module
        // import for its URL, so the glue is asked for under another one. (A policy
        // without 'wasm-unsafe-eval' was caught above, before any bubble.)
        fetched = starting = wantOpen = pending.length = 0;
        glue += "?";
        console.error(FAILED, err);
      });
  }

  fetch(apiBase + "/widget/config?agentId=" + encodeURIComponent(agentId))
    .then((res) => (res.ok ? res.json() : Promise.reject(res.status)))
    .then((answer) => {
      config = answer;
      // An async script may run before the body is parsed.
      if (document.body) start();
      else document.addEventListener("DOMContentLoaded", start);
    })
    .catch((err) => {
      console.error(FAILED, err);
    });
  function start() {
    paint();
    // Calls the page made while the config was on its way want the widget now.
    // Otherwise when the page is idle.
    if (pending.length) load();
    else if (window.requestIdleCallback) requestIdleCallback(load, { timeout: 3000 });
    else setTimeout(load, 200);
  }
})();
