/* The site's root page: open the language the visitor chose here before, else the first of the
   browser's languages the site has, else the site's first language. The page's links work without it. */
(function () {
  "use strict";
  var COOKIE = "sitegen_lang";
  var root = document.documentElement;
  var offered = {};
  document.querySelectorAll(".language-choice a[hreflang]").forEach(function (link) {
    var lang = link.getAttribute("hreflang");
    offered[lang] = link.href;
    link.addEventListener("click", function () {
      /* A year, for this tree only; `sitegen serve` reads the same cookie. */
      document.cookie = COOKIE + "=" + lang + "; path=" + location.pathname + "; max-age=31536000; SameSite=Lax";
    });
  });
  var chosen = document.cookie.split("; ").filter(function (pair) { return pair.indexOf(COOKIE + "=") === 0; });
  var wanted = chosen.map(function (pair) { return pair.slice(COOKIE.length + 1); });
  (navigator.languages || [navigator.language]).forEach(function (tag) {
    if (tag) wanted.push(String(tag).toLowerCase().split("-")[0]);
  });
  wanted.push(root.getAttribute("data-default-language"));
  for (var i = 0; i < wanted.length; i++) {
    if (Object.prototype.hasOwnProperty.call(offered, wanted[i])) {
      location.replace(offered[wanted[i]]);
      return;
    }
  }
})();
