/* The search field in the header: Pagefind's index of this tree in the page's language (pagefind/<lang>/).
   The field is shown only once pagefind.js has loaded: never over file:// (not asked for), nor where no index was built
   (`sitegen serve`); results are the pages' titles and excerpts, put in as text with Pagefind's <mark>s. */
(() => {
  "use strict";
  const form = document.querySelector("form.site-search");
  if (!form) return;
  const input = form.querySelector("input[type=search]");
  const status = form.querySelector(".search-status");
  const results = form.querySelector(".search-results");
  const nothing = form.querySelector(".search-nothing");
  const list = form.querySelector(".search-list");
  const SHOWN = 8; // results shown; more words narrow the search
  let asked = 0; // the latest search; an earlier one that finishes late is dropped

  function close() {
    asked += 1;
    results.hidden = true;
    list.replaceChildren();
    status.textContent = "";
    delete form.dataset.searched;
  }

  // Pagefind's excerpt is HTML (the page's text, escaped, with <mark> around matches). It is parsed in an inert
  // <template>, and only its text and marks are copied: no markup of a page can reach this one.
  function excerpt(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const paragraph = document.createElement("p");
    paragraph.className = "search-excerpt";
    for (const node of template.content.childNodes) {
      if (node.nodeName === "MARK") {
        const mark = document.createElement("mark");
        mark.textContent = node.textContent;
        paragraph.append(mark);
      } else {
        paragraph.append(node.textContent);
      }
    }
    return paragraph;
  }

  function show(term, pages, total) {
    list.replaceChildren(
      ...pages.map((page) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = page.url;
        link.textContent = page.meta.title || page.url;
        item.append(link, excerpt(page.excerpt));
        return item;
      }),
    );
    nothing.hidden = total > 0;
    results.hidden = false;
    status.textContent = total > 0 ? `${form.dataset.found} ${total}` : nothing.textContent;
    form.dataset.searched = term; // what the results shown are for
  }

  async function start(pagefind) {
    // Results link to pages from the tree's root, wherever the tree is served (`/`, `/intranet/`).
    await pagefind.options({ baseUrl: new URL(form.dataset.root, document.baseURI).pathname });
    form.hidden = false;
    form.addEventListener("submit", (event) => event.preventDefault());
    input.addEventListener("focus", () => pagefind.init(), { once: true }); // fetch the language's index early
    input.addEventListener("input", async () => {
      const term = input.value.trim();
      if (!term) {
        close();
        return;
      }
      const mine = ++asked;
      const search = await pagefind.debouncedSearch(term);
      if (search === null || mine !== asked) return; // a later keystroke took over
      const pages = await Promise.all(search.results.slice(0, SHOWN).map((result) => result.data()));
      if (mine === asked) show(term, pages, search.results.length);
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !results.hidden) {
        input.value = "";
        close();
        input.focus();
      }
    });
  }

  // Read from disk (`sitegen build --local`), a browser refuses module scripts from file://: do not even ask.
  if (location.protocol === "file:") return;
  import(new URL(form.dataset.bundle, document.baseURI).href).then(start, () => {
    // No index here: the field stays hidden.
  });
})();
