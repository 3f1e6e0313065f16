// Cafe Connect report, part 2: the page for a selection (the chain, a region or a branch),
// drawn from the figures embedded once in the page, with cafeCharts' SVG charts. A file
// made for one branch or region holds only that scope's branches (figures.py): the region
// and chain averages it is compared with come worked out, in F.averages.
(function () {
  "use strict";
  const F = JSON.parse(document.getElementById("figures").textContent);
  const K = cafeCharts(F);
  const { C, WD, ROTA, HOURS, GBP, GBP0, NUM, money, count, pct, esc, plural, day, M, N, P, D,
          lineChart, legend, barChart, hbars, heatmap, sparkline, table, fill } = K;
  const B = F.branches, A = F.averages;
  const nDays = F.days.length;
  const recentStart = F.days.indexOf(F.windows.recent ? F.windows.recent[0] : "");
  const width = F.hours[1] - F.hours[0] + 1;
  const fullWeek = F.full_week;

  // ---- figures for any set of branches -------------------------------------------------
  function sumBy(list, key, n) {
    const out = new Array(n).fill(null);
    for (const b of list) b[key].forEach((v, i) => { if (v != null) out[i] = (out[i] || 0) + v; });
    return out;
  }
  // Growth of a set's summed weekly revenue; one branch's is the warehouse's own figure.
  function growthOf(list, weekly) {
    if (list.length === 1) return list[0].growth;
    return weekly.map((w, i) => (i > 0 && w != null && weekly[i - 1] > 0
      ? Math.round(10000 * (w - weekly[i - 1]) / weekly[i - 1]) / 100 : null));
  }
  function recentRevenue(b) {
    let s = 0;
    for (let i = Math.max(recentStart, 0); i < nDays; i++) s += b.revenue[i] || 0;
    return s;
  }
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
    const headline = F.headline.days.map((_, k) => {
      const got = list.map((b) => b.headline[k]).filter((h) => h != null);
      return got.length ? got.reduce((s, h) => [s[0] + h[0], s[1] + h[1]], [0, 0]) : null;
    });
    for (const b of list) {
      b.hours.forEach((v, i) => { hours[i] += v; });
      for (const [p, r, rb, n, nb] of b.products) {
        const t = products.get(p) || [0, 0, 0, 0];
        products.set(p, [t[0] + r, t[1] + rb, t[2] + n, t[3] + nb]);
      }
      b.payments.forEach(([n, r], i) => { payments[i][0] += n; payments[i][1] += r; });
    }
    return { revenue, transactions, weekly, hours, products, payments, headline,
             growth: growthOf(list, weekly) };
  }
  const round = (v) => (v == null ? null : Math.round(v));

  // ---- the selection: the selectors and the address (report.html#branch=Leeds) ------------
  const regionSel = document.getElementById("region"), branchSel = document.getElementById("branch");
  F.regions.forEach((r, i) => regionSel.add(new Option(r, String(i))));
  // A file for one branch or one region has nothing else to pick.
  if (F.scope.branch || F.scope.region) regionSel.parentElement.hidden = true;
  if (F.scope.branch) branchSel.parentElement.hidden = true;
  if (F.scope.region) regionSel.value = "0";
  function branchOptions() {
    const r = regionSel.value;
    branchSel.length = 1;
    B.forEach((b, i) => { if (r === "" || String(b.region) === r) branchSel.add(new Option(b.name, String(i))); });
  }
  function fromAddress() {
    const want = new URLSearchParams(location.hash.slice(1));
    const b = B.findIndex((x) => x.name === want.get("branch"));
    const r = F.regions.indexOf(want.get("region"));
    if (b >= 0) regionSel.value = String(B[b].region);
    else if (r >= 0) regionSel.value = String(r);
    else if (!F.scope.region) regionSel.value = "";
    branchOptions();
    branchSel.value = b >= 0 ? String(b) : F.scope.branch ? "0" : "";
  }
  function toAddress() {
    const p = new URLSearchParams();
    if (branchSel.value !== "") p.set("branch", B[+branchSel.value].name);
    else if (regionSel.value !== "" && !F.scope.region) p.set("region", F.regions[+regionSel.value]);
    const hash = p.toString() ? "#" + p.toString() : "";
    if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname);
  }
  regionSel.addEventListener("change", () => { branchOptions(); toAddress(); draw(); });
  branchSel.addEventListener("change", () => {
    if (branchSel.value !== "" && regionSel.value === "") {
      const pick = branchSel.value;
      regionSel.value = String(B[+pick].region);
      branchOptions();
      branchSel.value = pick;
    }
    toAddress();
    draw();
  });
  window.addEventListener("hashchange", () => { fromAddress(); draw(); });
  let drawnAt = 0;
  window.addEventListener("resize", () => {
    clearTimeout(window.cafeResize);
    window.cafeResize = setTimeout(() => {
      if (document.querySelector("#daily .chart").clientWidth !== drawnAt) draw();
    }, 150);
  });

  function draw() {
    drawnAt = document.querySelector("#daily .chart").clientWidth;
    K.setWidth(drawnAt);
    const region = regionSel.value === "" ? null : +regionSel.value;
    const branch = branchSel.value === "" ? null : B[+branchSel.value];
    const list = branch ? [branch] : region == null ? B : B.filter((b) => b.region === region);
    const what = branch ? branch.name : region == null ? "The chain" : F.regions[region];
    document.getElementById("showing").textContent = branch
      ? `${branch.name} · ${F.regions[branch.region]}` : region == null
        ? `The whole chain · ${plural(B.length, "branch", "branches")}`
        : `${F.regions[region]} · ${plural(list.length, "branch", "branches")}`;
    document.body.dataset.page = branch ? "branch" : region == null ? "chain" : "region";
    // What the selection is compared with: its region's average branch, the chain's (an
    // average this file must leave out on every day is not offered at all).
    const shows = (avg) => avg && avg.revenue.some((v) => v != null);
    const peers = [];
    if (branch && shows(A.regions[branch.region])) peers.push({ name: F.regions[branch.region] + ", per branch",
      colour: C.region, dash: "6 4", avg: A.regions[branch.region] });
    if ((branch || region != null) && shows(A.chain)) peers.push({ name: "Chain, per branch", colour: C.chain,
      dash: "2 3", avg: A.chain });
    const fig = figures(list);
    drawHeadline(fig, what);
    drawDaily(fig, branch, region, what, peers);
    drawWeekly(fig, what, peers);
    drawHeat(fig, what);
    drawProducts(fig, what);
    drawPayments(fig, what);
    drawRanks(branch, region, what, peers);
    drawCoverage(list, branch, what);
  }

  function drawHeadline(fig, what) {
    if (!F.headline.days.length) {
      document.getElementById("headline").innerHTML = `<p class="note">No sales in the warehouse yet.</p>`;
      return;
    }
    const [now, week, year] = fig.headline, [d0, d1, d2] = F.headline.days;
    const span = (d) => (d[0] === d[1] ? day(d[0]) : `${day(d[0])} – ${day(d[1])}`);
    const measures = [
      ["revenue", "Revenue", (h) => h[1], money],
      ["transactions", "Transactions", (h) => h[0], count],
      ["basket", "Average basket", (h) => (h[0] ? h[1] / h[0] : null), money],
    ];
    const change = (a, b) => (a == null || b == null || b === 0 ? null
      : Math.round(1000 * (a - b) / b) / 10);
    const against = (cls, label, then, v, fmt) => {
      if (then == null) return cls === "vs-year" ? "" : `<p class="${cls}">${label}: no sales</p>`;
      const c = change(now == null ? null : v(now), v(then));
      const arrow = c == null ? "" : c > 0 ? "▲ " : c < 0 ? "▼ " : "";
      return `<p class="${cls}${c < 0 ? " down" : c > 0 ? " up" : ""}">${arrow}` +
        `${c == null ? "–" : (c > 0 ? "+" : "") + c.toFixed(1) + "%"} on ${label} (${fmt(round(v(then)))})</p>`;
    };
    const tiles = measures.map(([key, label, v, fmt]) => `<div class="tile" data-measure="${key}">` +
      `<h3>${label}</h3><p class="now">${now == null ? "–" : fmt(round(v(now)))}</p>` +
      against("vs-week", "last week", week, v, fmt) + against("vs-year", "last year", year, v, fmt) + "</div>");
    const sameDays = d0[0] === d0[1] ? "the same weekday" : "the same days";
    const whole = new Date(d0[1] + "T00:00:00Z").getUTCDay() === 0;
    document.getElementById("headline").innerHTML = `<p class="note">${esc(what)}, this week` +
      `${whole ? "" : " so far"} ` +
      `(${span(d0)}), against ${sameDays} of last week (${span(d1)})` + (year ? ` and of the same week last ` +
      `year (${span(d2)})` : "") + `.</p><div class="tiles">${tiles.join("")}</div>`;
  }

  function drawDaily(fig, branch, region, what, peers) {
    const basket = (rev, tx) => rev.map((r, i) => (r != null && tx[i] ? r / tx[i] : null));
    // A region against the chain is compared per branch; a branch and the chain as they are.
    const perBranch = !branch && region != null;
    const own = perBranch ? A.regions[region] : { revenue: fig.revenue, transactions: fig.transactions };
    const sets = [{ name: perBranch ? what + ", per branch" : branch ? what : what + ", all branches",
      colour: C.sel, main: true, rev: own.revenue, tx: own.transactions }]
      .concat(peers.map((p) => ({ ...p, rev: p.avg.revenue, tx: p.avg.transactions })));
    const one = (key) => sets.map((s) => ({ name: s.name, colour: s.colour, dash: s.dash, main: s.main,
      values: key === "rev" ? s.rev : key === "tx" ? s.tx : basket(s.rev, s.tx) }));
    const chart = legend(sets) +
      `<h3>Revenue</h3>` + lineChart(one("rev"), (v) => GBP0.format(v / 100)) +
      `<h3>Transactions</h3>` + lineChart(one("tx"), (v) => NUM.format(Math.round(v)), 160) +
      `<h3>Average basket</h3>` + lineChart(one("bk"), (v) => GBP.format(v / 100), 160);
    const cols = ["Day", "Revenue", "Transactions", "Average basket"]
      .concat(peers.map((p) => p.name.replace(", per branch", " revenue per branch")));
    const rows = F.days.map((d, i) => [D(d), M(fig.revenue[i]), N(fig.transactions[i]),
      M(fig.transactions[i] ? Math.round(fig.revenue[i] / fig.transactions[i]) : null),
      ...peers.map((p) => M(round(p.avg.revenue[i])))]);
    fill("daily", `${esc(what)}: revenue, transactions and average basket per day` +
      (peers.length ? `, against the average branch of ${branch ? "its region and of " : ""}the chain` : "") +
      `. A red dot marks a day with no figures (see data completeness).` +
      (F.scope.branch || F.scope.region ? ` An average over fewer than three branches is left out ` +
        `of this file, as it would give their figures away.` : ""),
      chart, table("daily", cols, rows), what);
  }

  function drawWeekly(fig, what, peers) {
    const mark = (i) => (partial(i) ? "*" : "");
    fill("weekly", `${esc(what)}: revenue growth on the week before. * a week only partly in ` +
      `the report (paler bar): compare it with care.`,
      barChart(F.weeks.map((w, i) => day(w) + mark(i)), fig.growth, (v) => v.toFixed(1) + "%", partial),
      table("weekly", ["Week starting", "Revenue", "Growth on the week before"]
        .concat(peers.map((p) => p.name.replace(", per branch", " revenue per branch"))),
        F.weeks.map((w, i) => [D(w, mark(i)), M(fig.weekly[i]), P(fig.growth[i]),
          ...peers.map((p) => M(round(p.avg.weekly[i])))])), what);
  }

  function drawHeat(fig, what) {
    const rows = ROTA.map((d) => [WD[d], ...HOURS.map((_, c) => N(fig.hours[d * width + c]))]);
    fill("heatmap", `${esc(what)}: transactions in each hour of each weekday, over the whole ` +
      `report, for staffing.`, heatmap(fig.hours), table("heatmap", ["Weekday", ...HOURS], rows), what);
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
        rows.map((x, i) => [i + 1, x.name, M(x.r), M(x.rb), N(x.n), N(x.nb),
          x.change == null ? "new" : P(x.change)])), what);
  }

  function drawPayments(fig, what) {
    const total = fig.payments.reduce((s, p) => s + p[0], 0) || 1;
    const share = (n) => ({ t: (100 * n / total).toFixed(1) + "%", v: (100 * n / total).toFixed(1) });
    fill("payments", `${esc(what)}: how customers pay, over the whole report.`,
      hbars(F.payments.map((m, i) => [m, fig.payments[i][0], share(fig.payments[i][0]).t]), count),
      table("payments", ["Method", "Transactions", "Share", "Revenue"],
        F.payments.map((m, i) => [m, N(fig.payments[i][0]), share(fig.payments[i][0]), M(fig.payments[i][1])])), what);
  }

  function drawRanks(branch, region, what, peers) {
    const recent = F.windows.recent ? `${day(F.windows.recent[0])} – ${day(F.windows.recent[1])}` : "";
    const week = F.weeks.length ? day(F.weeks[fullWeek]) : "";
    const note = `ranked by revenue over the last 4 weeks (${recent}) and by growth in the week of ` +
      `${week} on the week before.`;
    if (branch) {
      // Its place in its region, worked out where every branch's figures are (figures.py):
      // the ranks, not the other branches, are what this page shows.
      const [a, n] = branch.rank.revenue, g = branch.rank.growth;
      const rows = [[branch.name, recentRevenue(branch), ""], ...peers.map((p) => [p.name, p.avg.recent, ""])];
      fill("ranking", `<strong id="rank">${esc(branch.name)} is ${a} of ${n} by revenue` +
        (g ? ` and ${g[0]} of ${g[1]} by growth` : "") + ` in ${esc(F.regions[branch.region])}.</strong> ` +
        `The branches of ${esc(F.regions[branch.region])} ${note} Below, its revenue over the 4 weeks ` +
        `against the average branch.`,
        hbars(rows.filter((r) => r[1] != null), money,
          (lab) => (lab === branch.name ? C.sel : (peers.find((p) => p.name === lab) || {}).colour)),
        table("ranking", ["", "Revenue, last 4 weeks", "Rank in region by revenue", "Rank in region by growth"],
          rows.map((r, i) => [r[0], M(r[1]), i ? "" : `${a} of ${n}`, i || !g ? "" : `${g[0]} of ${g[1]}`])), what);
      return;
    }
    let groups, title;
    if (region != null) {
      groups = B.filter((b) => b.region === region).map((b) => ({ name: b.name, rev: recentRevenue(b),
        growth: b.growth[fullWeek], daily: b.revenue }));
      title = F.regions[region] + "'s branches";
    } else {
      groups = F.regions.map((name, r) => {
        // Only the revenue and growth of each region: not the whole of figures().
        const list = B.filter((b) => b.region === r);
        return { name, rev: list.reduce((s, b) => s + recentRevenue(b), 0),
          growth: growthOf(list, sumBy(list, "weekly", F.weeks.length))[fullWeek],
          daily: sumBy(list, "revenue", nDays) };
      });
      title = "Regions";
    }
    const byRev = [...groups].sort((a, b) => b.rev - a.rev || a.name.localeCompare(b.name));
    const byGrowth = [...groups].sort((a, b) => (b.growth ?? -1e9) - (a.growth ?? -1e9) || a.name.localeCompare(b.name));
    let chart = `<h3>By revenue</h3>` + hbars(byRev.map((g) => [g.name, g.rev, ""]), money) +
      `<h3>By growth</h3>` + (groups.some((g) => g.growth != null)
        ? hbars(byGrowth.map((g) => [g.name, g.growth, ""]), (v) => pct(v))
        : "<p>No week before it in the report to compare with yet.</p>");
    chart += `<h3>Daily revenue</h3><div class="multiples">` + byRev.map((g) =>
      `<div class="multiple"><span>${esc(g.name)}</span>${sparkline(g.daily)}</div>`).join("") + "</div>";
    fill("ranking", `${title} ${note}`, chart, table("ranking", ["Rank", region != null ? "Branch" : "Region",
      "Revenue, last 4 weeks", "Growth, week of " + week],
      byRev.map((g, i) => [i + 1, g.name, M(g.rev), P(g.growth)])), what);
  }

  function drawCoverage(list, branch, what) {
    const source = F.coverage === "view"
      ? "From the warehouse's coverage view (files received per branch and day)."
      : "Derived from the sales: a day without sales counts as a day without a file; late files are not known until the warehouse has its coverage view.";
    const rows = [];
    for (const b of list) {
      for (const i of b.missing) rows.push([b.name, D(F.days[i]), "no file"]);
      for (const i of b.late) rows.push([b.name, D(F.days[i]), "file came late"]);
    }
    let chart;
    const W = K.width();
    if (branch) {
      const late = new Set(branch.late), miss = new Set(branch.missing);
      const cw = Math.min(24, W / Math.max(1, nDays));
      chart = `<svg viewBox="0 0 ${W} 44" width="${W}" height="44" role="img">` + F.days.map((d, i) => {
        const colour = miss.has(i) ? C.miss : late.has(i) ? C.late : C.ok;
        return `<rect x="${(i * cw).toFixed(1)}" y="4" width="${Math.max(1, cw - 1).toFixed(1)}" height="22" fill="${colour}"><title>${day(d)}` +
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
    const missing = rows.filter((r) => r[2] === "no file").length;
    const summary = `${plural(missing, "branch-day")} without a file, ${plural(rows.length - missing, "branch-day")} ` +
      `with late files. `;
    const unplaced = F.unplaced.length ? ` Branches without a region (shown as Unknown): ` +
      `${F.unplaced.map(esc).join(", ")}; add them to reference/branch_regions.csv.` : "";
    fill("coverage", `<strong>${summary}</strong>A missing day is not a bad day. ${source}${unplaced}`, chart,
      table("coverage", ["Branch", "Day", "What"], rows), what);
  }

  fromAddress();
  draw();
  document.body.dataset.ready = "1";
})();
