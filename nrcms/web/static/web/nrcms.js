/* The pages' few behaviours, in one file so that the Content-Security-Policy can forbid inline scripts
   (script-src 'self'). Templates mark elements with data-* attributes instead of onclick=/<script>. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]")) { el.form.submit(); }
  });

  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-print],[data-back],[data-confirm]") : null;
    if (!el) { return; }
    if (el.hasAttribute("data-print")) { event.preventDefault(); window.print(); }
    else if (el.hasAttribute("data-back")) { event.preventDefault(); history.back(); }
    else if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
  });

  // htmx swaps only 2xx answers; a 429 (the desk's lookup limit) carries its Chinese message to show in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A form marked data-busy="ID" disables its submit button and shows element ID while the server works.
  document.addEventListener("submit", function (event) {
    var form = event.target, busy = form.getAttribute && form.getAttribute("data-busy");
    if (!busy) { return; }
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    var shown = document.getElementById(busy);
    if (shown) { shown.hidden = false; }
  });

  function addMemberRow(button) {
    var body = document.getElementById("member-rows"), i = body.rows.length;
    var max = parseInt(button.getAttribute("data-max"), 10);
    if (i >= max) { window.alert("家庭成员最多登记 " + max + " 人"); return; }
    body.insertAdjacentHTML("beforeend", document.getElementById("member-row").innerHTML
      .replace(/__i__/g, String(i)).replace(/__n__/g, String(i + 1)));
    body.rows[i].querySelector("input").focus();
  }

  function collectionChart(el) {
    var rows = JSON.parse(document.getElementById("progress-data").textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis"}, legend: {data: ["参合率%", "缴费率%"]}, grid: {left: 40, right: 20, bottom: 30, top: 30},
      xAxis: {type: "category", data: rows.map(function (r) { return r.name; })},
      yAxis: {type: "value", max: 100},
      series: [{name: "参合率%", type: "bar", data: rows.map(function (r) { return r.enrollment_rate; })},
               {name: "缴费率%", type: "bar", data: rows.map(function (r) { return r.payment_rate; })}]
    });
  }

  // 定点机构监管指标: one small line chart per measure, with the threshold as a dashed line where there is one.
  function scorecardCharts(els) {
    var data = JSON.parse(document.getElementById("scorecard-data").textContent);
    var num = function (v) { return v === "—" ? null : Number(v); };
    Array.prototype.forEach.call(els, function (el) {
      var s = data.series.filter(function (x) { return x.key === el.getAttribute("data-measure"); })[0];
      if (!s) { return; }
      var values = s.data.map(num);
      var series = [{name: s.name, type: "bar", barMaxWidth: 18, data: values}];
      if (s.threshold.some(function (v) { return v !== "—"; })) {
        series.push({name: "阈值", type: "line", symbol: "none", lineStyle: {type: "dashed", color: "#c0392b"},
                     data: s.threshold.map(num)});
      }
      window.echarts.init(el).setOption({
        title: {text: s.name, textStyle: {fontSize: 13},
                subtext: values.every(function (v) { return v === null; }) ? "无数据（分母为零或数据来源未启用）" : ""},
        tooltip: {trigger: "axis"}, animation: false,
        grid: {left: 50, right: 16, bottom: 28, top: 50},
        xAxis: {type: "category", data: data.months}, yAxis: {type: "value", scale: true}, series: series
      });
    });
  }

  function start() {
    var add = document.getElementById("add-member");
    if (add) { add.addEventListener("click", function () { addMemberRow(add); }); }
    var chart = document.querySelector("[data-chart=collection]");
    if (chart && window.echarts) { collectionChart(chart); }
    var cards = document.querySelectorAll("[data-chart=scorecard]");
    if (cards.length && window.echarts) { scorecardCharts(cards); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
