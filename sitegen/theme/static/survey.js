/* sitegen survey pages: progressive enhancement only; the form works without this file.
 *
 * - show_if follow-ups appear and disappear as answers change (hidden ones are
 *   disabled, so they are never posted);
 * - a response id (rid) is set once per page view and kept until the answers
 *   arrive, so a double click, a reload or the back button cannot double-submit;
 * - once the answers have arrived (the thank-you page was shown), the form, and
 *   Back to it, says "you have already answered", with "Answer again" where the
 *   survey allows it;
 * - hidden fields the page leaves empty are filled from the page URL, only with
 *   declared values;
 * - answers are checked before sending (a time before the one it must follow
 *   too), with messages in the page's language tied to their question, and a
 *   summary that is announced;
 * - the submit button is disabled while sending;
 * - the closed notice is decided again by today's date, for a page built earlier.
 */
(function () {
  "use strict";

  var RID_KEY = "sitegen-rid-";
  var ANSWERED_KEY = "sitegen-answered-";
  document.documentElement.classList.add("js");

  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  /* ---- answers as the collector will read them ---- */

  function answerOf(form, name) {
    var fields = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    fields.forEach(function (field) {
      if (field.disabled) return;
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) return;
      if (field.value !== "") values.push(field.value);
    });
    return values;
  }

  function conditionHolds(condition, values) {
    if (!values.length) return false;
    var ops = ["eq", "ne", "lt", "le", "gt", "ge", "in"];
    var op = ops.filter(function (name) { return name in condition; })[0];
    var expected = condition[op];
    return values.some(function (value) {
      var number = parseFloat(value);
      switch (op) {
        case "eq": return String(value) === String(expected);
        case "ne": return String(value) !== String(expected);
        case "lt": return number < expected;
        case "le": return number <= expected;
        case "gt": return number > expected;
        case "ge": return number >= expected;
        case "in": return expected.map(String).indexOf(String(value)) !== -1;
      }
      return false;
    });
  }

  function isShown(question) {
    return !question.hidden;
  }

  function updateFollowUps(form) {
    form.querySelectorAll(".question[data-show-if]").forEach(function (question) {
      var condition = JSON.parse(question.getAttribute("data-show-if"));
      var source = form.querySelector('.question[data-question="' + condition.question + '"]');
      var show = source !== null && isShown(source) && conditionHolds(condition, answerOf(form, condition.question));
      question.hidden = !show;
      question.querySelectorAll("input, select, textarea").forEach(function (field) {
        field.disabled = !show;
        if (field.hasAttribute("data-required-when-shown")) field.required = show;
      });
      if (!show) clearError(question);
    });
    renumber(form);
  }

  /* Number the questions on screen 1, 2, 3... whatever follow-ups are hidden. */
  function renumber(form) {
    var number = 0;
    form.querySelectorAll(".question").forEach(function (question) {
      if (!isShown(question)) return;
      number += 1;
      question.querySelector(".question-number").textContent = number + ".";
    });
  }

  /* ---- checking answers ---- */

  function problemWith(question, messages) {
    var type = question.getAttribute("data-type");
    var required = question.getAttribute("data-required") === "true";
    var fields = Array.prototype.slice.call(question.querySelectorAll("input, select, textarea"));
    if (type === "multiple") {
      var picks = fields.filter(function (field) { return field.checked; }).length;
      var box = question.querySelector(".picks");
      var least = parseInt(box.getAttribute("data-min-picks") || (required ? "1" : "0"), 10);
      var most = parseInt(box.getAttribute("data-max-picks") || "0", 10);
      if (picks && most && picks > most) return fill(messages.too_many_picks, { num: most });
      if ((picks || required) && picks < least) return least > 1 ? fill(messages.too_few_picks, { num: least }) : messages.required;
      return "";
    }
    if (type === "ranking") {
      var ranked = fields.map(function (field) { return field.value; }).filter(Boolean);
      if (ranked.some(function (choice, index) { return ranked.indexOf(choice) !== index; })) return messages.repeated_choice;
      if (!ranked.length) return required ? messages.required : "";
      return required && ranked.length < fields.length ? fill(messages.incomplete_ranking, { num: fields.length }) : "";
    }
    if (type === "matrix" || fields[0].type === "radio" || fields[0].type === "checkbox") {
      var groups = {};
      fields.forEach(function (field) { groups[field.name] = groups[field.name] || field.form.querySelector('[name="' + field.name + '"]:checked') !== null; });
      var missing = Object.keys(groups).some(function (name) { return !groups[name]; });
      return required && missing ? messages.required : "";
    }
    var field = fields[0];
    var value = field.value.trim();
    if (!value) return required ? messages.required : "";
    if (field.validity.tooLong || value.length > field.maxLength && field.maxLength > 0) return fill(messages.too_long, { num: field.maxLength });
    if (type === "number") {
      var number = Number(value);
      var min = field.min === "" ? null : Number(field.min);
      var max = field.max === "" ? null : Number(field.max);
      if (field.validity.badInput || isNaN(number)) return messages.not_a_number;
      if ((min !== null && number < min) || (max !== null && number > max)) {
        if (min !== null && max !== null) return fill(messages.out_of_range, { min: field.min, max: field.max });
        return min !== null ? fill(messages.too_small, { min: field.min }) : fill(messages.too_large, { max: field.max });
      }
    }
    if (type === "email" && field.validity.typeMismatch) return messages.not_an_email;
    if ((type === "date" || type === "datetime") && field.validity.badInput) return messages.not_a_date;
    // not_before: datetime-local values are ISO texts of one form, so they compare as text (as the collector does).
    var earlier = field.getAttribute("data-not-before") && field.form.querySelector('[name="' + field.getAttribute("data-not-before") + '"]');
    if (earlier && earlier.value && value < earlier.value) return messages.before_other;
    return "";
  }

  function showError(question, message) {
    var slot = question.querySelector(".field-error");
    slot.textContent = message;
    slot.hidden = false;
    question.classList.add("has-error");
    question.querySelectorAll("input, select, textarea").forEach(function (field) { field.setAttribute("aria-invalid", "true"); });
  }

  function clearError(question) {
    var slot = question.querySelector(".field-error");
    slot.textContent = "";
    slot.hidden = true;
    question.classList.remove("has-error");
    question.querySelectorAll("[aria-invalid]").forEach(function (field) { field.removeAttribute("aria-invalid"); });
  }

  function checkAnswers(form, messages) {
    var summary = form.querySelector(".error-summary");
    var list = summary.querySelector("ul");
    list.textContent = "";
    var first = null;
    form.querySelectorAll(".question").forEach(function (question) {
      if (!isShown(question)) return;
      var message = problemWith(question, messages);
      if (!message) { clearError(question); return; }
      showError(question, message);
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + question.id;
      link.textContent = question.querySelector("legend").textContent.replace(/[\s\u00a0]*\*\s*$/, "").replace(/^\s*\d+\.\s*/, "") + " — " + message;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        question.querySelector("input, select, textarea").focus();
      });
      item.appendChild(link);
      list.appendChild(item);
      first = first || question;
    });
    summary.hidden = first === null;
    if (first) summary.focus();
    return first === null;
  }

  /* ---- set-up ---- */

  function fillHiddenFields(form) {
    var params = new URLSearchParams(window.location.search);
    form.querySelectorAll("input[type=hidden][data-allowed]:disabled").forEach(function (field) {
      var allowed = JSON.parse(field.getAttribute("data-allowed"));
      var value = params.get(field.name);
      if (value !== null && allowed.indexOf(value) !== -1) {
        field.value = value;
        field.disabled = false;
      }
    });
  }

  function setResponseId(form, surveyId) {
    var store = storage();
    var rid = (store && store.getItem(RID_KEY + surveyId)) || newId();
    if (store) store.setItem(RID_KEY + surveyId, rid);
    var field = form.querySelector('input[name="rid"]');
    field.value = rid;
    field.disabled = false;
  }

  function watchCounters(form) {
    form.querySelectorAll("textarea[maxlength]").forEach(function (area) {
      var counter = document.getElementById("counter-" + area.name);
      if (!counter) return;
      var update = function () {
        counter.textContent = fill(counter.getAttribute("data-template"), { num: area.maxLength - area.value.length });
      };
      counter.setAttribute("aria-live", "polite");
      area.addEventListener("input", update);
      update();
    });
  }

  /* Today in the site's time zone, as YYYY-MM-DD, so the page and the collector agree. */
  function siteToday(zone) {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    } catch (e) {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function showIfClosed(article) {
    var today = siteToday(article.getAttribute("data-timezone"));
    var opens = article.getAttribute("data-opens");
    var closes = article.getAttribute("data-closes");
    var closed = Boolean((opens && today < opens) || (closes && today > closes));
    article.querySelector(".notice-closed").hidden = !closed;
    article.querySelector(".survey-form").hidden = closed;
    return closed;
  }

  function isAnswered(surveyId) {
    var store = storage();
    return store !== null && store.getItem(ANSWERED_KEY + surveyId) === "true";
  }

  /* After the thank-you page (Back, or the address again in this tab): say so instead of a fresh form. */
  function showIfAnswered(article, form, surveyId) {
    if (showIfClosed(article)) return;
    var answered = isAnswered(surveyId);
    article.querySelector(".notice-answered").hidden = !answered;
    form.hidden = answered;
  }

  function answerAgain(article, form, surveyId) {
    var store = storage();
    if (store) store.removeItem(ANSWERED_KEY + surveyId);
    form.reset();
    setResponseId(form, surveyId);
    updateFollowUps(form);
    article.querySelector(".notice-answered").hidden = true;
    form.hidden = false;
    var first = form.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (first) first.focus();
  }

  function enhance(form) {
    var article = form.closest(".survey");
    var surveyId = article.getAttribute("data-survey");
    var messages = JSON.parse(form.getAttribute("data-messages"));
    form.noValidate = true;
    setResponseId(form, surveyId);
    fillHiddenFields(form);
    updateFollowUps(form);
    watchCounters(form);
    showIfAnswered(article, form, surveyId);
    var again = article.querySelector(".answer-again");
    if (again) again.addEventListener("click", function () { answerAgain(article, form, surveyId); });
    form.addEventListener("change", function (event) {
      updateFollowUps(form);
      var question = event.target.closest(".question");
      if (question && question.classList.contains("has-error") && !problemWith(question, messages)) clearError(question);
    });
    form.addEventListener("submit", function (event) {
      if (button.disabled || !checkAnswers(form, messages)) {
        event.preventDefault();
        return;
      }
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = button.getAttribute("data-sending");
    });
    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      showIfAnswered(article, form, surveyId);
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    });
  }

  /* The answers arrived: the next form gets a new rid, and says they were sent. */
  function rememberAnsweredSurvey(thanks) {
    var store = storage();
    if (!store) return;
    store.removeItem(RID_KEY + thanks.getAttribute("data-survey"));
    store.setItem(ANSWERED_KEY + thanks.getAttribute("data-survey"), "true");
  }

  document.querySelectorAll(".thanks[data-survey]").forEach(rememberAnsweredSurvey);
  document.querySelectorAll("form.survey-form").forEach(enhance);
})();
