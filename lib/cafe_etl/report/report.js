// Cafe Connect report, part 2: the page for a selection (the chain, a region or a branch),
// drawn from the figures embedded once in the page, with cafeCharts' SVG charts.
(function () {
  "use strict";
  const F = JSON.parse(document.getElementById("figures").textContent);
  const { C, WD, GBP, GBP0, NUM, money, count, pct, esc, day, W,
          lineChart, legend, barChart, hbars, heatmap, sparkline, table, fill } = cafeCharts(F);
  const B = F.branches;
  const nDays = F.days.length;
  const recentStart = F.days.indexOf(F.windows.recent ? F.windows.recent[0] : "");
  const width = F.hours[1] - F.hours[0] + 1;

  // ---- figures for any set of branches -------------------------------------------------
  function sumBy(list, key, n) {
    const out = new Array(n).fill(null);
    for (const b of list) b[key].forEach((v, i) => { if (v != null) out[i] = (out[i] || 0) + v; });
    return out;
  }
  function avgBy(list, key, n) {
    const sum = new Array(n).fill(0), cnt = new Array(n).fill(0);
    for (const b of list) b[key].forEach((v, i) => { if (v != null) { sum[i] += v; cnt[i]++; } });
    return sum.map((s, i) => (cnt[i] ? s / cnt[i] : null));
  }
  function growthOf(weekly) {
    return weekly.map((w, i) => (i > 0 && w != null && weekly[i - 1] > 0
      ? Math.round(10000 * (w - weekly[i - 1]) / weekly[i - 1]) / 100 : null));
  }
  function recentRevenue(b) {
    let s = 0;
    for (let i = Math.max(recentStart, 0); i < nDays; i++) s += b.revenue[i] || 0;
    return s;
  }
  // The latest week with all seven days in the report (the last one may be partial).
  const fullWeek = (() => {
    for (let w = F.weeks.length - 1; w >= 0; w--) {
      const start = F.days.indexOf(F.weeks[w]);
      if (start >= 0 && start + 6 < nDays) return w;
    }
    return F.weeks.length - 1;
  })();
  const partial = (w) => {
    const start = F.days.indexOf(F.weeks[w]);
    return start < 0 || start + 6 >= nDays;
  };
  function figures(list) {
    const revenue = sumBy(list, "revenue", nDays), transactions = sumBy(list, "transactions", nDays);
    const weekly = sumBy(list, "weekly", F.weeks.length);
    const hours = new Array(7 * width).fill(0);
    const products = new Map();
    const payments = F.payments.map(() => [0, 0]);
    for (const b of list) {
      b.hours.forEach((v, i) => { hours[i] += v; });
      for (const [p, r, rb, n, nb] of b.products) {
        const t = products.get(p) || [0, 0, 0, 0];
        products.set(p, [t[0] + r, t[1] + rb, t[2] + n, t[3] + nb]);
      }
      b.payments.forEach(([n, r], i) => { payments[i][0] += n; payments[i][1] += r; });
    }
    return { revenue, transactions, weekly, hours, products, payments,
             growth: list.length === 1 ? list[0].growth : growthOf(weekly) };
  }

  // ---- the page for a selection ------------------------------------------------------------
  const regionSel = document.getElementById("region"), branchSel = document.getElementById("branch");
  F.regions.forEach((r, i) => regionSel.add(new Option(r, String(i))));
  function branchOptions() {
    const r = regionSel.value;
    branchSel.length = 1;
    B.forEach((b, i) => { if (r === "" || String(b.region) === r) branchSel.add(new Option(b.name, String(i))); });
  }
  regionSel.addEventListener("change", () => { branchOptions(); draw(); });
  branchSel.addEventListener("change", () => {
    if (branchSel.value !== "" && regionSel.value === "") {
      const pick = branchSel.value;
      regionSel.value = String(B[+pick].region);
      branchOptions();
      branchSel.value = pick;
    }
    draw();
  });

  function draw() {
    const region = regionSel.value === "" ? null : +regionSel.value;
    const branch = branchSel.value === "" ? null : B[+branchSel.value];
    const inRegion = (r) => B.filter((b) => b.region === r);
    const list = branch ? [branch] : region == null ? B : inRegion(region);
    const what = branch ? branch.name : region == null ? "The chain" : F.regions[region];
    document.getElementById("showing").textContent = branch
      ? `${branch.name} · ${F.regions[branch.region]}` : region == null
        ? `The whole chain · ${B.length} branches` : `${F.regions[region]} · ${list.length} branches`;
    document.body.dataset.page = branch ? "branch" : region == null ? "chain" : "region";
    const fig = figures(list);
    drawDaily(fig, branch, what);
    drawWeekly(fig, what);
    drawHeat(fig, what);
    drawProducts(fig, what);
    drawPayments(fig, what);
    drawRanks(branch, region);
    drawCoverage(list, branch);
  }

  function drawDaily(fig, branch, what) {
    const basket = (rev, tx) => rev.map((r, i) => (r != null && tx[i] ? r / tx[i] : null));
    let sets;
    if (branch) {
      const peers = B.filter((b) => b.region === branch.region);
      sets = [
        { name: branch.name, colour: C.sel, main: true, rev: branch.revenue, tx: branch.transactions },
        { name: F.regions[branch.region] + ", per branch", colour: C.region, dash: "6 4",
          rev: avgBy(peers, "revenue", nDays), tx: avgBy(peers, "transactions", nDays) },
        { name: "Chain, per branch", colour: C.chain, dash: "2 3",
          rev: avgBy(B, "revenue", nDays), tx: avgBy(B, "transactions", nDays) },
      ];
    } else {
      sets = [{ name: what + ", all branches", colour: C.sel, main: true, rev: fig.revenue, tx: fig.transactions }];
    }
    const one = (key) => sets.map((s) => ({ name: s.name, colour: s.colour, dash: s.dash, main: s.main,
      values: key === "rev" ? s.rev : key === "tx" ? s.tx : basket(s.rev, s.tx) }));
    const chart = legend(sets) +
      `<h3>Revenue</h3>` + lineChart(one("rev"), (v) => GBP0.format(v / 100)) +
      `<h3>Transactions</h3>` + lineChart(one("tx"), (v) => NUM.format(Math.round(v)), 160) +
      `<h3>Average basket</h3>` + lineChart(one("bk"), (v) => GBP.format(v / 100), 160);
    const cols = ["Day", "Revenue", "Transactions", "Average basket"];
    if (branch) cols.push("Region revenue per branch", "Chain revenue per branch");
    const rows = F.days.map((d, i) => {
      const r = [day(d), money(fig.revenue[i]), count(fig.transactions[i]),
        money(fig.transactions[i] ? Math.round(fig.revenue[i] / fig.transactions[i]) : null)];
      if (branch) r.push(money(sets[1].rev[i] == null ? null : Math.round(sets[1].rev[i])),
        money(sets[2].rev[i] == null ? null : Math.round(sets[2].rev[i])));
      return r;
    });
    fill("daily", `${esc(what)}: revenue, transactions and average basket per day` +
      (branch ? ", against the average branch of its region and of the chain." : ".") +
      ` A red dot marks a day with no figures (see data completeness).`, chart, table("daily", cols, rows));
  }

  function drawWeekly(fig, what) {
    const labels = F.weeks.map((w, i) => day(w) + (partial(i) ? "*" : ""));
    fill("weekly", `${esc(what)}: revenue growth on the week before. * a week only partly in ` +
      `the report (paler bar): compare it with care.`,
      barChart(labels, fig.growth, (v) => v.toFixed(1) + "%", partial),
      table("weekly", ["Week starting", "Revenue", "Growth on the week before"],
        F.weeks.map((w, i) => [labels[i], money(fig.weekly[i]), pct(fig.growth[i])])));
  }

  function drawHeat(fig, what) {
    const hours = Array.from({ length: width }, (_, c) => String(F.hours[0] + c).padStart(2, "0") + ":00");
    const rows = [1, 2, 3, 4, 5, 6, 0].map((d) => [WD[d], ...hours.map((_, c) => count(fig.hours[d * width + c]))]);
    fill("heatmap", `${esc(what)}: transactions in each hour of each weekday, over the whole ` +
      `report, for staffing.`, heatmap(fig.hours), table("heatmap", ["Weekday", ...hours], rows));
  }

  function drawProducts(fig, what) {
    const rows = [...fig.products.entries()].map(([p, [r, rb, n, nb]]) =>
      ({ name: F.products[p], r, rb, n, nb, change: rb > 0 ? Math.round(10000 * (r - rb) / rb) / 100 : null }))
      .sort((a, b) => b.r - a.r || a.name.localeCompare(b.name));
    // Five each way; with fewer than ten products, the better half is the top.
    const split = Math.min(5, Math.ceil(rows.length / 2));
    const top = rows.slice(0, split), bottom = rows.slice(Math.max(split, rows.length - 5)).reverse();
    const bar = (x) => [x.name, x.r, x.change == null ? "new" : pct(x.change)];
    const scale = Math.max(1, ...rows.map((x) => x.r));
    const w = F.windows;
    fill("products", `${esc(what)}: the five best and five worst sellers by revenue in the last ` +
      `4 weeks (${w.recent ? day(w.recent[0]) + " – " + day(w.recent[1]) : "–"}), with the change on ` +
      `the 4 before. Sizes together, flavours apart.`,
      `<h3>Top</h3>` + hbars(top.map(bar), money, null, scale) +
        `<h3>Bottom</h3>` + hbars(bottom.map(bar), money, null, scale),
      table("products", ["Rank", "Product", "Revenue, last 4 weeks", "Revenue, 4 weeks before",
        "Items, last 4 weeks", "Items, 4 weeks before", "Change"],
        rows.map((x, i) => [String(i + 1), x.name, money(x.r), money(x.rb), count(x.n), count(x.nb),
          x.change == null ? "new" : pct(x.change)])));
  }

  function drawPayments(fig, what) {
    const total = fig.payments.reduce((s, p) => s + p[0], 0) || 1;
    const share = (n) => (100 * n / total).toFixed(1) + "%";
    fill("payments", `${esc(what)}: how customers pay, over the whole report.`,
      hbars(F.payments.map((m, i) => [m, fig.payments[i][0], share(fig.payments[i][0])]), count),
      table("payments", ["Method", "Transactions", "Share", "Revenue"],
        F.payments.map((m, i) => [m, count(fig.payments[i][0]), share(fig.payments[i][0]), money(fig.payments[i][1])])));
  }

  function drawRanks(branch, region) {
    const recent = F.windows.recent ? `${day(F.windows.recent[0])} – ${day(F.windows.recent[1])}` : "";
    const week = F.weeks.length ? day(F.weeks[fullWeek]) : "";
    let groups, title;
    if (branch || region != null) {
      const r = branch ? branch.region : region;
      groups = B.filter((b) => b.region === r).map((b) => ({ name: b.name, rev: recentRevenue(b),
        growth: b.growth[fullWeek], daily: b.revenue }));
      title = F.regions[r] + "'s branches";
    } else {
      groups = F.regions.map((name, r) => {
        const list = B.filter((b) => b.region === r), f = figures(list);
        return { name, rev: list.reduce((s, b) => s + recentRevenue(b), 0), growth: f.growth[fullWeek],
          daily: f.revenue };
      });
      title = "Regions";
    }
    const byRev = [...groups].sort((a, b) => b.rev - a.rev || a.name.localeCompare(b.name));
    const byGrowth = [...groups].sort((a, b) => (b.growth ?? -1e9) - (a.growth ?? -1e9) || a.name.localeCompare(b.name));
    const mine = (name) => branch && name === branch.name;
    let note = `${title} ranked by revenue over the last 4 weeks (${recent}) and by growth in ` +
      `the week of ${week} on the week before.`;
    if (branch) {
      const a = byRev.findIndex((g) => g.name === branch.name) + 1, b = byGrowth.findIndex((g) => g.name === branch.name) + 1;
      const growthRank = branch.growth[fullWeek] == null ? "" : ` and ${b} of ${groups.length} by growth`;
      note = `<strong id="rank">${esc(branch.name)} is ${a} of ${groups.length} by revenue${growthRank} in ` +
        `${esc(F.regions[branch.region])}.</strong> ` + note;
    }
    let chart = `<h3>By revenue</h3>` + hbars(byRev.map((g) => [g.name, g.rev, ""]), money, mine) +
      `<h3>By growth</h3>` + (groups.some((g) => g.growth != null)
        ? hbars(byGrowth.map((g) => [g.name, g.growth, ""]), (v) => pct(v), mine)
        : "<p>No week before it in the report to compare with yet.</p>");
    chart += `<h3>Daily revenue</h3><div class="multiples">` + byRev.map((g) =>
      `<div class="multiple${mine(g.name) ? " mine" : ""}"><span>${esc(g.name)}</span>${sparkline(g.daily)}</div>`).join("") + "</div>";
    fill("ranking", note, chart, table("ranking", ["Rank", branch || region != null ? "Branch" : "Region",
      "Revenue, last 4 weeks", "Growth, week of " + week],
      byRev.map((g, i) => [String(i + 1), g.name, money(g.rev), pct(g.growth)])));
  }

  function drawCoverage(list, branch) {
    const source = F.coverage === "view"
      ? "From the warehouse's coverage view (files received per branch and day)."
      : "Derived from the sales: a day without sales counts as a day without a file; late files are not known until the warehouse has its coverage view.";
    const rows = [];
    for (const b of list) {
      for (const i of b.missing) rows.push([b.name, day(F.days[i]), "no file"]);
      for (const i of b.late) rows.push([b.name, day(F.days[i]), "file came late"]);
    }
    let chart;
    if (branch) {
      const late = new Set(branch.late), miss = new Set(branch.missing);
      const cw = Math.min(24, Math.floor(W / Math.max(1, nDays)));
      chart = `<svg viewBox="0 0 ${W} 44" role="img">` + F.days.map((d, i) => {
        const colour = miss.has(i) ? C.miss : late.has(i) ? C.late : C.ok;
        return `<rect x="${i * cw}" y="4" width="${cw - 2}" height="22" fill="${colour}"><title>${day(d)}` +
          `${miss.has(i) ? ": no file" : late.has(i) ? ": file came late" : ""}</title></rect>`;
      }).join("") + `<text x="0" y="40" class="xlab0">${day(F.days[0] || "")}</text></svg>` +
        `<div class="legend"><span><b style="background:${C.ok}"></b>file on time</span>` +
        `<span><b style="background:${C.late}"></b>late</span><span><b style="background:${C.miss}"></b>no file</span></div>`;
    } else {
      const worst = list.map((b) => [b.name, b.missing.length + b.late.length,
        `${b.missing.length} without a file, ${b.late.length} late`]).filter((r) => r[1] > 0)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 15);
      chart = worst.length ? hbars(worst, () => "", null, nDays) : "<p>Every branch sent every day's file on time.</p>";
    }
    const summary = `${rows.filter((r) => r[2] === "no file").length} branch-days without a file, ` +
      `${rows.filter((r) => r[2] !== "no file").length} with late files. `;
    const unplaced = F.unplaced.length ? ` Branches without a region (shown as Unknown): ` +
      `${F.unplaced.map(esc).join(", ")}; add them to reference/branch_regions.csv.` : "";
    fill("coverage", `<strong>${summary}</strong>A missing day is not a bad day. ${source}${unplaced}`, chart,
      table("coverage", ["Branch", "Day", "What"], rows));
  }

  branchOptions();
  draw();
  document.body.dataset.ready = "1";
})();
