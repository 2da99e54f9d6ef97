// Galley portal: small progressive enhancements. Every page works without this file.
"use strict";
(function () {
  document.documentElement.classList.add("js");

  function announce(text) {
    var live = document.getElementById("live-status");
    if (live) { live.textContent = ""; window.setTimeout(function () { live.textContent = text; }, 50); }
  }

  // Copy buttons: data-copy names the element whose text is copied.
  function initCopy() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) { return; }
        var text = source.textContent;
        var done = function () {
          button.textContent = "Copied";
          announce("Copied to the clipboard");
          window.setTimeout(function () { button.textContent = label; }, 2000);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
        } else {
          selectText(source);
        }
      });
    });
  }

  // Without clipboard access, select the text so Ctrl+C works.
  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    announce("Text selected; press Ctrl+C to copy");
  }

  // Install tabs: arrow keys move between tabs (WAI-ARIA tabs pattern).
  function initTabs() {
    document.querySelectorAll("[role=tablist]").forEach(function (list) {
      var tabs = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
      function select(tab, focus) {
        tabs.forEach(function (t) {
          var selected = t === tab;
          t.setAttribute("aria-selected", selected ? "true" : "false");
          t.tabIndex = selected ? 0 : -1;
          var panel = document.getElementById(t.getAttribute("aria-controls"));
          if (panel) { panel.hidden = !selected; }
        });
        if (focus) { tab.focus(); }
      }
      tabs.forEach(function (tab, i) {
        tab.addEventListener("click", function () { select(tab, false); });
        tab.addEventListener("keydown", function (e) {
          var next = null;
          if (e.key === "ArrowRight") { next = tabs[(i + 1) % tabs.length]; }
          if (e.key === "ArrowLeft") { next = tabs[(i - 1 + tabs.length) % tabs.length]; }
          if (e.key === "Home") { next = tabs[0]; }
          if (e.key === "End") { next = tabs[tabs.length - 1]; }
          if (next) { e.preventDefault(); select(next, true); }
        });
      });
      list.hidden = false;
      if (tabs.length) { select(tabs[0], false); }
    });
  }

  // Filters (prerelease toggle, sort order) apply as soon as they change, with one clean URL.
  function initFilters() {
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.addEventListener("change", function () {
        var params = new URLSearchParams();
        var q = form.querySelector("input[name=q]");
        if (q && q.value) { params.set("q", q.value); }
        var prerelease = form.querySelector("input[type=checkbox][name=prerelease]");
        if (prerelease && !prerelease.checked) { params.set("prerelease", "false"); }
        var sort = form.querySelector("select[name=sortBy]");
        if (sort && sort.value !== "relevance") { params.set("sortBy", sort.value); }
        var query = params.toString();
        window.location.assign(form.getAttribute("action") + (query ? "?" + query : ""));
      });
    });
  }

  // Search suggestions from the autocomplete resource, shown through the input's datalist.
  function initAutocomplete() {
    document.querySelectorAll("input[data-autocomplete]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var endpoint = input.getAttribute("data-autocomplete");
      var timer = null;
      var pending = null;
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        var text = input.value.trim();
        if (!list || text.length < 2 || text.indexOf(":") >= 0) { return; }
        timer = window.setTimeout(function () {
          if (pending) { pending.abort(); }
          pending = new AbortController();
          var url = endpoint + "?q=" + encodeURIComponent(text) + "&take=8&prerelease=true&semVerLevel=2.0.0";
          fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
            .then(function (r) { return r.ok ? r.json() : { data: [] }; })
            .then(function (body) {
              list.replaceChildren.apply(list, (body.data || []).map(function (id) {
                var option = document.createElement("option");
                option.value = id;
                return option;
              }));
            })
            .catch(function () { /* a newer keystroke aborted this one, or the network failed */ });
        }, 150);
      });
    });
  }

  // Upload: drop a file on the zone, and send it with XHR to show progress. The server answers
  // with a redirect to the verify page (followed: responseURL) or the form with its error.
  function initUpload() {
    document.querySelectorAll("form[data-upload]").forEach(function (form) {
      var input = form.querySelector("input[type=file]");
      var zone = form.querySelector("[data-dropzone]");
      var bar = form.querySelector("progress");
      if (zone && input) {
        ["dragenter", "dragover"].forEach(function (n) {
          zone.addEventListener(n, function (e) { e.preventDefault(); zone.classList.add("over"); });
        });
        ["dragleave", "drop"].forEach(function (n) {
          zone.addEventListener(n, function () { zone.classList.remove("over"); });
        });
        zone.addEventListener("drop", function (e) {
          e.preventDefault();
          if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; announce("File chosen: " + input.files[0].name); }
        });
      }
      form.addEventListener("submit", function (e) {
        if (!window.XMLHttpRequest || !window.FormData) { return; }
        e.preventDefault();
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action || window.location.href);
        if (bar) { bar.hidden = false; bar.value = 0; }
        xhr.upload.addEventListener("progress", function (ev) {
          if (bar && ev.lengthComputable) { bar.value = Math.round(ev.loaded * 100 / ev.total); }
        });
        xhr.addEventListener("load", function () {
          if (xhr.status < 300) { window.location.assign(xhr.responseURL); return; }
          var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var main = doc.getElementById("main");
          if (main) { document.getElementById("main").replaceWith(document.adoptNode(main)); initUpload(); announce("The upload failed"); }
        });
        xhr.addEventListener("error", function () { announce("The upload failed; check the connection and try again"); });
        xhr.send(new FormData(form));
      });
    });
  }

  function init() { initCopy(); initTabs(); initFilters(); initAutocomplete(); initUpload(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
