// leadform loader: the one <script> a site owner pastes.
//   <script src="https://EDGE/leadform.js" data-agent-id="agent_demo" async></script>
// It exposes window.leadform at once (so handlers can be registered before the widget
// loads), preloads the wasm, then starts the Rust widget. Calls made before the widget is
// ready are queued and replayed.
(function () {
  var script = document.currentScript;
  if (!script) return;
  var agentId = script.getAttribute("data-agent-id");
  var apiBase = script.getAttribute("data-api") || new URL(script.src).origin;
  var base = new URL(".", script.src).href + "widget/";
  var glue = base + "leadform_widget.js";
  var wasm = base + "leadform_widget_bg.wasm";
  var handlers = {};
  var widget = null;
  var pending = [];
  var api = (window.leadform = window.leadform || {});

  api.registerFormHandler = function (toolName, handler) {
    if (typeof toolName !== "string" || !handler || typeof handler.onSubmit !== "function") {
      throw new TypeError("leadform.registerFormHandler(toolName, { onSubmit }) needs a name and an onSubmit function");
    }
    handlers[toolName] = handler;
  };
  function later(method) {
    return function (arg) {
      if (widget) return widget[method](arg);
      pending.push([method, arg]);
    };
  }
  api.open = later("open");
  api.showForm = later("showForm");

  // The widget calls this to run a handler: sync results, Promises and throws all become
  // one Promise, which the widget awaits and reports to /form-submissions/client-result.
  function runHandler(toolName, context) {
    var handler = handlers[toolName];
    if (!handler) return Promise.reject(new Error("no handler registered for " + toolName));
    return new Promise(function (resolve) {
      resolve(handler.onSubmit(context));
    });
  }
  // Whether a page handler is there yet: a kept submission of a `client` or `both` form
  // waits for a page that has one (its handler is the delivery).
  runHandler.has = function (toolName) {
    return !!handlers[toolName];
  };

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
    UTM.forEach(function (key) {
      utm[key] = cut((v.utm || {})[key], 200);
    });
    return { landingPage: cut(v.landingPage, 2000), referrer: cut(v.referrer, 2000), utm: utm };
  }
  var VISIT_KEY = "leadform:visit";
  var visit = null;
  try {
    visit = JSON.parse(sessionStorage.getItem(VISIT_KEY));
  } catch (e) {}
  if (visit && visit.landingPage) {
    visit = clean(visit);
  } else {
    var query = new URLSearchParams(location.search);
    var utm = {};
    UTM.forEach(function (key) {
      utm[key] = query.get("utm_" + key);
    });
    visit = clean({ landingPage: location.href, referrer: document.referrer, utm: utm });
    try {
      sessionStorage.setItem(VISIT_KEY, JSON.stringify(visit));
    } catch (e) {}
  }
  // What the host page knows about its visitor (a signed-in user): leadform.identify({
  // email, name, ... }) prefills a form's fields by name or by what they are (an email
  // field takes `email`), and fills hidden fields by name. Kept for the tab's later pages;
  // identify(null) forgets it. Strings and numbers only, cut as the edge would.
  var IDENTITY_KEY = "leadform:identity";
  var identity = {};
  try {
    identity = JSON.parse(sessionStorage.getItem(IDENTITY_KEY)) || {};
  } catch (e) {}
  api.identify = function (data) {
    if (data === null) {
      identity = {};
    } else if (typeof data !== "object") {
      throw new TypeError("leadform.identify({ email, name, ... }) needs an object (or null to forget)");
    } else {
      Object.keys(data).slice(0, 50).forEach(function (key) {
        var value = data[key];
        if (typeof value === "number") value = String(value);
        if (typeof value === "string") identity[key] = cut(value, 2000);
      });
    }
    try {
      sessionStorage.setItem(IDENTITY_KEY, JSON.stringify(identity));
    } catch (e) {}
  };

  // The widget calls this for every submission's "attribution" key, and its `identity`
  // when it shows a form.
  attribution.identity = function () {
    return identity;
  };
  function attribution() {
    return {
      pageUrl: cut(location.href, 2000),
      referrer: visit.referrer,
      landingPage: visit.landingPage,
      utm: visit.utm,
    };
  }

  function hint(rel, href, as) {
    var link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    if (as) link.as = as;
    link.crossOrigin = "anonymous";
    document.head.appendChild(link);
  }
  hint("modulepreload", glue);
  hint("preload", wasm, "fetch");

  if (!agentId) {
    console.error("leadform: the script tag needs data-agent-id");
    return;
  }
  import(glue)
    .then(function (mod) {
      return mod.default({ module_or_path: wasm }).then(function () {
        return mod.start(agentId, apiBase, runHandler, attribution);
      });
    })
    .then(function (started) {
      widget = started;
      pending.splice(0).forEach(function (call) {
        widget[call[0]](call[1]);
      });
      document.dispatchEvent(new CustomEvent("leadform:ready"));
    })
    .catch(function (err) {
      // A page whose Content-Security-Policy forbids WebAssembly: one message that names
      // the directive, and the page is left as it was.
      if (/wasm-unsafe-eval|Content Security Policy|WebAssembly/i.test(String(err && err.message))) {
        console.error(
          "leadform: this page's Content-Security-Policy does not allow WebAssembly. Add 'wasm-unsafe-eval' to its script-src directive (see the README, Embedding)."
        );
        return;
      }
      console.error("leadform: the widget could not start", err);
    });
})();
