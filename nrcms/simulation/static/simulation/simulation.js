/* The simulation results' charts (ECharts), drawn from the JSON the page carries in #simulation-data.
   A static file: the Content-Security-Policy forbids inline scripts. Amounts arrive as yuan text (exact);
   they become numbers here only to be drawn. */
(function () {
  "use strict";

  function num(list) { return list.map(function (v) { return Number(v); }); }

  function bars(el, title, categories, series, unit) {
    var chart = window.echarts.init(el);
    chart.setOption({
      title: {text: title, left: "center", textStyle: {fontSize: 14}},
      tooltip: {trigger: "axis"}, legend: {top: 24, type: "scroll"},
      grid: {left: 70, right: 20, bottom: 40, top: 60},
      xAxis: {type: "category", data: categories, axisLabel: {interval: 0, width: 90, overflow: "truncate"}},
      yAxis: {type: "value", name: unit},
      series: series.map(function (s) { return {name: s.name, type: "bar", data: num(s.values)}; })
    });
  }

  function draw(el, data) {
    var kind = el.getAttribute("data-sim-chart");
    if (kind === "layers") {
      var layers = data.layers.filter(function (l) { return l.values.some(function (v) { return Number(v) !== 0; }); });
      bars(el, "各补偿层次支出（元）", data.schemes, layers, "元");
    } else if (kind === "ratios") {
      bars(el, "补偿比（%）", data.schemes, [
        {name: "实际补偿比", values: data.ratios.effective},
        {name: "政策范围内补偿比", values: data.ratios.in_policy},
        {name: "建档立卡贫困户住院政策范围内补偿比", values: data.ratios.poor}], "%");
      window.echarts.getInstanceByDom(el).setOption({series: [{}, {}, {markLine: {symbol: "none",
        data: [{yAxis: 90, name: "90% 目标"}], label: {formatter: "90% 目标"}}}]});
    } else if (kind === "gains") {
      bars(el, "个人自付变化（元，按全年医疗费用段；负数为减负）", data.bands, data.gains, "元");
    } else if (kind === "projection") {
      var chart = window.echarts.init(el), p = data.projection;
      chart.setOption({
        title: {text: "基金预测（元）", left: "center", textStyle: {fontSize: 14}},
        tooltip: {trigger: "axis"}, legend: {top: 24},
        grid: {left: 90, right: 20, bottom: 30, top: 60},
        xAxis: {type: "category", data: p.years}, yAxis: {type: "value", name: "元"},
        series: [{name: "筹资", type: "bar", data: num(p.income)},
                 {name: "基金支出", type: "bar", data: num(p.spending)},
                 {name: "累计结余", type: "line", data: num(p.balance),
                  markLine: {symbol: "none", data: [{yAxis: 0}], label: {formatter: "0"}}}]
      });
    }
  }

  function start() {
    var source = document.getElementById("simulation-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-sim-chart]").forEach(function (el) { draw(el, data); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
