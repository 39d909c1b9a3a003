/* 局长驾驶舱: draws the charts of /stats/dashboard/ from the page's json_script block (#dashboard-data).
   Amounts arrive as decimal strings (exact to the fen); ECharts is given numbers only for drawing. */
(function () {
  "use strict";

  var charts = [];

  function yuan(v) { return Number(v); }

  function draw(el, option) {
    var chart = window.echarts.init(el, null, {renderer: "canvas"});
    chart.setOption(option);
    charts.push(chart);
  }

  var BUILD = {
    fund: function (data) {
      var months = data.months.map(function (m) { return m.month + "月"; });
      return {
        tooltip: {trigger: "axis"}, legend: {data: ["收入", "支出", "累计结余"]},
        grid: {left: 80, right: 80, bottom: 30, top: 40},
        xAxis: {type: "category", data: months},
        yAxis: [{type: "value", name: "收支"}, {type: "value", name: "结余"}],
        series: [
          {name: "收入", type: "bar", data: data.months.map(function (m) { return yuan(m.income); })},
          {name: "支出", type: "bar", data: data.months.map(function (m) { return yuan(m.spending); })},
          {name: "累计结余", type: "line", yAxisIndex: 1, data: data.months.map(function (m) { return yuan(m.balance); })}
        ]
      };
    },
    utilisation: function (data) {
      var u = data.utilisation;
      return {
        tooltip: {trigger: "axis"}, grid: {left: 90, right: 90, bottom: 30, top: 20},
        xAxis: {type: "value", max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); }},
        yAxis: {type: "category", data: ["时间进度", "计划执行率"]},
        series: [{type: "bar", label: {show: true, position: "right", formatter: "{c}%"},
                  data: [Number(u.elapsed), {value: Number(u.used),
                         itemStyle: {color: Number(u.used) > Number(u.elapsed) ? "#b3261e" : "#1e7b34"}}]}]
      };
    },
    days: function (data) {
      return {
        tooltip: {trigger: "axis"}, legend: {data: ["结算人次", "基金支付（元）"]},
        grid: {left: 50, right: 80, bottom: 50, top: 40},
        dataZoom: [{type: "inside"}, {type: "slider", height: 16, bottom: 6}],
        xAxis: {type: "category", data: data.days.map(function (d) { return d.day; })},
        yAxis: [{type: "value", name: "人次", minInterval: 1}, {type: "value", name: "元"}],
        series: [
          {name: "结算人次", type: "bar", data: data.days.map(function (d) { return d.count; })},
          {name: "基金支付（元）", type: "line", yAxisIndex: 1, showSymbol: false,
           data: data.days.map(function (d) { return yuan(d.fund_total); })}
        ]
      };
    },
    townships: function (data) {
      return {
        tooltip: {trigger: "axis"}, grid: {left: 50, right: 20, bottom: 40, top: 20},
        xAxis: {type: "category", data: data.townships.map(function (t) { return t.name; }),
                axisLabel: {interval: 0, rotate: data.townships.length > 8 ? 30 : 0}},
        yAxis: {type: "value", max: 100},
        series: [{type: "bar", name: "参合率%", data: data.townships.map(function (t) { return t.rate === null ? 0 : Number(t.rate); })}]
      };
    },
    facilities: function (data) {
      var rows = data.facilities.slice().reverse();
      return {
        tooltip: {trigger: "axis"}, legend: {data: ["医疗总费用", "基金支付"]},
        grid: {left: 150, right: 40, bottom: 30, top: 30},
        xAxis: {type: "value"}, yAxis: {type: "category", data: rows.map(function (f) { return f.name; })},
        series: [{name: "医疗总费用", type: "bar", data: rows.map(function (f) { return yuan(f.total_cost); })},
                 {name: "基金支付", type: "bar", data: rows.map(function (f) { return yuan(f.fund_total); })}]
      };
    }
  };

  function start() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-dash]").forEach(function (el) {
      var build = BUILD[el.getAttribute("data-dash")];
      if (build) { draw(el, build(data)); el.setAttribute("data-drawn", "1"); }
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
